"""Turn one parsed statement into a plan the engine can run.

Classification happens here: catalog statements become `CatalogCommand`s answered by the
catalog, table DDL and DML become Spark plans over physical references, queries become
`SparkQuery`s. The planner reads the catalog but never changes it and never runs Spark.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import replace

from sqlglot import exp

from lakelens.catalog import (
    FORMATS,
    PermissionDenied,
    AlreadyExists,
    TABLE,
    VIEW,
    VOLUME,
    Catalog,
    InvalidArgument,
    NotFound,
    ObjectInfo,
    Unsupported,
)

from lakelens.catalog.principals import check_setting
from lakelens.catalog.grants import MANAGE
from lakelens.catalog.recycle import RETENTION_PROPERTY, retention_of
from lakelens.catalog.locations import escaping_link, within

from . import describe as d
from . import dialect as ll
from . import governance as g
from . import lineage as lin
from . import recycle
from . import workspaces
from .errors import UnsupportedStatement
from .functions import describe_function, show_functions
from .names import SessionContext, full_name, schema_name, table_parts
from .system import SYSTEM_CATALOG
from .dialect import to_spark
from .plans import (
    ICEBERG_SPARK_CATALOG,
    CatalogCommand,
    CreateTable,
    CreateView,
    Explain,
    Needs,
    Plan,
    Rows,
    SessionChange,
    SparkQuery,
    SparkWrite,
    TempView,
)
from .resolve import (
    Resolution,
    iceberg_metadata_table,
    physical_table,
    qualify_names,
    resolve_object,
    resolve_query,
)

QUERY_TYPES = (exp.Query, exp.Values)
# Settings a remote session may not read with `SET key`: Hadoop's (fs.s3a.* credentials) and
# whatever is named like a secret.
_SECRET_SETTING = re.compile(r"^\s*spark\.hadoop\.|secret|password|token|credential|\.key\b|keystore|encryption",
                             re.IGNORECASE)


def plan_statement(stmt: exp.Expression, catalog: Catalog, ctx: SessionContext) -> Plan:
    if ctx.access is None:
        ctx = replace(ctx, access=g.access_of(ctx, catalog))
    handler = _HANDLERS.get(type(stmt))
    if handler is None and isinstance(stmt, QUERY_TYPES):
        handler = _plan_query
    if isinstance(stmt, exp.Command) and stmt.this in ("SET", "RESET"):
        key = stmt.expression.name.strip()
        if stmt.this == "RESET":
            if ctx.remote and not key:
                raise PermissionDenied("RESET of every setting is not available to remote sessions; RESET <key>")
            if key:
                check_setting(ctx.principal, ctx.policy, key)
        elif key and ctx.remote and _SECRET_SETTING.search(key):
            # `SET key` shows a value: Hadoop's (storage credentials) and anything named like a
            # secret are not a remote session's to read; Spark redacts only what its regex knows.
            raise PermissionDenied(f"reading setting {key[:100]!r} is not available to remote sessions")
        return SparkQuery(spark_sql=stmt.sql(dialect="spark"), access=ctx.access)
    if handler is None:
        text = stmt.sql(dialect="spark") if not isinstance(stmt, exp.Command) else f"{stmt.this} {stmt.expression}"
        raise UnsupportedStatement(f"lakelens does not support this statement: {text[:200]}")
    plan = handler(stmt, catalog, ctx)
    plan.access = ctx.access
    return plan


# ---------------------------------------------------------------------------- queries
def _plan_query(stmt, catalog, ctx) -> Plan:
    res = Resolution(ctx, catalog)
    resolved = resolve_query(stmt.copy(), res)
    return SparkQuery(spark_sql=to_spark(resolved), needs=res.needs())


# ---------------------------------------------------------------------------- catalogs & schemas
def _plan_create_catalog(stmt: ll.CreateCatalog, catalog, ctx):
    name = ".".join(stmt.this)
    if name.lower() == SYSTEM_CATALOG:
        raise InvalidArgument(f"the catalog name {SYSTEM_CATALOG} is reserved for system tables (system.runtime.…)")
    ctx.access.require_admin("CREATE CATALOG")

    def run(cat: Catalog) -> None:
        cat.create_catalog(name, comment=stmt.args.get("comment"), owner=ctx.user,
                           if_not_exists=bool(stmt.args.get("exists")))
        cat.create_schema(name, "default", owner=ctx.user, if_not_exists=True)

    return CatalogCommand(describe=f"create catalog {name}", run=run)


def _plan_drop_catalog(stmt: ll.DropCatalog, catalog, ctx):
    name = ".".join(stmt.this)
    if name.lower() == ctx.catalog:
        raise InvalidArgument(f"cannot drop the current catalog {name}; USE CATALOG another one first")
    cascade, if_exists = bool(stmt.args.get("cascade")), bool(stmt.args.get("exists"))
    _may_manage_catalog(catalog, ctx, name, "DROP CATALOG", missing_ok=if_exists)
    return CatalogCommand(describe=f"drop catalog {name}",
                          run=lambda c: c.drop_catalog(name, cascade=cascade, if_exists=if_exists, by=ctx.user))


def _plan_alter_catalog(stmt: ll.AlterCatalog, catalog, ctx):
    name = ".".join(stmt.this)
    rename = ".".join(stmt.args["rename"]) if stmt.args.get("rename") else None
    _may_manage_catalog(catalog, ctx, name, "ALTER CATALOG")
    g.check_new_owner(catalog, ctx, stmt.args.get("owner"))
    properties = _checked_properties(stmt.args.get("properties"))
    return CatalogCommand(describe=f"alter catalog {name}", run=lambda c: c.alter_catalog(
        name, owner=stmt.args.get("owner"), rename_to=rename, properties=properties))


def _checked_properties(properties: dict | None) -> dict | None:
    """Catalog and schema properties; `retention_days` must be a number of days (recycle.py)."""
    if properties and RETENTION_PROPERTY in properties:
        retention_of(0, properties)
    return properties


def _may_manage_catalog(catalog: Catalog, ctx, name: str, what: str, missing_ok: bool = False) -> None:
    """Dropping or altering a catalog: its owner, MANAGE on it, or an admin."""
    if ctx.access.admin:
        return
    try:
        cat = catalog.get_catalog(name)
    except NotFound:
        if missing_ok:
            return
        raise
    if not ctx.access.on_catalog(cat, MANAGE):
        raise PermissionDenied(f"user {ctx.user} may not {what} {cat.name}: that takes its owner, MANAGE on it "
                               "or an administrator")


def _may_manage_schema(catalog: Catalog, ctx, cat: str, sch: str, missing_ok: bool = False) -> None:
    """Dropping, altering or commenting a schema: its owner, MANAGE on it (or its catalog's
    owner or MANAGE), or an admin; and USE CATALOG."""
    if ctx.access.admin:
        return
    try:
        info = catalog.get_schema(cat, sch)
    except NotFound:
        if missing_ok:
            return
        raise
    ctx.access.require_schema(info, MANAGE)


def _may_manage_object(ctx, info: ObjectInfo) -> None:
    """DROP, ALTER, OWNER TO, CREATE OR REPLACE of an object: its owner, MANAGE on it (or on its
    schema or catalog, or their owners), or an admin; and USE CATALOG/USE SCHEMA to reach it."""
    ctx.access.require_object(info, MANAGE)


def _may_create_in(catalog: Catalog, ctx, cat: str, sch: str, privilege: str) -> None:
    """CREATE TABLE/VIEW/VOLUME in a schema: that privilege on it (or on its catalog), and USE."""
    ctx.access.require_schema(catalog.get_schema(cat, sch), privilege)


def _plan_create(stmt: exp.Create, catalog, ctx):
    kind = (stmt.args.get("kind") or "").upper()
    if kind in ("SCHEMA", "DATABASE"):
        cat, sch = schema_name(table_parts(stmt.this), ctx)
        ctx.access.require_catalog(catalog.get_catalog(cat), "CREATE SCHEMA")
        props = stmt.args.get("properties")
        comment = None
        if props:
            for p in props.expressions:
                if isinstance(p, exp.SchemaCommentProperty):
                    comment = p.this.name

        def run(c: Catalog) -> None:
            c.create_schema(cat, sch, comment=comment, owner=ctx.user, if_not_exists=bool(stmt.args.get("exists")))

        return CatalogCommand(describe=f"create schema {cat}.{sch}", run=run)
    if kind == "TABLE":
        return _plan_create_table(stmt, catalog, ctx)
    if kind == "VIEW":
        return _plan_create_view(stmt, catalog, ctx)
    raise UnsupportedStatement(f"CREATE {kind} is not supported")


def _plan_drop(stmt: exp.Drop, catalog, ctx):
    kind = (stmt.args.get("kind") or "").upper()
    exists = bool(stmt.args.get("exists"))
    if kind in ("SCHEMA", "DATABASE"):
        cat, sch = schema_name(table_parts(stmt.this or stmt.args["tables"][0]), ctx)
        if (cat, sch) == (ctx.catalog, ctx.schema):
            raise InvalidArgument(f"cannot drop the current schema {cat}.{sch}; USE another one first")
        cascade = bool(stmt.args.get("cascade"))
        _may_manage_schema(catalog, ctx, cat, sch, missing_ok=exists)
        return CatalogCommand(describe=f"drop schema {cat}.{sch}",
                              run=lambda c: c.drop_schema(cat, sch, cascade=cascade, if_exists=exists, by=ctx.user))
    if kind in ("TABLE", "VIEW"):
        tables = stmt.args.get("tables") or [stmt.this]
        if kind == "VIEW" and len(tables) == 1 and len(table_parts(tables[0])) == 1 \
                and table_parts(tables[0])[0].lower() in ctx.temp_views:
            return TempView(name=table_parts(tables[0])[0].lower(), view_text=None, if_exists=exists)
        names = [full_name(table_parts(t), ctx) for t in tables]
        want = TABLE if kind == "TABLE" else VIEW
        purge = bool(stmt.args.get("purge"))  # Hive's DROP TABLE … PURGE: past the recycle bin

        def run(c: Catalog) -> None:
            for cat, sch, name in names:
                try:
                    info = c.get_object(cat, sch, name)
                except NotFound as e:
                    if exists and e.kind in ("relation", "table", "view"):
                        continue
                    raise
                if info.kind != want:
                    raise InvalidArgument(f"{info.full_name} is a {info.kind.lower()}; use DROP {info.kind}",
                                          error_class="WRONG_COMMAND_FOR_OBJECT_TYPE", sqlstate="42809")
                _may_manage_object(ctx, info)
                c.drop_object(info, by=ctx.user, purge=purge)

        return CatalogCommand(describe=f"drop {kind.lower()} " + ", ".join(".".join(n) for n in names), run=run)
    raise UnsupportedStatement(f"DROP {kind} is not supported")


def _plan_use(stmt: exp.Use, catalog: Catalog, ctx):
    kind = (stmt.args.get("kind").name.upper() if stmt.args.get("kind") else "")
    parts = [p.lower() for p in table_parts(stmt.this)]
    if kind == "CATALOG":
        if len(parts) != 1:
            raise InvalidArgument("USE CATALOG takes one name")
        if not ctx.access.sees_catalog(catalog.get_catalog(parts[0])):
            raise g.denied_use(ctx, "USE CATALOG", f"catalog {parts[0]}")
        # Like Databricks: switching catalog moves to its `default` schema when it has one.
        schemas = {s.name for s in catalog.list_schemas(parts[0])}
        return SessionChange(catalog=parts[0],
                             schema="default" if "default" in schemas else (sorted(schemas) or ["default"])[0])
    cat, sch = schema_name(parts, ctx)
    if not ctx.access.sees_schema(catalog.get_schema(cat, sch)):
        raise g.denied_use(ctx, "USE SCHEMA", f"schema {cat}.{sch}")
    return SessionChange(catalog=cat, schema=sch)


def _plan_comment(stmt: ll.CommentOn, catalog: Catalog, ctx):
    kind, parts, comment = stmt.args["kind"], stmt.this, stmt.args.get("comment") or ""

    def run(c: Catalog) -> None:
        if kind == "CATALOG":
            _may_manage_catalog(c, ctx, ".".join(parts), "COMMENT ON CATALOG")
            c.alter_catalog(".".join(parts), comment=comment)
        elif kind in ("SCHEMA", "DATABASE"):
            _may_manage_schema(c, ctx, *schema_name(parts, ctx))
            c.alter_schema(*schema_name(parts, ctx), comment=comment)
        else:
            info = c.get_object(*full_name(parts, ctx), kinds=(TABLE, VIEW) if kind in ("TABLE", "VIEW") else (VOLUME,))
            try:
                ctx.access.require_object(info, "MODIFY" if info.kind == TABLE else MANAGE)
            except PermissionDenied:
                _may_manage_object(ctx, info)
            c.update_object(info, comment=comment)

    return CatalogCommand(describe=f"comment on {kind.lower()}", run=run)


def _plan_alter_object(stmt: ll.AlterObject, catalog: Catalog, ctx):
    kind = stmt.args["kind"]
    owner = stmt.args.get("owner")
    g.check_new_owner(catalog, ctx, owner)
    if kind in ("SCHEMA", "DATABASE"):
        cat, sch = schema_name(stmt.this, ctx)
        _may_manage_schema(catalog, ctx, cat, sch)
        properties = _checked_properties(stmt.args.get("properties"))
        return CatalogCommand(describe=f"alter schema {cat}.{sch}",
                              run=lambda c: c.alter_schema(cat, sch, owner=owner, properties=properties))
    kinds = (VOLUME,) if kind == "VOLUME" else (TABLE, VIEW)
    info = catalog.get_object(*full_name(stmt.this, ctx), kinds=kinds)
    _may_manage_object(ctx, info)
    rename = ".".join(stmt.args["rename"]) if stmt.args.get("rename") else None
    return CatalogCommand(describe=f"alter {kind.lower()} {info.full_name}",
                          run=lambda c: c.update_object(info, owner=owner, rename_to=rename))


# ---------------------------------------------------------------------------- SHOW / DESCRIBE
def _plan_show(stmt: ll.ShowObjects, catalog: Catalog, ctx) -> Plan:
    kind, scope, like = stmt.this, stmt.args.get("scope"), stmt.args.get("like")
    access = ctx.access
    if kind == "CATALOGS":
        return d.show_catalogs(catalog, like, access)
    if kind == "USERS":
        return g.show_users(catalog, like, access)
    if kind == "GROUPS":
        return g.show_groups(catalog, like, access)
    if kind == "WORKSPACES":
        return workspaces.show_workspaces(catalog, like, access)
    if kind == "SCHEMAS":
        cat = scope[0].lower() if scope else ctx.catalog
        if scope and len(scope) > 1:
            raise InvalidArgument("SHOW SCHEMAS IN takes a catalog name")
        if not access.sees_catalog(catalog.get_catalog(cat)):
            raise g.denied_use(ctx, "USE CATALOG", f"catalog {cat}")
        return d.show_schemas(catalog, cat, like, access)
    if kind in ("TABLES", "VIEWS", "VOLUMES", "TABLE EXTENDED"):
        cat, sch = schema_name(scope, ctx)
        if not access.sees_schema(catalog.get_schema(cat, sch)):
            raise g.denied_use(ctx, "USE SCHEMA", f"schema {cat}.{sch}")
        fn = {"TABLES": d.show_tables, "VIEWS": d.show_views, "VOLUMES": d.show_volumes,
              "TABLE EXTENDED": d.show_table_extended}[kind]
        return fn(catalog, cat, sch, like, access)
    if kind == "CURRENT SCHEMA":
        return Rows(columns=[("catalog", "string"), ("namespace", "string")], rows=[(ctx.catalog, ctx.schema)])
    if kind == "FUNCTIONS":
        return show_functions(like)
    if kind == "SYSTEM FUNCTIONS":
        pattern = f" LIKE {exp.Literal.string(like).sql(dialect='spark')}" if like else ""
        return SparkQuery(spark_sql="SHOW SYSTEM FUNCTIONS" + pattern)
    target = stmt.args.get("target")
    info = resolve_object(Resolution(ctx, catalog), target)
    g.may_describe(access, info)
    if kind == "CREATE TABLE":
        if info.kind == VOLUME:
            raise InvalidArgument(f"{info.full_name} is a volume, not a table")
        return d.show_create_table(info)
    if kind == "COLUMNS":
        if scope:  # SHOW COLUMNS IN t IN schema
            info = resolve_object(Resolution(ctx, catalog), list(scope) + [target[-1]])
            g.may_describe(access, info)
        return d.show_columns(info)
    _require_table(info, f"SHOW {kind}")
    if kind == "PARTITIONS":
        access.require_object(info, "SELECT")  # read from the data
    if kind == "TBLPROPERTIES":
        if info.format == "parquet":
            return Rows(columns=[("key", "string"), ("value", "string")], rows=sorted(info.properties.items()))
        return SparkQuery(spark_sql=f"SHOW TBLPROPERTIES {to_spark(physical_table(info))}", needs=Needs(reads=[info]))
    if kind == "PARTITIONS":
        if not info.partitioned_by:
            raise InvalidArgument(f"{info.full_name} is not partitioned",
                                  error_class="INVALID_PARTITION_OPERATION.PARTITION_SCHEMA_IS_EMPTY")
        return SparkQuery(spark_sql=to_spark(_partitions_query(info)), needs=Needs(reads=[info]))
    raise UnsupportedStatement(f"SHOW {kind} is not supported")


def _partitions_query(info: ObjectInfo) -> exp.Select:
    """SHOW PARTITIONS as Spark answers it: one `c1=v1/c2=v2` string per distinct partition."""
    parts = []
    for c in info.partitioned_by:
        value = exp.func("coalesce", exp.cast(exp.column(c, quoted=True), "string"),
                         exp.Literal.string("__HIVE_DEFAULT_PARTITION__"))
        parts += [exp.Literal.string("/")] if parts else []
        parts += [exp.Literal.string(f"{c}="), value]
    partition = exp.alias_(exp.func("concat", *parts), "partition")
    return (exp.select(partition).distinct().from_(physical_table(info)).order_by(exp.column("partition")))


def _require_table(info: ObjectInfo, what: str) -> None:
    if info.kind != TABLE:
        raise InvalidArgument(f"{what} needs a table; {info.full_name} is a {info.kind.lower()}")


def _plan_describe(stmt: ll.DescribeObject, catalog: Catalog, ctx) -> Plan:
    kind, parts, extended = stmt.args.get("kind"), stmt.this, bool(stmt.args.get("extended"))
    access = ctx.access
    if kind == "CATALOG":
        c = catalog.get_catalog(".".join(parts))
        if not access.sees_catalog(c):
            raise g.denied_use(ctx, "BROWSE", f"catalog {c.name}")
        return d.info_rows([("Catalog Name", c.name), ("Comment", c.comment), ("Owner", c.owner),
                            ("Created Time", c.created_at)])
    if kind == "SCHEMA":
        s = catalog.get_schema(*schema_name(parts, ctx))
        if not access.sees_schema(s):
            raise g.denied_use(ctx, "BROWSE", f"schema {s.full_name}")
        pairs = [("Catalog Name", s.catalog), ("Namespace Name", s.name), ("Comment", s.comment),
                 ("Owner", s.owner), ("Created Time", s.created_at)]
        if extended:
            pairs.append(("Properties", s.properties))
        return d.info_rows(pairs)
    if kind == "FUNCTION":
        ours = describe_function(".".join(parts), extended) if len(parts) == 1 else None
        if ours is not None:
            return ours
        name = ".".join(exp.to_identifier(p).sql(dialect="spark") for p in parts)
        return SparkQuery(spark_sql=f"DESCRIBE FUNCTION {'EXTENDED ' if extended else ''}{name}")
    if kind == "VOLUME":
        info = catalog.get_object(*full_name(parts, ctx), kinds=(VOLUME,))
        g.may_describe(access, info)
        return d.describe_volume(info)
    if kind in (None, "TABLE") and len(parts) == 1 and parts[0].lower() in ctx.temp_views:
        # A session's temporary view (dbt describes its __dbt_tmp views): its query's columns.
        plan = _plan_query(exp.select("*").from_(exp.to_table(parts[0])), catalog, ctx)
        return SparkQuery(spark_sql=f"DESCRIBE QUERY {plan.spark_sql}", needs=plan.needs)
    info = resolve_object(Resolution(ctx, catalog), parts)
    g.may_describe(access, info)
    if kind == "HISTORY":
        _require_table(info, "DESCRIBE HISTORY")
        access.require_object(info, "SELECT")
        if info.format == "delta":
            return SparkQuery(spark_sql=f"DESCRIBE HISTORY {to_spark(physical_table(info))}", needs=Needs(reads=[info]))
        if info.format == "iceberg":
            return SparkQuery(spark_sql=to_spark(_iceberg_history(info)), needs=Needs(reads=[info]))
        raise Unsupported(f"DESCRIBE HISTORY: {info.full_name} is a parquet table, which keeps no history")
    if info.kind == VOLUME:
        return d.describe_volume(info)
    return d.describe_table(info, extended, _visible_lineage(catalog, access, info) if extended else None)


def _visible_lineage(catalog: Catalog, access, info: ObjectInfo) -> dict[str, list[str]]:
    """The table's upstream and downstream names, only those the user may see."""
    lineage = catalog.lineage_of(info.full_name)
    if access.admin:
        return lineage

    def visible(name: str) -> bool:
        try:
            return access.sees_object(catalog.get_object(*name.split(".")))
        except (NotFound, InvalidArgument, TypeError):
            return False

    return {k: [n for n in names if visible(n)] for k, names in lineage.items()}


