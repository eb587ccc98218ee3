"""The runtime layer: sessions and executions over Spark and Ray, and the frontends.

    runtime.py     the process's one owner of Spark, statement threads, catalogs, Ray
    session.py     Session.submit(text) -> Execution; how each kind of plan runs
    execution.py   an Execution: state, Arrow batches, progress, cancel, timeout
    state.py       execution states and their allowed transitions
    results.py     a Spark query's rows as Arrow batches, a few partitions at a time
    errors.py      Spark's and the workers' errors in lakelens' words
    spark.py       starting Spark with Delta and Iceberg
    functions.py, table_functions.py, system_tables.py, worker_patch.py
                   multimodal UDFs, near_duplicates/dedup, system.* tables, a worker fix
    pools/         Ray: placement of functions, actor pools, joining or starting Ray
    gateway/       the HiveServer2 frontend
    flight/        the Arrow Flight SQL frontend (and its client for lakelens.connect("grpc://…"))
    cli/           the `lakelens` command, its shell, demo and remote client

Only this layer imports pyspark and ray (docs/architecture.md).
"""

from __future__ import annotations


def connect(home=None, conf: dict | None = None, user: str | None = None):
    """An embedded session on the lakehouse at `home`; see `lakelens.connect`."""
    from lakelens.engine.config import Config
    from lakelens.engine.session import Session

    return Session(Config.load(home, conf), user=user)


__all__ = ["connect"]
