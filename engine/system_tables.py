"""Rows of the system tables (sql/system.py names them and their columns)."""

from __future__ import annotations

from lakelens.sql.plans import SystemTableRead, VolumeListing


def udf_pools(session) -> list[dict]:
    """Pools in the Ray cluster this process uses; none before Ray has started (never starts it)."""
    from lakelens.engine.runtime import Runtime

    if not Runtime.get().ray_started:
        return []
    from lakelens.engine.pools.client import pool_rows

    return pool_rows()


def audit(session) -> list[dict]:
    """The audit log: every event for an administrator (and the local user), else the user's own."""
    import json

    ctx = session.ctx
    user = ctx.principal.name.lower()
    admin = not ctx.principal.remote or session.catalog.access(user).admin
    rows = session.catalog.audit_rows(None if admin else user)
    for row in rows:
        row["request_params"] = {k: v if isinstance(v, str) else json.dumps(v)
                                 for k, v in json.loads(row["request_params"] or "{}").items()}
        row["securables"] = json.loads(row["securables"] or "[]")
    return rows


def _information_schema(name: str):
    def rows(session) -> list[dict]:
        from lakelens.sql.information_schema import rows as information_rows

        return information_rows(session.catalog, session.access(), name)

    return rows


def _rows_for(schema: str, table: str):
    if schema == "information_schema":
        return _information_schema(table)
    return ROWS[(schema, table)]


def table_lineage(session) -> list[dict]:
    from lakelens.sql.lineage import table_rows

    return table_rows(session.catalog, session.access())


def column_lineage(session) -> list[dict]:
    from lakelens.sql.lineage import column_rows

    return column_rows(session.catalog, session.access())


ROWS = {("runtime", "udf_pools"): udf_pools, ("access", "audit"): audit,
        ("access", "table_lineage"): table_lineage, ("access", "column_lineage"): column_lineage}


def materialise(spark, read: SystemTableRead, session) -> None:
    """Expose the table's current rows as the temporary view `read.placeholder`."""
    from pyspark.sql.types import _parse_datatype_string

    schema = _parse_datatype_string(read.columns_ddl)
    names = [f.name for f in schema.fields]
    rows = [tuple(row.get(n) for n in names) for row in _rows_for(read.schema, read.table)(session)]
    spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(read.placeholder)


def _hidden(rel: str) -> bool:
    """What Spark's file listing leaves out (HadoopFSUtils.shouldFilterOutPathName), so the rows
    match binaryFile's: names starting with `.` or `_` (but `_metadata*`, `_common_metadata*`
    and partition names `_k=v`) and `*._COPYING_`, anywhere in the path."""
    def out(p: str) -> bool:
        exclude = (p.startswith("_") and "=" not in p) or p.startswith(".") or p.endswith("._COPYING_")
        return exclude and not (p.startswith("_metadata") or p.startswith("_common_metadata"))
    return any(out(p) for p in rel.split("/"))


def materialise_listing(spark, listing: VolumeListing, session) -> None:
    """A volume on object storage as `path, name, size, modification_time` rows from one
    listing (1 request per 1,000 objects), where binaryFile would send a HEAD request per object
    even when no content is read. As binaryFile, zero-length files are skipped."""
    import pyarrow as pa

    files = [(rel, size, mtime) for rel, size, mtime in session.catalog.storage.list_files(listing.location)
             if size > 0 and not _hidden(rel)]
    root = listing.user_root.rstrip("/")
    table = pa.table({
        "path": pa.array([f"{root}/{rel}" for rel, _, _ in files], pa.string()),
        "name": pa.array([rel.rsplit("/", 1)[-1] for rel, _, _ in files], pa.string()),
        "size": pa.array([size for _, size, _ in files], pa.int64()),
        "modification_time": pa.array([int(mtime * 1_000_000) for _, _, mtime in files], pa.timestamp("us", "UTC")),
    })
    spark.createDataFrame(table).createOrReplaceTempView(listing.placeholder)
