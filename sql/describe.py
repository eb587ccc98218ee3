"""Answers to SHOW and DESCRIBE built from the catalog alone (bulk, never one Spark call per table)."""

from __future__ import annotations

from lakelens.catalog import TABLE, VIEW, VOLUME, Catalog, ObjectInfo
from lakelens.catalog.grants import Access

from .plans import Rows

STRING, BOOL, INT, BIGINT, TS = "string", "boolean", "int", "bigint", "timestamp"


def show_catalogs(catalog: Catalog, like: str | None, access: Access) -> Rows:
    return Rows([("catalog", STRING)], [(c.name,) for c in catalog.list_catalogs(like) if access.sees_catalog(c)])


def show_schemas(catalog: Catalog, cat: str, like: str | None, access: Access) -> Rows:
    return Rows([("databaseName", STRING)],
                [(s.name,) for s in catalog.list_schemas(cat, like) if access.sees_schema(s)])


def _objects(catalog: Catalog, cat: str, schema: str, kinds, like, access: Access) -> list[ObjectInfo]:
    return [o for o in catalog.list_objects(cat, schema, kinds=kinds, like=like) if access.sees_object(o)]


def show_tables(catalog: Catalog, cat: str, schema: str, like: str | None, access: Access) -> Rows:
    # Table name first: PyHive and Superset read row[0] as the table name (Hive's shape);
    # Spark's columns follow so Spark-minded tools still find `database` and `isTemporary`.
    objs = _objects(catalog, cat, schema, (TABLE, VIEW), like, access)
    return Rows([("tableName", STRING), ("database", STRING), ("isTemporary", BOOL)],
                [(o.name, o.schema, False) for o in objs])


def show_views(catalog: Catalog, cat: str, schema: str, like: str | None, access: Access) -> Rows:
    objs = _objects(catalog, cat, schema, (VIEW,), like, access)
    return Rows([("viewName", STRING), ("namespace", STRING), ("isTemporary", BOOL)],
                [(o.name, o.schema, False) for o in objs])


def show_volumes(catalog: Catalog, cat: str, schema: str, like: str | None, access: Access) -> Rows:
    objs = _objects(catalog, cat, schema, (VOLUME,), like, access)
    return Rows([("database_name", STRING), ("volume_name", STRING)], [(o.schema, o.name) for o in objs])


def _schema_tree(obj: ObjectInfo) -> str:
    lines = ["root"] + [f" |-- {c.name}: {c.type} (nullable = {str(c.nullable).lower()})" for c in obj.columns]
    return "\n".join(lines)


def table_information(obj: ObjectInfo) -> str:
    """The `information` text of SHOW TABLE EXTENDED, in the layout dbt-spark parses."""
    lines = [
        f"Catalog: {obj.catalog}",
        f"Database: {obj.schema}",
        f"Table: {obj.name}",
        f"Owner: {obj.owner}",
        f"Created Time: {obj.created_at:%a %b %d %H:%M:%S UTC %Y}",
        f"Type: {obj.table_type}",
    ]
    if obj.kind == TABLE:
        lines.append(f"Provider: {obj.format}")
        lines.append(f"Location: {obj.location}")
    if obj.kind == VIEW:
        lines.append(f"View Text: {obj.view_text}")
    if obj.comment:
        lines.append(f"Comment: {obj.comment}")
    if obj.properties:
        props = ", ".join(f"{k}={v}" for k, v in sorted(obj.properties.items()))
        lines.append(f"Table Properties: [{props}]")
    if obj.partitioned_by:
        lines.append(f"Partition Columns: [{', '.join(obj.partitioned_by)}]")
    lines.append(f"Schema: {_schema_tree(obj)}")
    return "\n".join(lines) + "\n"


def show_table_extended(catalog: Catalog, cat: str, schema: str, like: str | None, access: Access) -> Rows:
    objs = _objects(catalog, cat, schema, (TABLE, VIEW), like or "*", access)
    return Rows([("database", STRING), ("tableName", STRING), ("isTemporary", BOOL), ("information", STRING)],
                [(o.schema, o.name, False, table_information(o)) for o in objs])