def _plan_describe_lineage(stmt: ll.DescribeLineage, catalog: Catalog, ctx) -> Plan:
    info = resolve_object(Resolution(ctx, catalog), stmt.this)
    g.may_describe(ctx.access, info)
    depth = stmt.args.get("depth")
    depth = 1 if depth is None else depth
    if not isinstance(depth, int) or not 1 <= depth <= 100:
        raise InvalidArgument(f"DESCRIBE LINEAGE ... DEPTH takes 1 to 100, not {depth}")
    rows = lin.walk(catalog, ctx.access, info.full_name, stmt.args.get("direction"), depth)
    return Rows(columns=[("direction", "string"), ("depth", "int"), ("source_table_full_name", "string"),
                         ("source_type", "string"), ("target_table_full_name", "string"), ("target_type", "string"),
                         ("functions", "string"), ("operation", "string"), ("event_time", "timestamp")], rows=rows)


# ---------------------------------------------------------------------------- volumes
def _iceberg_history(info: ObjectInfo) -> exp.Select:
    """DESCRIBE HISTORY of an Iceberg table, in the columns Delta's history has."""
    return (exp.select("h.snapshot_id AS version", "h.made_current_at AS timestamp", "s.operation",
                       "s.summary AS operationParameters", "h.parent_id AS readVersion", "h.is_current_ancestor",
                       dialect="spark")
            .from_(iceberg_metadata_table(info, "history", "h"))
            .join(iceberg_metadata_table(info, "snapshots", "s"), on="h.snapshot_id = s.snapshot_id",
                  join_type="left", dialect="spark")
            .order_by("h.made_current_at DESC", dialect="spark"))


