"""Lineage: which tables, views and volumes a write reads, and which of their columns (through
which multimodal functions) each written column comes from (docs/governance.md, "Lineage").

`of_query` works on the statement as the user wrote it, before resolution: a name's sources
are the objects the statement itself names (a view is a source; what the view reads is the
view's own lineage). `table_rows`, `column_rows` and `walk` answer `system.access.table_lineage`,
`system.access.column_lineage` and `DESCRIBE LINEAGE`, keeping only the edges whose two ends
the reader may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from lakelens.catalog import VIEW, VOLUME, Catalog, InvalidArgument, ObjectInfo
from lakelens.catalog.grants import Access
from lakelens.catalog.volumes import parse_volume_path
from lakelens.udfs import lookup

from .names import SessionContext, full_name, table_parts

VOLUME_COLUMNS = ("path", "name", "size", "modification_time", "content")

# name → (Spark DDL of its columns, what it shows): the system.access lineage tables.
TABLES: dict[str, tuple[str, str]] = {
    "table_lineage": (
        "source_table_full_name STRING, source_type STRING, source_path STRING, target_table_full_name STRING, "
        "target_type STRING, operation STRING, created_by STRING, event_time TIMESTAMP, statement_id STRING",
        "one row per write and object it read: which tables, views and volumes each table or view comes from"),
    "column_lineage": (
        "source_table_full_name STRING, source_type STRING, source_column_name STRING, "
        "target_table_full_name STRING, target_type STRING, target_column_name STRING, function_name STRING, "
        "created_by STRING, event_time TIMESTAMP, statement_id STRING",
        "which source columns each written column comes from, and the multimodal functions on the way "
        "(innermost first, comma-separated)"),
}


def kind_of(info: ObjectInfo) -> str:
    return "VIEW" if info.kind == VIEW else "VOLUME" if info.kind == VOLUME else "TABLE"


@dataclass(frozen=True)
class Lineage:
    """A write's sources, (full name, TABLE | VIEW | VOLUME, volume path), and its output columns
    in order: (name as written, ((source, source column, functions), ...)). `match`: how the
    outputs land in the target's columns — "position", "name" (CTAS and views: by output name
    when the target has it, INSERT … BY NAME), or "list" (INSERT's column list, `columns`)."""

    sources: tuple[tuple[str, str, str | None], ...]
    outputs: tuple[tuple[str, tuple[tuple[str, str, str | None], ...]], ...] = ()
    match: str = "position"
    columns: tuple[str, ...] = ()


class _Unfollowed(Exception):
    """A query shape whose columns this analysis cannot follow: table-level lineage only."""


Deps = list[tuple[str, str, tuple[str, ...]]]


def of_query(query: exp.Expression | None, sources: list[ObjectInfo], ctx: SessionContext, *,
             match: str = "position", columns: tuple[str, ...] = ()) -> Lineage:
    """The lineage of a write whose rows come from `query` (None: table-level lineage only)."""
    seen, srcs = set(), []
    for info in sources:
        if info.full_name not in seen:
            seen.add(info.full_name)
            srcs.append((info.full_name, kind_of(info), info.volume_path if info.kind == VOLUME else None))
    if query is None:
        return Lineage(tuple(srcs))
    infos = {info.full_name: info for info in sources}
    try:
        outputs = _outputs(query.copy(), {}, infos, ctx)
    except Exception:  # noqa: BLE001 - a shape this analysis does not follow: table-level lineage only
        outputs = []
    return Lineage(tuple(srcs), tuple((name, tuple((s, c, ",".join(f) or None) for s, c, f in deps))
                                      for name, deps in outputs), match, tuple(columns))


def _columns_of(info: ObjectInfo) -> list[tuple[str, Deps]]:
    names = VOLUME_COLUMNS if info.kind == VOLUME else [c.name for c in info.columns]
    return [(n, [(info.full_name, n, ())]) for n in names]


def _relation(node: exp.Expression, ctes: dict, infos: dict, ctx: SessionContext):
    """(alias, output columns) of one FROM/JOIN relation, or None when it is not followed."""
    if isinstance(node, exp.Subquery):
        return node.alias_or_name, _outputs(node.this, ctes, infos, ctx)
    if not isinstance(node, exp.Table):
        return None
    this = node.this
    if isinstance(this, exp.Anonymous) and this.name.lower() == "read_files" and this.expressions:
        arg = this.expressions[0]
        fmt = next((a.expression.name.lower() for a in this.expressions[1:]
                    if isinstance(a, (exp.Kwarg, exp.PropertyEQ, exp.EQ)) and a.this.name.lower() == "format"),
                   "binaryfile")
        if fmt != "binaryfile":
            raise _Unfollowed("read_files of a data format: its columns are the files' own")
        if isinstance(arg, exp.Literal) and arg.is_string:
            vp = parse_volume_path(arg.this)
            info = infos.get(f"{vp.catalog}.{vp.schema}.{vp.volume}")
            return (node.alias_or_name or "read_files"), (_columns_of(info) if info else [])
        return None
    if not isinstance(this, exp.Identifier):
        return None
    parts = table_parts(node)
    if len(parts) == 1 and parts[0].lower() in ctes:
        return node.alias_or_name, ctes[parts[0].lower()]
    try:
        name = ".".join(full_name(parts, ctx))
    except InvalidArgument:
        return None
    info = infos.get(name)
    return node.alias_or_name, (_columns_of(info) if info else [])


def _functions_between(column: exp.Column, top: exp.Expression) -> tuple[str, ...]:
    """Library functions on the way from a column up to its projection, innermost first."""
    out, node = [], column.parent
    while node is not None and node is not top.parent:
        if isinstance(node, exp.Anonymous):
            found = lookup(node.name)
            if found is not None:
                out.append(found[0].name)
        node = node.parent
    return tuple(out)


def _outputs(query: exp.Expression, ctes: dict, infos: dict, ctx: SessionContext) -> list[tuple[str, Deps]]:
    if isinstance(query, exp.Subquery):
        return _outputs(query.this, ctes, infos, ctx)
    if isinstance(query, exp.SetOperation):
        left, right = _outputs(query.left, ctes, infos, ctx), _outputs(query.right, ctes, infos, ctx)
        return [(name, deps + (right[i][1] if i < len(right) else [])) for i, (name, deps) in enumerate(left)]
    if not isinstance(query, exp.Select):
        return []
    ctes = dict(ctes)
    with_ = query.args.get("with_") or query.args.get("with")
    for cte in (with_.expressions if with_ else []):
        ctes[cte.alias_or_name.lower()] = _outputs(cte.this, ctes, infos, ctx)
    relations: dict[str, list[tuple[str, Deps]]] = {}
    from_ = query.args.get("from_") or query.args.get("from")
    joins = query.args.get("joins") or []
    if any(j.args.get("using") or j.args.get("method") for j in joins):
        raise _Unfollowed("USING and NATURAL joins merge columns")
    unfollowed = False
    for node in ([from_.this] if from_ else []) + [j.this for j in joins]:
        found = _relation(node, ctes, infos, ctx)
        if found is None:
            unfollowed = True  # a relation of unknown columns (temporary view, VALUES, table function)
        else:
            relations[(found[0] or "").lower()] = found[1]
    out: list[tuple[str, Deps]] = []
    for projection in query.expressions:
        if isinstance(projection, exp.Star):
            if unfollowed:
                raise _Unfollowed("* over a relation of unknown columns")
            for columns in relations.values():
                out.extend(columns)
            continue
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            out.extend(relations.get(projection.table.lower(), []))
            continue
        deps: Deps = []
        for column in projection.find_all(exp.Column):
            if column.find_ancestor(exp.Select) is not query:
                continue  # inside a scalar subquery: its own relations, not this query's
            functions = _functions_between(column, projection)
            qualifier = column.table.lower()
            candidates = [relations[qualifier]] if qualifier in relations else list(relations.values())
            for columns in candidates:
                match = next((d for n, d in columns if n.lower() == column.name.lower()), None)
                if match is not None:
                    deps += [(src, col, f + functions) for src, col, f in match]
                    break
        out.append((projection.alias_or_name, deps))
    return out


# ---------------------------------------------------------------------------- reading lineage
def _visible_names(catalog: Catalog, access: Access) -> dict[str, str] | None:
    """Full name → kind of every object the reader may see (None: an administrator sees all)."""
    if access.admin:
        return None
    out = {}
    for cat in catalog.list_catalogs():
        if not access.sees_catalog(cat):
            continue
        for info in catalog.list_objects(cat.name):
            if access.sees_object(info):
                out[info.full_name] = kind_of(info)
    return out


def table_rows(catalog: Catalog, access: Access) -> list[dict]:
    visible = _visible_names(catalog, access)
    return [r for r in catalog.lineage_rows()
            if visible is None or (r["source_table_full_name"] in visible and r["target_table_full_name"] in visible)]


def column_rows(catalog: Catalog, access: Access) -> list[dict]:
    visible = _visible_names(catalog, access)
    return [r for r in catalog.column_lineage_rows()
            if visible is None or (r["source_table_full_name"] in visible and r["target_table_full_name"] in visible)]


def walk(catalog: Catalog, access: Access, start: str, direction: str | None, depth: int) -> list[tuple]:
    """DESCRIBE LINEAGE: the edges reached from `start` upstream and/or downstream, `depth`
    steps at most, each once, through objects the reader may see: (direction, depth, source,
    source type, target, target type, functions, operation, last event time)."""
    visible = _visible_names(catalog, access)
    edges: dict[tuple[str, str], dict] = {}
    for r in catalog.lineage_rows():
        key = (r["source_table_full_name"], r["target_table_full_name"])
        if visible is not None and not (key[0] in visible and key[1] in visible):
            continue
        if key not in edges or r["event_time"] > edges[key]["event_time"]:
            edges[key] = r
    functions: dict[tuple[str, str], set[str]] = {}
    for r in catalog.column_lineage_rows():
        if r["function_name"]:
            functions.setdefault((r["source_table_full_name"], r["target_table_full_name"]), set()).update(
                r["function_name"].split(","))
    out = []
    for way in ("UPSTREAM", "DOWNSTREAM"):
        if direction and direction != way:
            continue
        frontier, seen = {start}, {start}
        for level in range(1, depth + 1):
            nxt = set()
            for (src, tgt), r in sorted(edges.items()):
                near, far = (tgt, src) if way == "UPSTREAM" else (src, tgt)
                if near in frontier:
                    out.append((way, level, src, r["source_type"], tgt, r["target_type"],
                                ", ".join(sorted(functions.get((src, tgt), ()))) or None, r["operation"],
                                r["event_time"]))
                    if far not in seen:
                        seen.add(far)
                        nxt.add(far)
            frontier = nxt
            if not frontier:
                break
    return out