def describe_table(obj: ObjectInfo, extended: bool, lineage: dict | None = None) -> Rows:
    rows = [(c.name, c.type, c.comment) for c in obj.columns]
    if obj.partitioned_by:
        types = {c.name: c.type for c in obj.columns}
        rows += [("# Partition Information", "", ""), ("# col_name", "data_type", "comment")]
        rows += [(p, types.get(p, ""), None) for p in obj.partitioned_by]
    if extended:
        rows += [("", "", ""), ("# Detailed Table Information", "", "")]
        detail = [("Catalog", obj.catalog), ("Database", obj.schema), ("Table", obj.name),
                  ("Owner", obj.owner), ("Created Time", f"{obj.created_at:%Y-%m-%d %H:%M:%S} UTC"),
                  ("Last Access", "UNKNOWN"), ("Type", obj.table_type)]
        if obj.kind == TABLE:
            detail += [("Provider", obj.format), ("Location", obj.location)]
        if obj.kind == VIEW:
            detail += [("View Text", obj.view_text)]
        if obj.comment:
            detail.append(("Comment", obj.comment))
        if obj.properties:
            detail.append(("Table Properties",
                           "[" + ", ".join(f"{k}={v}" for k, v in sorted(obj.properties.items())) + "]"))
        if lineage:
            if lineage.get("upstream"):
                detail.append(("Upstream", ", ".join(lineage["upstream"])))
            if lineage.get("downstream"):
                detail.append(("Downstream", ", ".join(lineage["downstream"])))
        rows += [(k, v, "") for k, v in detail]
    return Rows([("col_name", STRING), ("data_type", STRING), ("comment", STRING)], rows)


def describe_volume(obj: ObjectInfo) -> Rows:
    return Rows(
        [("name", STRING), ("catalog", STRING), ("database", STRING), ("owner", STRING),
         ("storage_location", STRING), ("volume_type", STRING), ("comment", STRING), ("created_at", TS)],
        [(obj.name, obj.catalog, obj.schema, obj.owner, obj.location, obj.storage, obj.comment, obj.created_at)])


def info_rows(pairs: list[tuple[str, object]]) -> Rows:
    return Rows([("info_name", STRING), ("info_value", STRING)],
                [(k, "" if v is None else str(v)) for k, v in pairs])


def show_create_table(obj: ObjectInfo) -> Rows:
    if obj.kind == VIEW:
        text = f"CREATE VIEW {obj.full_name}"
        if obj.comment:
            text += f"\nCOMMENT '{obj.comment}'"
        text += f" AS\n{obj.view_text}\n"
    else:
        cols = ",\n".join(
            f"  {c.name} {c.type.upper()}{'' if c.nullable else ' NOT NULL'}"
            + (f" COMMENT '{c.comment}'" if c.comment else "")
            for c in obj.columns)
        text = f"CREATE TABLE {obj.full_name} (\n{cols})\nUSING {obj.format}\n"
        if obj.partitioned_by:
            text += f"PARTITIONED BY ({', '.join(obj.partitioned_by)})\n"
        if obj.storage == "EXTERNAL":
            text += f"LOCATION '{obj.location}'\n"
        if obj.comment:
            text += f"COMMENT '{obj.comment}'\n"
        if obj.properties:
            text += "TBLPROPERTIES (\n" + ",\n".join(
                f"  '{k}' = '{v}'" for k, v in sorted(obj.properties.items())) + ")\n"
    return Rows([("createtab_stmt", STRING)], [(text,)])


def show_columns(obj: ObjectInfo) -> Rows:
    return Rows([("col_name", STRING)], [(c.name,) for c in obj.columns])


def list_files(entries) -> Rows:
    return Rows([("path", STRING), ("name", STRING), ("size", BIGINT), ("modification_time", TS)],
                [(e.path, e.name, e.size, e.modification_time) for e in entries])