def _open_volume(catalog: Catalog, ctx, path: str, privilege: str):
    """The files of the volume a path names, once the principal holds `privilege` on it."""
    files, rel = catalog.open_volume(path, by=ctx.user)
    ctx.access.require_object(files.info, privilege)
    return files, rel


def _plan_list(stmt: ll.ListFiles, catalog, ctx):
    files, rel = _open_volume(catalog, ctx, stmt.this, "READ VOLUME")
    return CatalogCommand(describe=f"list {stmt.this}", run=lambda c: d.list_files(files.list(rel)))


def _plan_remove(stmt: ll.RemoveFiles, catalog, ctx):
    files, rel = _open_volume(catalog, ctx, stmt.this, "WRITE VOLUME")
    recursive = bool(stmt.args.get("recursive"))
    return CatalogCommand(describe=f"remove {stmt.this}", run=lambda c: Rows(
        columns=[("path", "string"), ("files_removed", "bigint")],
        rows=[(stmt.this, files.remove(rel, recursive=recursive))]))


def _external_location(catalog: Catalog, ctx, location: str, privilege: str, for_name: str | None = None) -> str:
    """An external table's or volume's location: the privilege on its external location first,
    then the catalog's checks (which name the object it overlaps: only to those who see all)."""
    _may_use_location(ctx, location, privilege)
    try:
        return catalog.external_location(location, ctx.principal, ctx.policy, for_name=for_name)
    except PermissionDenied as e:
        if ctx.access.admin or "overlaps the storage of" not in e.message:
            raise
        raise PermissionDenied(f"location {location!r} overlaps the storage of another table or volume; "
                               "choose a directory of its own") from None


