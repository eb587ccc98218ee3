"""Name resolution rules: each a function over the statement's AST, applied in order.

Like sqlglot's optimizer rules, every rule takes the expression and a context and returns
the (possibly new) expression. Together they turn lakelens names into references Spark
can run, using the catalog as the only source of truth:

* a Delta table ``demo.media.assets`` → ``delta.`/warehouse/tables/<uuid>` AS assets``
* an Iceberg table → ``lakelens_iceberg.tables.t_<uuid> AS labels``
* a Parquet table → ``parquet.`/…` AS t``
* a view → its (resolved) query as a subquery
* a volume, or ``read_files('/Volumes/…')`` → a subquery over Spark's ``binaryFile`` source
  yielding ``path, name, size, modification_time, content``.

>>> # SELECT name FROM demo.media.scans
>>> #   → SELECT name FROM (SELECT concat('/Volumes/demo/media/scans', …) AS path, … ) AS scans
"""

from __future__ import annotations

import uuid
from pathlib import Path
from dataclasses import dataclass, field, replace

from sqlglot import exp

from lakelens.catalog import (
    TABLE,
    VIEW,
    VOLUME,
    Catalog,
    InvalidArgument,
    NotFound,
    ObjectInfo,
    PermissionDenied,
    Unsupported,
)

from lakelens.catalog.grants import Access
from lakelens.catalog.locations import escaping_link
from lakelens.catalog.storage import is_object_store
from lakelens.catalog.model import EXTERNAL, ICEBERG_NAMESPACE, iceberg_table_name

from .dialect import FileRelation, to_spark
from .names import SessionContext, full_name, table_parts
from .functions import TVF_PLACEHOLDER, bind_functions, parse_table_function, table_function_calls
from .plans import ICEBERG_SPARK_CATALOG, Needs, SystemTableRead, TableFunctionCall, UdfBinding, VolumeListing
from .system import SYSTEM_CATALOG, SYSTEM_PLACEHOLDER, system_table

PATH_FORMATS = {"delta", "parquet", "csv", "json", "text", "orc", "binaryfile", "avro"}

# Names lakelens gives its own relations (placeholders, write targets); never the user's.
RESERVED_PREFIX = "__lakelens_"
UDF_PREFIX = "ll_"  # registered multimodal UDFs (sql/functions.py udf_name)
# Library functions dedup/near_duplicates compute signatures with (engine/table_functions.py).
SIGNATURE_FUNCTIONS = ("minhash", "content_hash", "simhash", "phash", "dhash", "ahash", "embed_text", "embed_image")
# Table functions that reach Spark: ours (rewritten by later rules) and Spark's generators,
# which read nothing but their arguments. Any other (table_changes, *_by_path, …) names
# storage behind the catalog's back and is refused.
OUR_TABLE_FUNCTIONS = {"read_files", "near_duplicates", "dedup", "chunks", "vector_top_k"}
# Table functions that are plain SQL over their input: rewritten into a subquery (rewrite_sql_table_functions).
SQL_TABLE_FUNCTIONS = ("chunks", "vector_top_k")
SPARK_TABLE_FUNCTIONS = {"range", "explode", "explode_outer", "inline", "inline_outer", "posexplode",
                         "posexplode_outer", "stack", "json_tuple", "variant_explode", "variant_explode_outer"}
# Functions that call into the server's JVM or read server files: refused for remote principals.
SERVER_FUNCTIONS = {"reflect", "java_method", "try_reflect", "from_protobuf", "to_protobuf"}
# read_files options per format (anything else, e.g. `path`, is refused): parsing knobs only.
_COMMON_OPTIONS = {"recursive", "glob", "format", "ignorecorruptfiles", "ignoremissingfiles", "modifiedbefore",
                   "modifiedafter"}
READ_FILES_OPTIONS = {
    "csv": {"header", "sep", "delimiter", "quote", "escape", "inferschema", "encoding", "charset", "multiline",
            "nullvalue", "emptyvalue", "nanvalue", "dateformat", "timestampformat", "comment", "mode",
            "ignoreleadingwhitespace", "ignoretrailingwhitespace", "linesep", "enforceschema", "locale",
            "samplingratio", "maxcolumns", "maxcharspercolumn", "columnnameofcorruptrecord",
            "unescapedquotehandling", "preferdate", "timezone", "positiveinf", "negativeinf",
            "chartoescapequoteescaping"},
    "json": {"multiline", "primitivesasstring", "prefersdecimal", "allowcomments", "allowunquotedfieldnames",
             "allowsinglequotes", "allownumericleadingzeros", "allowbackslashescapinganycharacter", "mode",
             "columnnameofcorruptrecord", "dateformat", "timestampformat", "encoding", "linesep", "samplingratio",
             "dropfieldifallnull", "locale", "allownonnumericnumbers", "timezone", "infertimestamp"},
    "text": {"wholetext", "linesep", "encoding"},
    "parquet": {"mergeschema", "datetimerebasemode", "int96rebasemode"},
    "orc": {"mergeschema"},
    "avro": {"avroschema", "datetimerebasemode", "positionalfieldmatching"},
    "delta": {"versionasof", "timestampasof"},
    "binaryfile": set(),
}


