"""System tables: `system.<schema>.<table>`, read-only views of the running engine.

The catalog named `system` is reserved. The planner replaces a system table reference by a
placeholder relation and records a `SystemTableRead`; the engine fills the placeholder with
the table's current rows before the statement runs (like a table function), so system
tables join, filter and aggregate like any other relation.

>>> # SELECT function, node, rows FROM system.runtime.udf_pools WHERE failures > 0
"""

from __future__ import annotations

from lakelens.catalog import NotFound

SYSTEM_CATALOG = "system"
SYSTEM_PLACEHOLDER = "__lakelens_system_{}_{}_{}__"

# schema → table → (Spark DDL of its columns, what it shows)
SYSTEM_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "runtime": {
        "udf_pools": (
            "pool STRING, function STRING, device STRING, batch_size INT, node STRING, node_id STRING, actors INT, "
            "min_actors INT, max_actors INT, queued INT, batches BIGINT, rows BIGINT, model_loads BIGINT, "
            "failures BIGINT",
            "Ray actor pools of multimodal functions: one row per pool and node, with the actors alive now "
            "and the batches, rows, model loads and actor failures counted since the pool started",
        ),
    },
    "access": {
        "audit": (
            "event_time TIMESTAMP, user_identity STRING, workspace STRING, source_address STRING, client STRING, "
            "session_id STRING, action_name STRING, request_params MAP<STRING, STRING>, securables ARRAY<STRING>, "
            "status_code INT, error_message STRING",
            "The audit log of the server: sign-ins (successful and failed), statements of remote sessions, "
            "grant changes and Files API calls. Administrators see every row, other users their own",
        ),
    },
}


def _information_schema() -> dict[str, tuple[str, str]]:
    from .information_schema import TABLES

    return TABLES


SYSTEM_TABLES["information_schema"] = _information_schema()


def _lineage() -> dict[str, tuple[str, str]]:
    from .lineage import TABLES

    return TABLES


SYSTEM_TABLES["access"].update(_lineage())


def system_table(schema: str, name: str) -> tuple[str, str]:
    """The (DDL, description) of `system.<schema>.<name>`, or NotFound naming what exists."""
    tables = SYSTEM_TABLES.get(schema.lower())
    if tables is None:
        raise NotFound("schema", f"system.{schema} (system schemas: {', '.join(sorted(SYSTEM_TABLES))})")
    if name.lower() not in tables:
        raise NotFound("table", f"system.{schema}.{name} (system.{schema} has: {', '.join(sorted(tables))})")
    return tables[name.lower()]