def _may_use_location(ctx, path: str, privilege: str) -> None:
    """External storage for a remote principal: `privilege` on the external location holding it."""
    if not ctx.remote or ctx.access.admin:
        return
    root = g.location_of(path, ctx)
    if root is None or not ctx.access.on_location(root, privilege):
        raise PermissionDenied(f"user {ctx.user} lacks {privilege} on external location {root or path}")


def _server_path(ctx: SessionContext, path: str, statement: str, catalog: Catalog) -> None:
    """A remote principal never names a server path, unless an admin allowed its directory
    (and even then never inside the warehouse or the lakelens home)."""
    if not ctx.remote:
        return
    if not any(within(path, root) for root in ctx.policy.local_paths) or any(
            within(path, p) for _, p in catalog.protected):
        raise PermissionDenied(
            f"{statement} names a file on the server ({path!r}); remote sessions move files with the Files API "
            "(PUT/GET /api/2.0/fs/files/Volumes/... on the gateway's HTTP port, `lakelens cp --server`, or "
            "`lakelens shell --connect`, which runs PUT/GET from your machine)")
    if os.path.isdir(path) and escaping_link(path) is not None:
        raise PermissionDenied(f"{statement}: {path!r} holds a symbolic link that leads outside it")


def _plan_put(stmt: ll.PutFile, catalog, ctx):
    _server_path(ctx, stmt.this, "PUT", catalog)
    files, rel = _open_volume(catalog, ctx, stmt.args["target"], "WRITE VOLUME")
    if stmt.args["target"].endswith("/") and rel:
        rel += "/"  # "INTO '/Volumes/c/s/v/dir/'" means into that directory
    overwrite = bool(stmt.args.get("overwrite"))
    return CatalogCommand(describe=f"put {stmt.this}", run=lambda c: Rows(
        columns=[("path", "string")], rows=[(p,) for p in files.put(stmt.this, rel, overwrite=overwrite)]))