def _refuse_name(name: str) -> None:
    if name.lower().startswith(RESERVED_PREFIX):
        raise InvalidArgument(f"names beginning with {RESERVED_PREFIX} are reserved for lakelens: {name}")


def _refuse_by_path(function: str) -> None:
    if function.endswith("_by_path"):  # Delta's table_changes_by_path and the like
        raise PermissionDenied(f"{function}() reads storage by path, bypassing the catalog; use the table's name")


def _identifier_clause(call: exp.Anonymous, what: str) -> str:
    args = call.expressions
    if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
        raise Unsupported(f"IDENTIFIER() {what} takes one string literal, got {call.sql('spark')}")
    return args[0].this


def _table_names_to_queries(expression: exp.Expression) -> None:
    """`f(TABLE(name), …)` in FROM → `f(TABLE(SELECT * FROM name), …)`: the name becomes a table
    reference that the guard and the resolver see (as a bare argument it would be a column)."""
    for table in list(expression.find_all(exp.Table)):
        call = table.this
        if not (isinstance(call, exp.Anonymous) and call.expressions):
            continue
        first = call.expressions[0]
        if isinstance(first, exp.Anonymous) and first.name.upper() == "TABLE" and first.expressions \
                and isinstance(first.expressions[0], exp.Column):
            name = first.expressions[0]
            parts = [p.name for p in name.parts]
            first.set("expressions", [exp.select("*").from_(exp.Table(
                this=exp.to_identifier(parts[-1]), db=exp.to_identifier(parts[-2]) if len(parts) > 1 else None,
                catalog=exp.to_identifier(parts[-3]) if len(parts) > 2 else None)
                if len(parts) <= 3 else exp.Table(this=exp.Dot.build([exp.to_identifier(p) for p in parts])))])


