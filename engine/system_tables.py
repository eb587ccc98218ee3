"""Rows of the system tables (sql/system.py names them and their columns)."""

from __future__ import annotations

from lakelens.sql.plans import SystemTableRead


def udf_pools() -> list[dict]:
    """Pools in the Ray cluster this process uses; none before Ray has started (never starts it)."""
    from lakelens.engine.runtime import Runtime

    if not Runtime.get().ray_started:
        return []
    from lakelens.engine.pools.client import pool_rows

    return pool_rows()


ROWS = {("runtime", "udf_pools"): udf_pools}


def materialise(spark, read: SystemTableRead) -> None:
    """Expose the table's current rows as the temporary view `read.placeholder`."""
    from pyspark.sql.types import _parse_datatype_string

    schema = _parse_datatype_string(read.columns_ddl)
    names = [f.name for f in schema.fields]
    rows = [tuple(row.get(n) for n in names) for row in ROWS[(read.schema, read.table)]()]
    spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(read.placeholder)