def _plan_get(stmt: ll.GetFile, catalog, ctx):
    _server_path(ctx, stmt.args["target"], "GET", catalog)
    files, rel = _open_volume(catalog, ctx, stmt.this, "READ VOLUME")
    overwrite = bool(stmt.args.get("overwrite"))
    return CatalogCommand(describe=f"get {stmt.this}", run=lambda c: Rows(
        columns=[("local_path", "string")],
        rows=[(p,) for p in files.get(rel, stmt.args["target"], overwrite=overwrite)]))


def _plan_create_volume(stmt: ll.CreateVolume, catalog, ctx):
    cat, sch, name = full_name(stmt.this, ctx)
    _may_create_in(catalog, ctx, cat, sch, "CREATE VOLUME")
    location = stmt.args.get("location")
    if location is not None:
        location = _external_location(catalog, ctx, location, "CREATE EXTERNAL VOLUME", f"{cat}.{sch}.{name}")
    return CatalogCommand(describe=f"create volume {cat}.{sch}.{name}", run=lambda c: c.create_volume(
        cat, sch, name, location=location, comment=stmt.args.get("comment"), owner=ctx.user,
        if_not_exists=bool(stmt.args.get("exists"))))


def _plan_drop_volume(stmt: ll.DropVolume, catalog, ctx):
    cat, sch, name = full_name(stmt.this, ctx)

    def run(c: Catalog) -> None:
        try:
            info = c.get_object(cat, sch, name, kinds=(VOLUME,))
        except NotFound as e:
            if stmt.args.get("exists") and e.kind == "volume":
                return
            raise
        _may_manage_object(ctx, info)
        c.drop_object(info, by=ctx.user, purge=bool(stmt.args.get("purge")))

    return CatalogCommand(describe=f"drop volume {cat}.{sch}.{name}", run=run)


# ---------------------------------------------------------------------------- tables
def _properties(stmt: exp.Create) -> dict:
    out = {"format": "delta", "location": None, "comment": None, "partitioned_by": [], "tblproperties": {}}
    props = stmt.args.get("properties")
    keep = []
    for p in props.expressions if props else []:
        if isinstance(p, exp.FileFormatProperty):
            out["format"] = p.this.name.lower()
        elif isinstance(p, exp.LocationProperty):
            out["location"] = p.this.name
        elif isinstance(p, exp.SchemaCommentProperty):
            out["comment"] = p.this.name
            keep.append(p)
        elif isinstance(p, exp.PartitionedByProperty):
            schema = p.this
            cols = schema.expressions if isinstance(schema, exp.Schema) else [schema]
            out["partitioned_by"] = [c.name.lower() for c in cols]
            keep.append(p)
        elif isinstance(p, exp.Property):
            out["tblproperties"][p.this.name if isinstance(p.this, exp.Literal) else p.name] = p.args["value"].name
            keep.append(p)
        else:
            keep.append(p)
    out["keep"] = keep
    return out