def guard(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """Refuse what resolution does not understand, before any other rule runs.

    Only plain names (at most catalog.schema.object), known table functions and lakelens'
    own placeholders may reach Spark: `IDENTIFIER('c.s.t')` becomes the name it spells and is
    resolved like any other; names of four or more parts (`lakelens_iceberg.tables.t_x.files`),
    unknown table functions and user names with the reserved prefix are refused; for remote
    principals, functions that reach into the server's JVM or files too (docs/security.md)."""
    _table_names_to_queries(expression)  # so that a name inside TABLE(…) is guarded like any other
    for node in list(expression.walk()):
        if isinstance(node, exp.Table):
            this = node.this
            if isinstance(this, exp.Anonymous) and this.name.upper() == "IDENTIFIER":
                named = exp.to_table(_identifier_clause(this, "as a table name"), dialect="spark")
                for key in ("alias", "version", "joins", "laterals", "pivots", "sample", "hints"):
                    if node.args.get(key) is not None:
                        named.set(key, node.args[key])
                node.replace(named)
                this = named.this
                node = named
            if isinstance(this, exp.Dot):
                parts = [p.name for p in (node.args.get("catalog"), node.args.get("db")) if p] + \
                    [p.name for p in this.flatten()]
                raise InvalidArgument(f"name {'.'.join(parts)!r} has {len(parts)} parts; at most catalog.schema.object")
            if isinstance(this, exp.Func):
                name = (this.name if isinstance(this, exp.Anonymous) else this.sql_name()).lower()
                _refuse_by_path(name)
                if name not in OUR_TABLE_FUNCTIONS | SPARK_TABLE_FUNCTIONS:
                    raise Unsupported(
                        f"table function {this.name} is not supported: lakelens reads tables, views and volumes "
                        "by their catalog names (read_files() for files in volumes)")
            elif isinstance(this, exp.Identifier):
                for part in (node.args.get("catalog"), node.args.get("db"), this):
                    if part is not None and part.name not in res.placeholders:
                        _refuse_name(part.name)
            elif this is not None and not isinstance(this, (exp.Subquery, exp.Unnest, exp.Values)):
                raise Unsupported(f"table reference {node.sql('spark')[:200]} is not supported")
        elif isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name.startswith(UDF_PREFIX):
                # The UDFs a session registered stay in its Spark session: called by their
                # internal names they would skip the EXECUTE check of the function they run.
                raise InvalidArgument(f"{node.name}(): names beginning with {UDF_PREFIX} are lakelens' internal "
                                      "function names; call the function by its own name")
            if name == "identifier":
                node.replace(exp.to_column(_identifier_clause(node, "as a column name"), dialect="spark"))
            _refuse_by_path(name)
            if name in SERVER_FUNCTIONS and res.ctx.remote:
                raise PermissionDenied(f"{node.name}() runs code or reads files on the server; it is not "
                                       "available to remote sessions")
        elif isinstance(node, exp.TableAlias) and node.this is not None:
            _refuse_name(node.this.name)
    return expression


@dataclass
class Resolution:
    """What resolution learned about a statement."""

    ctx: SessionContext
    catalog: Catalog
    reads: list[ObjectInfo] = field(default_factory=list)
    view_stack: tuple[str, ...] = ()
    udfs: dict[str, UdfBinding] = field(default_factory=dict)  # registered name → binding
    table_functions: list[TableFunctionCall] = field(default_factory=list)
    system_tables: list[SystemTableRead] = field(default_factory=list)
    placeholders: set[str] = field(default_factory=set)  # names lakelens put in the statement itself
    # Whose privileges reads are checked against: the invoker's (ctx.access), or inside a
    # view its owner's (definer's rights); `definer_of` names the view the user read.
    acting: Access | None = None
    definer_of: str | None = None
    direct: list[ObjectInfo] = field(default_factory=list)  # what the statement names itself (lineage)

    def __post_init__(self) -> None:
        self.placeholders |= self.ctx.staged  # rows the engine staged (SessionContext.staged)

    def needs(self) -> Needs:
        """What the statement reads and what the engine must set up before running it."""
        return Needs(list(self.reads), list(self.udfs.values()), list(self.table_functions),
                     list(self.system_tables), sources=list(self.direct))


def physical_table(info: ObjectInfo) -> exp.Table:
    """The reference Spark understands for a lakelens table."""
    if info.format == "iceberg":
        return exp.Table(this=exp.to_identifier(iceberg_table_name(info.storage_key)),
                         db=exp.to_identifier(ICEBERG_NAMESPACE), catalog=exp.to_identifier(ICEBERG_SPARK_CATALOG))
    return exp.Table(this=exp.to_identifier(info.location, quoted=True), db=exp.to_identifier(info.format))


def iceberg_metadata_table(info: ObjectInfo, name: str, alias: str) -> exp.Table:
    """An Iceberg metadata table of a lakelens table (`history`, `snapshots`, …)."""
    ref = physical_table(info)
    return exp.Table(this=exp.Dot(this=ref.this, expression=exp.to_identifier(name)), db=ref.args["db"],
                     catalog=ref.args["catalog"], alias=exp.TableAlias(this=exp.to_identifier(alias)))


def files_subquery(location: str, user_root: str, *, recursive: bool = True,
                   glob: str | None = None, name: str | None = None) -> exp.Expression:
    """Rows of files under `location`, with user-facing `/Volumes/...` paths.

    Only `path`, `size`, ... are computed from the listing; `content` is Spark's lazily read
    column, so a query that does not select it never reads file bytes."""
    opts = {"recursiveFileLookup": "true" if recursive else "false"}
    if glob:
        opts["pathGlobFilter"] = glob
    # Spark's `path`: `file:/dir/f` for a local file, the URL itself on object storage.
    start = len(location.rstrip("/") if is_object_store(location) else "file:" + location.rstrip("/")) + 1
    path = exp.func("concat", exp.Literal.string(user_root.rstrip("/")),
                    exp.func("substr", exp.column("path"), exp.Literal.number(start)))
    # `name`: one file's own name, when `location` is a kept copy stored under another one.
    name = exp.Literal.string(name) if name is not None else exp.RegexpExtract(
        this=exp.column("path"), expression=exp.Literal.string("[^/]*$"), group=exp.Literal.number(0))
    return exp.select(
        exp.alias_(path, "path", copy=False), exp.alias_(name, "name", copy=False),
        exp.alias_(exp.column("length"), "size", copy=False),
        exp.alias_(exp.column("modificationTime"), "modification_time", copy=False), exp.column("content"),
        copy=False,
    ).from_(FileRelation(format="binaryFile", path=location, options=tuple(opts.items())), copy=False)


LISTING_PLACEHOLDER = "__lakelens_listing_{}__"


def _may_read_content(statement: exp.Expression) -> bool:
    """Whether a statement could read a volume's `content`: it names a column `content`, or
    has a star that is not count(*)'s. Conservative: any doubt reads through binaryFile."""
    for node in statement.walk():
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            return True
        if isinstance(node, exp.Identifier) and node.name.lower() == "content":  # a column, alias, …
            return True
    return False


def _kwargs(call: exp.Expression) -> tuple[list[exp.Expression], dict[str, exp.Expression]]:
    positional, named = [], {}
    for arg in call.expressions:
        if isinstance(arg, (exp.Kwarg, exp.PropertyEQ, exp.EQ)) and isinstance(arg.this, (exp.Var, exp.Identifier, exp.Column)):
            named[arg.this.name.lower()] = arg.expression
        else:
            positional.append(arg)
    return positional, named


def _literal(value: exp.Expression, what: str):
    if isinstance(value, exp.Literal):
        return value.this if value.is_string else value.to_py()
    if isinstance(value, exp.Boolean):
        return value.this
    raise InvalidArgument(f"read_files: {what} must be a literal, got {value.sql('spark')}")


def rewrite_read_files(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """`read_files('/Volumes/c/s/v/dir', glob => '*.png', recursive => true[, format => 'csv', k => v])`."""
    for table in list(expression.find_all(exp.Table)):
        fn = table.this
        if not isinstance(fn, exp.Anonymous) or fn.name.lower() != "read_files":
            continue
        positional, named = _kwargs(fn)
        if not positional and "path" not in named:
            raise InvalidArgument("read_files needs a path: read_files('/Volumes/<catalog>/<schema>/<volume>/...')")
        path = _literal(positional[0] if positional else named.pop("path"), "path")
        files, rel = res.catalog.open_volume(str(path))
        check_read(res, files.info)
        version = _literal(named.pop("version"), "version") if "version" in named else None
        if version is not None:  # a prior version kept by the recycle bin (catalog/recycle.py)
            physical = res.catalog.version_path(files, rel, version)
        else:
            physical = files.location_of(rel)
        if not res.catalog.storage.exists(physical):
            raise NotFound("path", str(path))
        if not is_object_store(physical):
            physical = str(Path(physical).resolve())
        res.reads.append(files.info)
        res.direct.append(files.info)
        check_volume_links(files.info)
        fmt = str(_literal(named.pop("format"), "format")).lower() if "format" in named else "binaryfile"
        unknown = sorted(set(named) - _COMMON_OPTIONS - READ_FILES_OPTIONS.get(fmt, set()))
        if unknown and fmt in READ_FILES_OPTIONS:
            raise InvalidArgument(f"read_files: unknown option(s) {unknown} for format {fmt!r}; allowed: "
                                  f"{sorted(READ_FILES_OPTIONS[fmt] | (_COMMON_OPTIONS - {'format'}))}")
        recursive = bool(_literal(named.pop("recursive"), "recursive")) if "recursive" in named else False
        glob = _literal(named.pop("glob"), "glob") if "glob" in named else None
        if glob is not None and (len(str(glob)) > 256 or sum(str(glob).count(c) for c in "*?{") > 8):
            # Hadoop turns a glob into a backtracking regex: bound what a client may send.
            raise InvalidArgument("read_files: glob may have at most 256 characters and 8 wildcards")
        if fmt == "binaryfile":
            if named:
                raise InvalidArgument(f"read_files: unknown option(s) {sorted(named)} for binaryFile")
            user_path = f"{files.info.volume_path}/{rel}".rstrip("/")
            select = files_subquery(physical, user_path, recursive=recursive, glob=glob,
                                    name=user_path.rsplit("/", 1)[-1] if version is not None else None)
        elif fmt in PATH_FORMATS:
            opts = {k: str(_literal(v, k)).lower() if isinstance(v, exp.Boolean) else str(_literal(v, k))
                    for k, v in named.items()}
            opts["recursiveFileLookup"] = "true" if recursive else "false"
            if glob:
                opts["pathGlobFilter"] = glob
            select = exp.select("*").from_(FileRelation(format=fmt, path=physical,
                                                        options=tuple(opts.items())))
        else:
            raise InvalidArgument(f"read_files: unsupported format {fmt!r} (binaryFile, csv, json, parquet, text, orc, avro)")
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier("read_files"))
        table.replace(_keep_modifiers(table, exp.Subquery(this=select, alias=alias)))
    return expression


def check_volume_links(info: ObjectInfo) -> None:
    """Refuse to read an external volume holding a symbolic link that leads outside it (Spark's
    listing would follow it). Only lakelens writes managed volumes, and it writes no links."""
    if info.storage == EXTERNAL and info.location and not is_object_store(info.location):
        link = escaping_link(info.location)
        if link is not None:
            raise PermissionDenied(f"volume {info.full_name} holds a symbolic link that leads outside it "
                                   f"({link}); remove the link to read the volume")


def check_read(res: Resolution, info: ObjectInfo) -> None:
    """SELECT on a table or view, READ VOLUME on a volume (and USE on their parents), held by
    whoever's rights apply. Inside a view that is the view's owner, and a refusal names only
    the view the user read, never what it reads."""
    access = res.acting or res.ctx.access
    if access is None or access.admin:
        return
    try:
        access.require_object(info, "READ VOLUME" if info.kind == VOLUME else "SELECT")
    except PermissionDenied:
        if res.definer_of is None:
            raise
        raise PermissionDenied(f"view {res.definer_of} cannot be read: its owner lacks privileges on what it "
                               "reads") from None


def _cte_names(expression: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}


def resolve_object(res: Resolution, parts: list[str]) -> ObjectInfo:
    cat, sch, name = full_name(parts, res.ctx)
    return res.catalog.get_object(cat, sch, name)


# What a table reference carries besides its name (PIVOT/UNPIVOT, TABLESAMPLE, hints, …): a
# replacement keeps all of it, or the statement silently means something else (found by the
# differential corpus: a PIVOT and a TABLESAMPLE were dropped).
_NAME_ARGS = {"this", "db", "catalog", "alias", "version"}


def _keep_modifiers(table: exp.Table, new: exp.Expression) -> exp.Expression:
    for key, value in table.args.items():
        if key in _NAME_ARGS or value is None or value == []:
            continue
        if key not in type(new).arg_types:
            raise Unsupported(f"{key} on {table.sql(dialect='spark')} cannot be kept when it is rewritten")
        new.set(key, value)
    return new


def resolve_tables(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """Replace every table reference by its physical reference, view body or file relation."""
    ctes = _cte_names(expression)
    resolved: dict[str, str] = {}  # full name → alias used, to fix 3-part column qualifiers
    for table in list(expression.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue
        parts = table_parts(table)
        if len(parts) == 1 and (parts[0].lower() in ctes or parts[0].startswith(RESERVED_PREFIX)):
            continue  # a CTE, or a placeholder another rule put there
        if len(parts) == 2 and parts[0].lower() in PATH_FORMATS and (
                parts[1].startswith("/") or ":" in parts[1]):  # a path, file:, s3:// or another URL
            raise Unsupported(
                f"direct path queries ({parts[0]}.`{parts[1]}`) bypass the catalog; "
                "create an external table or volume over the location instead")
        if table.args.get("catalog") and parts[0].lower() == ICEBERG_SPARK_CATALOG:
            raise InvalidArgument(f"{ICEBERG_SPARK_CATALOG} is lakelens' internal Spark catalog; use catalog names")
        if len(parts) == 3 and parts[0].lower() == SYSTEM_CATALOG:
            table.replace(_keep_modifiers(table, _system_relation(res, parts, table)))
            continue
        if len(parts) == 1 and parts[0].lower() in res.ctx.temp_views:
            # A session's temporary view shadows a table of the same one-part name (as in Spark).
            alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(parts[0]))
            table.replace(_keep_modifiers(table, exp.Subquery(this=temp_view_query(res, parts[0].lower()), alias=alias)))
            continue
        info = resolve_object(res, parts)
        check_read(res, info)
        res.reads.append(info)
        res.direct.append(info)
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(info.name))
        version = table.args.get("version")
        if info.kind != TABLE and version is not None:
            raise InvalidArgument(f"time travel (VERSION/TIMESTAMP AS OF) needs a table; {info.full_name} is a {info.kind.lower()}")
        if info.kind == TABLE:
            ref = physical_table(info)
            if version is not None:
                ref.set("version", version)
            ref.set("alias", alias)
            table.replace(_keep_modifiers(table, ref))
        elif info.kind == VIEW:
            table.replace(_keep_modifiers(table, exp.Subquery(this=view_query(res, info), alias=alias)))
        else:  # VOLUME
            check_volume_links(info)
            if is_object_store(info.location) and not res.view_stack and not _may_read_content(expression):
                listing = VolumeListing(LISTING_PLACEHOLDER.format(uuid.uuid4().hex), info.location,
                                        info.volume_path)
                res.system_tables.append(listing)
                table.replace(_keep_modifiers(table, exp.Table(this=exp.to_identifier(listing.placeholder),
                                                               alias=alias)))
            else:
                table.replace(_keep_modifiers(
                    table, exp.Subquery(this=files_subquery(info.location, info.volume_path), alias=alias)))
        resolved[info.full_name] = alias.name
    if resolved:
        for column in expression.find_all(exp.Column):
            if column.args.get("db") is not None and column.args.get("table") is not None:
                qual = [p.name.lower() for p in (column.args.get("catalog"), column.args.get("db"), column.args.get("table")) if p]
                for name, alias in resolved.items():
                    if name.endswith(".".join(qual)):
                        column.set("catalog", None)
                        column.set("db", None)
                        column.set("table", exp.to_identifier(alias))
    return expression


def _system_relation(res: Resolution, parts: list[str], table: exp.Table) -> exp.Table:
    """`system.runtime.udf_pools` → a placeholder relation the engine fills with current rows."""
    schema, name = parts[1].lower(), parts[2].lower()
    ddl, _ = system_table(schema, name)
    read = SystemTableRead(SYSTEM_PLACEHOLDER.format(schema, name, uuid.uuid4().hex), schema, name, ddl)
    res.system_tables.append(read)
    alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
    return exp.Table(this=exp.to_identifier(read.placeholder), alias=alias)


def view_query(res: Resolution, info: ObjectInfo) -> exp.Expression:
    from .dialect import parse_one

    if info.full_name in res.view_stack:
        raise InvalidArgument(f"view {info.full_name} refers to itself: {' -> '.join(res.view_stack + (info.full_name,))}")
    query = guard(parse_one(info.view_text), res)
    invoker = res.acting or res.ctx.access
    definer = invoker if invoker is None or invoker.admin else res.catalog.access(info.owner)
    inner = Resolution(replace(res.ctx, catalog=info.catalog, schema=info.schema, temp_views={}), res.catalog,
                       view_stack=res.view_stack + (info.full_name,), acting=definer,
                       definer_of=res.definer_of or info.full_name)
    try:
        query = rewrite_sql_table_functions(query, inner)
        query = rewrite_read_files(query, inner)
        query = resolve_tables(query, inner)
    except NotFound:
        # What a view reads is its owner's business (definer's rights): a reader who may not see
        # its text — nor, in a workspace, what is not bound there — learns only that it is broken.
        if invoker is None or invoker.admin or invoker.owns(info.owner):
            raise
        raise NotFound("view", f"{res.definer_of or info.full_name} (it reads a table, view or volume that "
                               "does not exist here)") from None
    res.reads.extend(inner.reads)
    res.system_tables.extend(inner.system_tables)
    return _with_view_schema(query, info)


def _with_view_schema(query: exp.Expression, info: ObjectInfo) -> exp.Expression:
    """A view answers with the columns and types it had when it was created, as Spark's views
    do (schema binding, COMPENSATION): when a view it reads is replaced with other types,
    the values are cast to the recorded ones. Columns whose recorded type sqlglot cannot
    build are passed through as they come."""
    if not info.columns:
        return query
    projection = []
    for column in info.columns:
        ref = exp.column(exp.to_identifier(column.name, quoted=True))
        try:
            cast = exp.cast(ref, exp.DataType.build(column.type, dialect="spark"))
        except Exception:  # noqa: BLE001 - an exotic type name: keep the column as it is
            cast = ref
        projection.append(exp.alias_(cast, exp.to_identifier(column.name, quoted=True)))
    return exp.select(*projection).from_(exp.Subquery(this=query, alias=exp.TableAlias(
        this=exp.to_identifier("__lakelens_view"))))


def temp_view_query(res: Resolution, name: str) -> exp.Expression:
    from .dialect import parse_one

    key = f"temporary view {name}"
    if key in res.view_stack:
        raise InvalidArgument(f"{key} refers to itself")
    inner = Resolution(res.ctx, res.catalog, view_stack=res.view_stack + (key,), acting=res.acting,
                       definer_of=res.definer_of)
    query = guard(parse_one(res.ctx.temp_views[name]), inner)
    query = rewrite_read_files(rewrite_sql_table_functions(query, inner), inner)
    query = resolve_tables(query, inner)
    res.reads.extend(inner.reads)
    res.direct.extend(inner.direct)  # a temporary view is no catalog object: what it reads is the source
    res.system_tables.extend(inner.system_tables)
    return query


def bind_session_functions(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """current_catalog(), current_schema()/current_database(), current_user() are the session's."""
    values = {
        exp.CurrentCatalog: res.ctx.catalog,
        exp.CurrentSchema: res.ctx.schema,
        exp.CurrentDatabase: res.ctx.schema,
        exp.CurrentUser: res.ctx.user,
    }
    by_name = {"current_catalog": res.ctx.catalog, "current_schema": res.ctx.schema,
               "current_database": res.ctx.schema, "current_namespace": res.ctx.schema,
               "current_user": res.ctx.user, "session_user": res.ctx.user, "user": res.ctx.user}

    access = res.ctx.access

    def swap(node):
        for cls, value in values.items():
            if isinstance(node, cls):
                return exp.Literal.string(value)
        if isinstance(node, exp.Anonymous) and node.name.lower() in by_name:
            return exp.Literal.string(by_name[node.name.lower()])
        if isinstance(node, exp.Anonymous) and node.name.lower() in ("is_account_group_member", "is_member"):
            # Databricks' dynamic-view predicates: the invoker's group membership, known now.
            args = node.expressions
            if len(args) != 1 or not (isinstance(args[0], exp.Literal) and args[0].is_string):
                raise InvalidArgument(f"{node.name}() takes one group name as a string literal")
            value = exp.Boolean(this=bool(access and access.member_of(args[0].this)))
            if isinstance(node.parent, exp.Select) and node.arg_key == "expressions":
                return exp.alias_(value, exp.to_identifier(f"{node.name.lower()}({args[0].this})", quoted=True))
            return value
        return node

    return expression.transform(swap)


def qualify_names(expression: exp.Expression, ctx: SessionContext) -> exp.Expression:
    """Fill in catalog and schema on every table name (for view text stored in the catalog)."""
    ctes = _cte_names(expression)
    for table in expression.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        parts = table_parts(table)
        if len(parts) == 1 and parts[0].lower() in ctes:
            continue
        cat, sch, name = full_name(parts, ctx)
        table.set("catalog", exp.to_identifier(cat))
        table.set("db", exp.to_identifier(sch))
        table.set("this", exp.to_identifier(name))
    return expression


def _table_input(name: str, positional: list[exp.Expression]) -> exp.Expression:
    """The query inside `TABLE(…)`, the first argument (`guard` made a name into a query)."""
    first = positional[0] if positional else None
    if not (isinstance(first, exp.Anonymous) and first.name.upper() == "TABLE" and first.expressions
            and isinstance(first.expressions[0], exp.Query)):
        raise InvalidArgument(f"{name}: the first argument must be TABLE(<query or table>)")
    return first.expressions[0]


def _option(name: str, named: dict, key: str, kind, default=None, low=None, high=None):
    if key not in named:
        if default is None:
            raise InvalidArgument(f"{name}: needs {key} => …")
        return default
    node = named.pop(key)
    value = node.this if isinstance(node, exp.Literal) else None
    try:
        value = kind(value) if value is not None else None
    except ValueError:
        value = None
    if value is None or (low is not None and not low <= value <= high):
        bounds = f" between {low} and {high}" if low is not None else ""
        raise InvalidArgument(f"{name}: {key} must be a constant {kind.__name__}{bounds}, got {node.sql('spark')}")
    return value


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def rewrite_sql_table_functions(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """`chunks(TABLE(q), on => 'body'[, max_chars, overlap, by])` → q's rows, one per chunk, with
    `chunk_index` and `chunk`; `vector_top_k(TABLE(q), column => 'v', query => <vector>, k => 10
    [, metric => 'cosine'|'dot'|'euclidean'])` → q's k rows nearest to the query vector, with
    `score` (`distance` for euclidean). Both are subqueries over q: the query vector is computed
    once (a one-row cross join), and the top k is Spark's bounded sort (TakeOrderedAndProject)."""
    from .dialect import parse_one

    found = [t for t in expression.find_all(exp.Table)
             if isinstance(t.this, exp.Anonymous) and t.this.name.lower() in SQL_TABLE_FUNCTIONS]
    for table in reversed(found):  # innermost first
        call = table.this
        name = call.name.lower()
        positional, named = _kwargs(call)
        inner = _table_input(name, positional)
        if name == "chunks":
            on = _option(name, named, "on", str)
            max_chars = _option(name, named, "max_chars", int, 1000, 1, 10_000_000)
            overlap = _option(name, named, "overlap", int, 0, 0, max_chars // 2)
            by = _option(name, named, "by", str, "sentence")
            if by not in ("sentence", "paragraph", "word", "char"):
                raise InvalidArgument(f"chunks: by must be 'sentence', 'paragraph', 'word' or 'char', got {by!r}")
            template = (f"SELECT __q.*, __c.chunk_index, __c.chunk FROM __input AS __q LATERAL VIEW "
                        f"posexplode(chunk_text(__q.{_quoted(on)}, max_chars => {max_chars}, overlap => {overlap}, "
                        f"by => '{by}')) __c AS chunk_index, chunk")
            query_vector = None
        else:
            column = _option(name, named, "column", str)
            k = _option(name, named, "k", int, 10, 1, 100_000)
            metric = _option(name, named, "metric", str, "cosine").lower()
            if "query" not in named:
                raise InvalidArgument("vector_top_k: needs query => <vector expression>, e.g. embed_text('…')")
            query_vector = named.pop("query")
            score = {"cosine": "cosine_similarity", "dot": "dot_product", "euclidean": "euclidean_distance"}.get(metric)
            if score is None:
                raise InvalidArgument(f"vector_top_k: metric must be 'cosine', 'dot' or 'euclidean', got {metric!r}")
            label, order = ("distance", "ASC NULLS LAST") if metric == "euclidean" else ("score", "DESC NULLS LAST")
            template = (f"SELECT __q.*, {score}(__q.{_quoted(column)}, __v.__query) AS {label} "
                        f"FROM __input AS __q CROSS JOIN (SELECT 1 AS __query) AS __v "
                        f"ORDER BY {label} {order} LIMIT {k}")
        if named:
            raise InvalidArgument(f"{name}: unknown argument(s) {', '.join(sorted(named))}")
        select = parse_one(template)
        for t in select.find_all(exp.Table):
            if t.name == "__input":
                t.replace(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("__q"))))
                break
        if query_vector is not None:
            for sub in select.find_all(exp.Subquery):
                if sub.alias == "__v":
                    sub.this.expressions[0].set("this", query_vector)
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
        table.replace(_keep_modifiers(table, exp.Subquery(this=select, alias=alias)))
    return expression


def rewrite_library_calls(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """Multimodal calls (`ocr(content)`) → registered UDFs; see functions.py. Each needs EXECUTE
    for the invoker, inside views too: whoever runs the statement spends the model's time."""
    expression = bind_functions(expression, res.udfs)
    access = res.ctx.access
    if access is not None:
        for binding in res.udfs.values():
            if not access.may_execute(binding.function):
                raise PermissionDenied(f"user {access.user} lacks EXECUTE on function {binding.function}")
    return expression


def extract_table_functions(expression: exp.Expression, res: Resolution) -> exp.Expression:
    """`near_duplicates(TABLE(q), …)`/`dedup(…)` → a placeholder the engine fills in first."""
    for table in table_function_calls(expression):
        inner, args = parse_table_function(table)
        placeholder = TVF_PLACEHOLDER.format(len(res.table_functions), uuid.uuid4().hex)
        access = res.ctx.access
        # The signature function is chosen by the input column's type when the engine runs it:
        # it refuses the ones the invoker may not EXECUTE.
        denied = frozenset(f for f in SIGNATURE_FUNCTIONS if access is not None and not access.may_execute(f))
        res.table_functions.append(TableFunctionCall(placeholder, table.this.name.lower(), to_spark(inner),
                                                     **args, denied_functions=denied, user=res.ctx.user))
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.this.name.lower()))
        table.replace(_keep_modifiers(table, exp.Table(this=exp.to_identifier(placeholder), alias=alias)))
    return expression


# The order matters: table functions become subqueries before names are resolved, the
# session functions are bound so that view bodies see their own values too, and library
# calls are bound once every view body is in place.
QUERY_RULES = (guard, rewrite_sql_table_functions, rewrite_read_files, resolve_tables, bind_session_functions, rewrite_library_calls,
               extract_table_functions)


def resolve_query(expression: exp.Expression, res: Resolution) -> exp.Expression:
    for rule in QUERY_RULES:
        expression = rule(expression, res)
    return expression