def _plan_create_table(stmt: exp.Create, catalog: Catalog, ctx) -> Plan:
    target = stmt.this.this if isinstance(stmt.this, exp.Schema) else stmt.this
    cat, sch, name = full_name(table_parts(target), ctx)
    _may_create_in(catalog, ctx, cat, sch, "CREATE TABLE")
    p = _properties(stmt)
    fmt = p["format"]
    if fmt not in FORMATS:
        raise Unsupported(f"table format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    existing = None
    try:
        existing = catalog.get_object(cat, sch, name)
    except NotFound:
        pass
    replace = bool(stmt.args.get("replace"))
    if existing is not None:
        if stmt.args.get("exists"):
            return Rows(columns=[], rows=[])  # CREATE TABLE IF NOT EXISTS of an existing table: nothing to do
        if not replace:
            raise AlreadyExists("table", existing.full_name)
        if existing.kind != TABLE:
            raise InvalidArgument(f"CREATE OR REPLACE TABLE cannot replace {existing.kind.lower()} {existing.full_name}")
        if existing.format != fmt:
            raise InvalidArgument(
                f"CREATE OR REPLACE TABLE cannot change {existing.full_name} from {existing.format} to {fmt}; drop it first")
        _may_manage_object(ctx, existing)
    if p["location"] and fmt == "iceberg":
        raise Unsupported("external Iceberg tables (LOCATION) are not supported yet; create a managed Iceberg table")
    if p["location"] and existing is None:
        p["location"] = _external_location(catalog, ctx, p["location"], "CREATE EXTERNAL TABLE")
    key = existing.storage_key if existing else catalog.new_storage_key()
    external = bool(p["location"]) if existing is None else existing.storage == "EXTERNAL"
    location = (existing.location if existing else (p["location"] or catalog.managed_location(TABLE, fmt, key)))
    res = Resolution(ctx, catalog)
    query = stmt.expression
    if query is not None:
        query = resolve_query(query.copy(), res)
    info_stub = _stub(cat, sch, name, fmt, location, key)
    spark_sql = columns_ddl = None
    if fmt == "parquet":
        if query is not None:
            spark_sql = to_spark(query)
        elif isinstance(stmt.this, exp.Schema):
            columns_ddl = ", ".join(c.sql("spark") for c in stmt.this.expressions)
        else:
            raise InvalidArgument("CREATE TABLE needs columns or AS SELECT")
    else:
        new = stmt.copy()
        ref = physical_table(info_stub)
        if isinstance(new.this, exp.Schema):
            new.this.set("this", ref)
        else:
            new.set("this", ref)
        keep = [exp.FileFormatProperty(this=exp.Var(this=fmt))] + [k.copy() for k in p["keep"]]
        new.set("properties", exp.Properties(expressions=keep))
        new.set("exists", False)
        if query is not None:
            new.set("expression", query)
        if existing is not None:
            new.set("replace", True)
        spark_sql = to_spark(new)
    return CreateTable(
        catalog=cat, schema=sch, name=name, format=fmt, storage_key=key, location=location, external=external,
        spark_sql=spark_sql, columns_ddl=columns_ddl, comment=p["comment"],
        properties=p["tblproperties"], partitioned_by=p["partitioned_by"], replace_existing=existing,
        needs=res.needs(),
        lineage=lin.of_query(stmt.expression, res.direct, ctx, match="name") if query is not None else None)


def _stub(cat, sch, name, fmt, location, key) -> ObjectInfo:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    return ObjectInfo(id=0, catalog=cat, schema=sch, name=name, kind=TABLE, storage=None, format=fmt,
                      location=location, view_text=None, columns=(), owner="", comment=None, properties={},
                      created_at=now, updated_at=now, storage_key=key)


def _plan_create_view(stmt: exp.Create, catalog: Catalog, ctx) -> Plan:
    target = stmt.this.this if isinstance(stmt.this, exp.Schema) else stmt.this
    if stmt.args.get("temporary") or (stmt.args.get("properties") and any(
            isinstance(p, exp.TemporaryProperty) for p in stmt.args["properties"].expressions)):
        return _plan_temp_view(stmt, target, catalog, ctx)
    cat, sch, name = full_name(table_parts(target), ctx)
    _may_create_in(catalog, ctx, cat, sch, "CREATE TABLE")
    if stmt.args.get("replace"):
        try:
            _may_manage_object(ctx, catalog.get_object(cat, sch, name))
        except NotFound:
            pass
    comment = None
    props = stmt.args.get("properties")
    for p in props.expressions if props else []:
        if isinstance(p, exp.SchemaCommentProperty):
            comment = p.this.name
    view_text = qualify_names(stmt.expression.copy(), ctx).sql("spark")
    res = Resolution(ctx, catalog)
    resolved = resolve_query(stmt.expression.copy(), res)
    return CreateView(catalog=cat, schema=sch, name=name, view_text=view_text, spark_sql=to_spark(resolved),
                      comment=comment, replace=bool(stmt.args.get("replace")),
                      if_not_exists=bool(stmt.args.get("exists")), needs=res.needs(),
                      lineage=lin.of_query(stmt.expression, res.direct, res.ctx, match="name"))


def _plan_temp_view(stmt: exp.Create, target: exp.Table, catalog: Catalog, ctx) -> Plan:
    """Temporary views live in the session (dbt's incremental models use them), named by one part."""
    parts = table_parts(target)
    if len(parts) != 1:
        raise InvalidArgument(f"a temporary view has a one-part name, not {'.'.join(parts)}")
    if stmt.expression is None:
        raise Unsupported("CREATE TEMPORARY VIEW ... USING reads a path behind the catalog's back; use "
                          "CREATE TEMPORARY VIEW v AS SELECT * FROM read_files('/Volumes/...', format => ...)")
    view_text = qualify_names(stmt.expression.copy(), ctx).sql("spark")
    res = Resolution(ctx, catalog)
    resolved = resolve_query(stmt.expression.copy(), res)
    return TempView(name=parts[0].lower(), view_text=view_text, spark_sql=to_spark(resolved),
                    replace=bool(stmt.args.get("replace")), if_not_exists=bool(stmt.args.get("exists")),
                    needs=res.needs())


def _dml_target(table: exp.Expression, res: Resolution, operation: str) -> tuple[ObjectInfo, exp.Table]:
    inner = table.this if isinstance(table, exp.Schema) else table
    if not isinstance(inner, exp.Table):
        raise Unsupported(f"{operation} into {inner.sql('spark')[:100]}: only tables of the catalog can be "
                          "written (INSERT OVERWRITE DIRECTORY writes server paths)")
    info = resolve_object(res, table_parts(inner))
    if info.kind != TABLE:
        raise InvalidArgument(f"{operation} needs a table; {info.full_name} is a {info.kind.lower()}")
    ref = physical_table(info)
    return info, ref


def _plan_dml(stmt: exp.Expression, catalog: Catalog, ctx) -> Plan:
    operation = {exp.Insert: "INSERT", exp.Merge: "MERGE", exp.Update: "UPDATE", exp.Delete: "DELETE"}[type(stmt)]
    # Column-level lineage follows an INSERT's query; the others record their sources only.
    source_query = stmt.expression if operation == "INSERT" else None
    stmt = stmt.copy()
    res = Resolution(ctx, catalog)
    target_node = stmt.this
    inner = target_node.this if isinstance(target_node, exp.Schema) else target_node
    info, ref = _dml_target(target_node, res, operation)
    ctx.access.require_object(info, "MODIFY")
    if operation != "INSERT":
        ctx.access.require_object(info, "SELECT")  # UPDATE, DELETE and MERGE read the target too
        ref.set("alias", inner.args.get("alias") or exp.TableAlias(this=exp.to_identifier(info.name)))
    if info.format == "parquet":
        return _plan_parquet_insert(stmt, target_node, inner, info, res, operation)
    # The target is a write, not a read: park it behind a placeholder while reads resolve.
    placeholder = exp.Table(this=exp.to_identifier(f"__lakelens_target_{uuid.uuid4().hex}__"))
    inner.replace(placeholder)
    res.placeholders.add(placeholder.name)
    resolved = resolve_query(stmt, res)
    if info.format == "delta":
        # Delta cannot read the MERGE target through the same path reference as it writes
        # (`Table does not support reads`, e.g. dbt's incremental source filtered on
        # `max(updated_at)` of {{ this }}): the statement's reads name the same directory
        # as a file: URI, which Delta resolves as a separate, readable relation.
        for table in resolved.find_all(exp.Table):
            if table.name == info.location and (table.text("db") or "").lower() == "delta":
                table.set("this", exp.to_identifier(f"file:{info.location}", quoted=True))
    for table in resolved.find_all(exp.Table):
        if table.name == placeholder.name:
            table.replace(ref)
            break
    return SparkWrite(spark_sql=to_spark(resolved), target=info, operation=operation, needs=res.needs(),
                      lineage=lin.of_query(source_query, res.direct, ctx, **_insert_match(stmt, target_node)))


def _insert_match(stmt: exp.Expression, target_node: exp.Expression) -> dict:
    """How an INSERT's query columns land in the table (for lineage): its column list, BY NAME,
    or by position."""
    if isinstance(target_node, exp.Schema):
        return {"match": "list", "columns": tuple(c.name for c in target_node.expressions)}
    return {"match": "name" if stmt.args.get("by_name") else "position"}


def _plan_parquet_insert(stmt: exp.Insert, target_node, inner: exp.Table, info: ObjectInfo, res: Resolution,
                         operation: str) -> Plan:
    """A Parquet table has no transaction log: INSERT [OVERWRITE] runs as a DataFrame write of
    the query (the engine maps its columns onto the table's, as Spark's INSERT does)."""
    if operation != "INSERT":
        raise Unsupported(f"{operation} on parquet table {info.full_name}: only INSERT [OVERWRITE] is supported; "
                          "use a Delta or Iceberg table for updates")
    partition = inner.args.get("partition")
    if partition is not None:
        if not all(isinstance(e, exp.Column) for e in partition.expressions):
            raise Unsupported(f"INSERT into parquet table {info.full_name} with static partition values; name the "
                              "partition columns only (PARTITION (col)) and select their values")
        named = [e.name.lower() for e in partition.expressions]
        if named != [p.lower() for p in info.partitioned_by]:
            raise InvalidArgument(f"{info.full_name} is partitioned by ({', '.join(info.partitioned_by)}), "
                                  f"not ({', '.join(named)})", error_class="PARTITIONS_NOT_FOUND", sqlstate="428FT")
    columns = tuple(c.name for c in target_node.expressions) if isinstance(target_node, exp.Schema) else None
    query = resolve_query(stmt.expression.copy(), res)
    return SparkWrite(spark_sql=to_spark(query), target=info, operation=operation, append_query=True,
                      overwrite=bool(stmt.args.get("overwrite")), insert_columns=columns,
                      by_name=bool(stmt.args.get("by_name")), needs=res.needs(),
                      lineage=lin.of_query(stmt.expression, res.direct, res.ctx, **_insert_match(stmt, target_node)))


def _plan_alter(stmt: exp.Alter, catalog: Catalog, ctx) -> Plan:
    kind = (stmt.args.get("kind") or "").upper()
    res = Resolution(ctx, catalog)
    info = resolve_object(res, table_parts(stmt.this))
    _may_manage_object(ctx, info)
    actions = stmt.args.get("actions") or []
    if len(actions) == 1 and isinstance(actions[0], exp.AlterRename):
        new = ".".join(table_parts(actions[0].this))
        return CatalogCommand(describe=f"rename {info.full_name}",
                              run=lambda c: c.update_object(info, rename_to=new))
    if kind == "VIEW" or info.kind == VIEW:
        raise Unsupported("ALTER VIEW: use CREATE OR REPLACE VIEW")
    _require_table(info, "ALTER TABLE")
    if any(isinstance(a, exp.AlterSet) and a.args.get("location") for a in actions) or any(
            a.find(exp.LocationProperty) for a in actions):
        raise Unsupported(f"ALTER TABLE {info.full_name}: a table's location is set when it is created")
    if info.format == "parquet":
        raise Unsupported(f"ALTER TABLE on parquet table {info.full_name}; only RENAME TO is supported")
    new = stmt.copy()
    new.set("this", physical_table(info))
    if len(actions) > 1 and all(isinstance(a, exp.ColumnDef) for a in actions):
        # `ADD COLUMNS a string, b string` (dbt's on_schema_change) parses as one action per
        # column, which sqlglot writes as `ADD COLUMN a …, ADD COLUMN b …`: not Spark's grammar.
        defs = ", ".join(to_spark(a) for a in actions)
        return SparkWrite(spark_sql=f"ALTER TABLE {to_spark(physical_table(info))} ADD COLUMNS ({defs})", target=info,
                          operation="ALTER")
    return SparkWrite(spark_sql=to_spark(new), target=info, operation="ALTER")


def _plan_restore(stmt: ll.RestoreTable, catalog: Catalog, ctx) -> Plan:
    info = resolve_object(Resolution(ctx, catalog), stmt.this)
    _require_table(info, "RESTORE")
    ctx.access.require_object(info, "MODIFY")
    version, ts = stmt.args.get("version"), stmt.args.get("timestamp")
    point = exp.Literal.number(int(version)) if version is not None else exp.Literal.string(str(ts))
    if info.format == "delta":
        clause = f"VERSION AS OF {to_spark(point)}" if version is not None else f"TIMESTAMP AS OF {to_spark(point)}"
        return SparkWrite(spark_sql=f"RESTORE TABLE {to_spark(physical_table(info))} TO {clause}", target=info,
                          operation="RESTORE")
    if info.format == "iceberg":
        ref = physical_table(info)
        table = exp.Literal.string(f"{ref.db}.{ref.name}")  # the procedure takes 'namespace.table'
        if version is not None:
            call = exp.func("rollback_to_snapshot", table, point)
        else:
            call = exp.func("rollback_to_timestamp", table, exp.cast(point, "timestamp"))
        return SparkWrite(spark_sql=f"CALL {ICEBERG_SPARK_CATALOG}.system.{to_spark(call)}", target=info,
                          operation="RESTORE")
    raise Unsupported(f"RESTORE TABLE {info.full_name}: a parquet table keeps no versions")


def _plan_set(stmt: exp.Set, catalog, ctx) -> Plan:
    for item in stmt.expressions:
        eq = item.this
        if isinstance(eq, exp.EQ):
            key = ".".join(p.name for p in eq.this.parts) if isinstance(eq.this, (exp.Column, exp.Dot)) \
                else eq.this.name
            check_setting(ctx.principal, ctx.policy, key)
        elif ctx.remote:
            raise PermissionDenied(f"SET form not available to remote sessions: {item.sql('spark')[:200]}")
    # Spark takes everything after `=` as the value: a comment the client put before the
    # statement (dbt's query header), which sqlglot attaches to a node, must not follow it.
    clean = stmt.copy()
    for node in clean.walk():
        node.comments = None
    return SparkQuery(spark_sql=clean.sql("spark"))


def _plan_explain(stmt: ll.ExplainStatement, catalog, ctx) -> Plan:
    return Explain(inner=plan_statement(stmt.this, catalog, ctx), mode=stmt.args.get("mode"))


def _plan_describe_native(stmt: exp.Describe, catalog, ctx) -> Plan:
    # DESCRIBE QUERY / DESCRIBE (SELECT ...): describe the resolved query's output.
    inner = stmt.this
    if isinstance(inner, QUERY_TYPES):
        plan = _plan_query(inner, catalog, ctx)
        return SparkQuery(spark_sql=f"DESCRIBE QUERY {plan.spark_sql}", needs=plan.needs)
    raise UnsupportedStatement("DESCRIBE form not supported")


_HANDLERS = {
    ll.CreateCatalog: _plan_create_catalog,
    ll.DropCatalog: _plan_drop_catalog,
    ll.AlterCatalog: _plan_alter_catalog,
    ll.AlterObject: _plan_alter_object,
    ll.CreateVolume: _plan_create_volume,
    ll.DropVolume: _plan_drop_volume,
    ll.ShowObjects: _plan_show,
    ll.DescribeObject: _plan_describe,
    ll.CommentOn: _plan_comment,
    ll.ListFiles: _plan_list,
    ll.RemoveFiles: _plan_remove,
    ll.PutFile: _plan_put,
    ll.GetFile: _plan_get,
    ll.RestoreTable: _plan_restore,
    ll.ShowDropped: recycle.plan_show_dropped,
    ll.Undrop: recycle.plan_undrop,
    ll.ListVersions: recycle.plan_list_versions,
    ll.RestoreFile: recycle.plan_restore_file,
    ll.ExplainStatement: _plan_explain,
    ll.DescribeLineage: _plan_describe_lineage,
    ll.GrantStatement: g.plan_grant,
    ll.ShowGrants: g.plan_show_grants,
    ll.UserCommand: g.plan_user,
    ll.GroupCommand: g.plan_group,
    ll.WorkspaceCommand: workspaces.plan_workspace,
    exp.Create: _plan_create,
    exp.Drop: _plan_drop,
    exp.Use: _plan_use,
    exp.Insert: _plan_dml,
    exp.Merge: _plan_dml,
    exp.Update: _plan_dml,
    exp.Delete: _plan_dml,
    exp.Alter: _plan_alter,
    exp.Set: _plan_set,
    exp.Describe: _plan_describe_native,
}
