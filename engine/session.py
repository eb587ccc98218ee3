"""Sessions: run statements against the catalog and Spark, return Arrow tables."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace

import pyarrow as pa

from lakelens.catalog import Catalog, Column, LakelensError, ObjectInfo
from lakelens.sql import (
    CatalogCommand,
    CreateTable,
    CreateView,
    Explain,
    Rows,
    SessionChange,
    SessionContext,
    SparkQuery,
    SparkWrite,
    TempView,
    parse_statement,
    plan_statement,
    split_statements,
)
from lakelens.sql.plans import ICEBERG_NAMESPACE, ICEBERG_SPARK_CATALOG
from lakelens.sql.resolve import physical_table

from .config import Config

_ARROW_TYPES = {
    "string": pa.string(), "boolean": pa.bool_(), "bigint": pa.int64(), "int": pa.int32(),
    "timestamp": pa.timestamp("us", tz="UTC"), "double": pa.float64(),
}

_catalogs: dict[tuple[str, str], Catalog] = {}
_catalogs_lock = threading.Lock()


def catalog_for(cfg: Config) -> Catalog:
    """One Catalog (one connection pool) per metastore URL in a process."""
    key = (cfg.catalog_url, str(cfg.warehouse))
    with _catalogs_lock:
        if key not in _catalogs:
            cfg.home.mkdir(parents=True, exist_ok=True)
            _catalogs[key] = Catalog(cfg.catalog_url, cfg.warehouse, default_owner=cfg.user,
                                     default_catalog=cfg.get("session.catalog", "main"),
                                     default_schema=cfg.get("session.schema", "default"))
        return _catalogs[key]


class SparkError(LakelensError):
    """An error Spark raised, with lakelens names put back in place of physical paths."""


def rows_to_arrow(rows: Rows) -> pa.Table:
    if not rows.columns:
        return pa.table({})
    arrays = []
    for i, (_, typ) in enumerate(rows.columns):
        arrays.append(pa.array([r[i] for r in rows.rows], type=_ARROW_TYPES.get(typ, pa.string())))
    return pa.Table.from_arrays(arrays, names=[c for c, _ in rows.columns])


def _columns_of(schema) -> list[Column]:
    return [Column(f.name, f.dataType.simpleString(), f.nullable, (f.metadata or {}).get("comment"))
            for f in schema.fields]


@dataclass
class StatementResult:
    table: pa.Table
    statement: str
    elapsed_s: float


class ResultStream:
    """A result: its Arrow schema and an iterator of record batches, read once."""

    def __init__(self, schema: pa.Schema, batches):
        self.schema = schema
        self._batches = batches

    def __iter__(self):
        return self._batches

    def close(self) -> None:
        pass


_PYTHON_RDD = None


def _python_rdd(sc):
    """The JVM's PythonRDD class, looked up once (each `_jvm.X` lookup is a py4j round trip)."""
    global _PYTHON_RDD
    if _PYTHON_RDD is None:
        _PYTHON_RDD = sc._jvm.PythonRDD
    return _PYTHON_RDD


class _SparkStream(ResultStream):
    """Rows of a Spark DataFrame as Arrow batches, computed and fetched a few partitions at a time.

    Spark's `toArrow()` collects the whole result in the driver, and its local iterator runs
    one job per partition (slow for small results). Here the partitions of the Arrow batch
    RDD are run in chunks that grow 1, 4, 16 … partitions while a chunk stays under
    `CHUNK_BYTES`, so a one-partition answer costs one job and a huge one never sits whole
    in the driver. `prepare_job` runs before each job on the calling thread (the gateway sets
    the job group and scheduler pool there: fetches come from other threads)."""

    CHUNK_BYTES = 32 << 20
    MAX_CHUNK = 64

    def __init__(self, df, errors: "_SparkErrorMapper", prepare_job=None):
        from pyspark.sql.pandas.types import to_arrow_schema

        super().__init__(to_arrow_schema(df.schema, prefers_large_types=False), None)
        self._df, self._errors, self._prepare_job, self._closed = df, errors, prepare_job, False
        self._batches = self._iterate()

    def _iterate(self):
        from pyspark.serializers import NoOpSerializer
        from pyspark.util import _load_from_socket

        sc = self._df.sparkSession.sparkContext
        python_rdd = _python_rdd(sc)
        frames = NoOpSerializer()
        with self._errors:
            jrdd = self._df._jdf.toArrowBatchRdd().toJavaRDD()
            total, start, chunk = jrdd.getNumPartitions(), 0, 1
            while start < total and not self._closed:
                partitions = list(range(start, min(total, start + chunk)))
                if self._prepare_job is not None:
                    self._prepare_job()
                nbytes = 0
                for message in _load_from_socket(python_rdd.runJob(sc._jsc.sc(), jrdd, partitions), frames):
                    nbytes += len(message)
                    yield pa.ipc.read_record_batch(pa.py_buffer(message), self.schema)
                    if self._closed:
                        return
                start += len(partitions)
                per_partition = max(nbytes / len(partitions), 1)
                chunk = max(1, min(chunk * 4, self.MAX_CHUNK, int(self.CHUNK_BYTES / per_partition)))

    def close(self) -> None:
        """Stop after the current chunk (a running job is cancelled by its job group)."""
        self._closed = True


class Session:
    """A user's session: current catalog and schema, its own Spark session, one statement at a time."""

    def __init__(self, config: Config, user: str | None = None):
        self.config = config
        self.catalog = catalog_for(config)
        self.ctx = SessionContext(config.get("session.catalog", "main"), config.get("session.schema", "default"),
                                  user or config.user)
        self._spark = None

    # ------------------------------------------------------------------ public API
    @property
    def spark(self):
        if self._spark is None:
            from .spark import session_for

            self._spark = session_for(self.config)
        return self._spark

    @property
    def current_catalog(self) -> str:
        return self.ctx.catalog

    @property
    def current_schema(self) -> str:
        return self.ctx.schema

    def sql(self, text: str) -> pa.Table:
        """Run one or more `;`-separated statements; returns the last one's result."""
        result = pa.table({})
        for r in self.run_script(text):
            result = r.table
        return result

    def run_script(self, text: str):
        """Run statements one by one, yielding each result (stops at the first error)."""
        statements = split_statements(text)
        if not statements:
            from lakelens.sql import SqlSyntaxError

            raise SqlSyntaxError("empty statement")
        for statement in statements:
            start = time.perf_counter()
            table = self.execute(statement)
            yield StatementResult(table, statement, time.perf_counter() - start)

    def cancel(self, job_group: str) -> None:
        """Stop a statement's work: its Spark jobs, and the batches it queued on Ray pools
        (they stop being fed; a batch already on an actor finishes and is dropped)."""
        if self._spark is not None:
            self._spark.sparkContext.cancelJobGroup(job_group)
        from . import ray_runtime

        if ray_runtime.started():
            from .pool_client import cancel_group

            cancel_group(job_group)

    def plan(self, statement: str):
        return plan_statement(parse_statement(statement), self.catalog, self.ctx)

    def execute(self, statement: str) -> pa.Table:
        plan = self.plan(statement)
        return self._run(plan)

    def stream(self, plan, prepare_job=None) -> "ResultStream":
        """Run a plan and return its result as a stream of Arrow batches.

        A query's rows are pulled from Spark one partition at a time (never collected
        whole in this process); every other plan runs now and streams its small result."""
        if isinstance(plan, SparkQuery):
            with self._spark_errors(plan.reads):
                if plan.table_functions and prepare_job is not None:
                    prepare_job()  # table functions run Spark jobs: in the statement's job group
                views = self._prepare(plan)
                try:
                    df = self.spark.sql(plan.sql)  # analysed now: the views may go afterwards
                finally:
                    self._release(views)
            return _SparkStream(df, self._spark_errors(plan.reads), prepare_job)
        table = self._run(plan)
        return ResultStream(table.schema, iter(table.to_batches()))

    # ------------------------------------------------------------------ running plans
    def _prepare(self, plan, *, plan_only: bool = False) -> list[str]:
        """Register the multimodal functions the plan calls and compute its table functions.

        Returns the temporary views holding the table functions' results, named uniquely per
        statement; `_release` drops them once the statement's SQL has been analysed."""
        udfs, tvfs = getattr(plan, "udfs", None), getattr(plan, "table_functions", None)
        system = getattr(plan, "system_tables", None)
        if udfs:
            from .functions import register

            register(self.spark, udfs, self.config, plan_only=plan_only)
        views: list[str] = []
        try:
            if system:
                from .system_tables import materialise as system_rows

                for read in system:
                    system_rows(self.spark, read)
                    views.append(read.placeholder)
            if tvfs:
                from .table_functions import materialise

                for call in tvfs:
                    materialise(self.spark, call, self.config)
                    views.append(call.placeholder)
        except BaseException:
            self._release(views)
            raise
        return views

    def _release(self, views: list[str]) -> None:
        for name in views:
            self.spark.catalog.dropTempView(name)

    def _run(self, plan) -> pa.Table:
        with self._spark_errors(getattr(plan, "reads", [])):
            views = self._prepare(plan)
        try:
            return self._run_prepared(plan)
        finally:
            if views:
                self._release(views)

    def _run_prepared(self, plan) -> pa.Table:
        if isinstance(plan, Rows):
            return rows_to_arrow(plan)
        if isinstance(plan, CatalogCommand):
            answer = plan.run(self.catalog)
            return rows_to_arrow(answer) if isinstance(answer, Rows) else pa.table({})
        if isinstance(plan, SessionChange):
            self.ctx = replace(self.ctx, catalog=plan.catalog, schema=plan.schema)
            return pa.table({})
        if isinstance(plan, SparkQuery):
            with self._spark_errors(plan.reads):
                return self.spark.sql(plan.sql).toArrow()
        if isinstance(plan, SparkWrite):
            return self._run_write(plan)
        if isinstance(plan, CreateTable):
            return self._run_create_table(plan)
        if isinstance(plan, CreateView):
            with self._spark_errors(plan.reads):
                schema = self.spark.sql(plan.resolved_sql).schema
            self.catalog.create_view(plan.catalog, plan.schema, plan.name, view_text=plan.view_text,
                                     columns=_columns_of(schema), comment=plan.comment, owner=self.ctx.user,
                                     replace=plan.replace, if_not_exists=plan.if_not_exists)
            self.catalog.record_lineage([r.full_name for r in plan.reads],
                                        f"{plan.catalog}.{plan.schema}.{plan.name}", "CREATE VIEW", self.ctx.user)
            return pa.table({})
        if isinstance(plan, TempView):
            return self._run_temp_view(plan)
        if isinstance(plan, Explain):
            return rows_to_arrow(Rows([("plan", "string")], [(self._explain(plan),)]))
        raise TypeError(f"unknown plan {type(plan).__name__}")

    def _run_temp_view(self, plan: TempView) -> pa.Table:
        views = dict(self.ctx.temp_views)
        if plan.view_text is None:
            views.pop(plan.name, None)
        elif plan.name in views and not plan.replace:
            if plan.if_not_exists:
                return pa.table({})
            raise LakelensError(f"TEMP_TABLE_OR_VIEW_ALREADY_EXISTS: temporary view {plan.name} already exists",
                                error_class="TEMP_TABLE_OR_VIEW_ALREADY_EXISTS", sqlstate="42P07")
        else:
            with self._spark_errors(plan.reads):  # analysis only: a broken query fails here
                self.spark.sql(plan.resolved_sql).schema
            views[plan.name] = plan.view_text
        self.ctx = replace(self.ctx, temp_views=views)
        return pa.table({})

    def _explain(self, plan: Explain) -> str:
        inner = plan.inner
        lines = [f"== lakelens plan: {type(inner).__name__} =="]
        reads = getattr(inner, "reads", [])
        for info in {r.full_name: r for r in reads}.values():
            lines.append(f"read {info.kind.lower()} {info.full_name} -> {self._physical_name(info)}")
        sql = getattr(inner, "sql", None) or getattr(inner, "spark_sql", None) or getattr(inner, "query_sql", None)
        if isinstance(inner, CatalogCommand):
            lines.append(f"catalog: {inner.describe}")
        for call in getattr(inner, "table_functions", []):
            lines.append(f"table function {call.function} method={call.method} threshold={call.threshold} "
                         f"id={call.id_column} on={call.on_column} -> {call.placeholder}")
        for binding in getattr(inner, "udfs", []):
            from .placement import placement_for

            mode = " on_error=null" if binding.on_error == "null" else ""
            options = "".join(f" {k}={v!r}" for k, v in binding.options)
            lines.append(f"udf={binding.function} {placement_for(binding.function, self.config).explain()}"
                         f"{options}{mode} as {binding.udf_name}")
        if sql:
            lines.append("== Spark SQL ==")
            lines.append(sql)
            if isinstance(inner, SparkQuery) and not inner.table_functions:
                mode = f"{plan.mode} " if plan.mode else ""
                with self._spark_errors(reads):
                    views = self._prepare(inner, plan_only=True)  # Ray and pools start with a run
                    try:
                        text = self.spark.sql(f"EXPLAIN {mode}{sql}").collect()[0][0]
                    finally:
                        self._release(views)
                lines.append("== Spark plan ==")
                lines.append(text.rstrip())
        return "\n".join(lines)

    @staticmethod
    def _physical_name(info: ObjectInfo) -> str:
        if info.kind == "TABLE":
            return physical_table(info).sql("spark")
        return info.location or "(query)"

    def _run_write(self, plan: SparkWrite) -> pa.Table:
        info = plan.target
        with self._spark_errors(plan.reads + [info]):
            if plan.append_query:
                df = self.spark.sql(plan.sql)
                names = [c.name for c in info.columns]
                if len(df.columns) != len(names):
                    raise LakelensError(
                        f"INSERT_COLUMN_ARITY_MISMATCH: {info.full_name} has {len(names)} column(s), "
                        f"the query produces {len(df.columns)}", error_class="INSERT_COLUMN_ARITY_MISMATCH",
                        sqlstate="21S01")
                # INSERT is positional: the query's columns take the table's names and types.
                df = df.selectExpr(*[f"CAST(`{src}` AS {c.type}) AS `{c.name}`"
                                     for src, c in zip(df.columns, info.columns)])
                df.write.mode("append").parquet(info.location)
                result = pa.table({})
            else:
                result = self.spark.sql(plan.sql).toArrow()
        self._refresh_columns(info)
        if plan.operation != "ALTER":
            self.catalog.record_lineage([r.full_name for r in plan.reads if r.full_name != info.full_name],
                                        info.full_name, plan.operation, self.ctx.user)
        return result

    def _table_columns(self, info: ObjectInfo) -> list[Column]:
        """The table's columns as its format reports them now (analysis only, no job)."""
        return _columns_of(self.spark.sql(f"SELECT * FROM {physical_table(info).sql('spark')} LIMIT 0").schema)

    def _refresh_columns(self, info: ObjectInfo) -> None:
        cols = self._table_columns(info)
        if list(cols) != list(info.columns):
            self.catalog.update_object(info, columns=cols)

    def _run_create_table(self, plan: CreateTable) -> pa.Table:
        existing = plan.replace_existing
        if existing is None:
            info = self.catalog.reserve_table(
                plan.catalog, plan.schema, plan.name, fmt=plan.format,
                location=plan.location if plan.external else None, storage_key=plan.storage_key,
                comment=plan.comment, properties=plan.properties, owner=self.ctx.user,
                partitioned_by=plan.partitioned_by)
        else:
            info = existing
        try:
            with self._spark_errors(plan.reads + [info]):
                if plan.spark_sql:
                    self.spark.sql(plan.spark_sql).collect()
                elif plan.query_sql:
                    writer = self.spark.sql(plan.query_sql).write.mode("overwrite" if existing else "errorifexists")
                    if plan.partitioned_by:
                        writer = writer.partitionBy(*plan.partitioned_by)
                    writer.parquet(plan.location)
                else:
                    empty = self.spark.createDataFrame([], schema=plan.columns_ddl)
                    empty.write.mode("overwrite" if existing else "errorifexists").parquet(plan.location)
                columns = self._table_columns(info)
        except BaseException:
            if existing is None:
                self.catalog.abort_table(info)
            raise
        if existing is None:
            self.catalog.commit_table(info.id, columns)
        else:
            self.catalog.update_object(existing, columns=columns, comment=plan.comment, properties=plan.properties)
        self.catalog.record_lineage([r.full_name for r in plan.reads], info.full_name,
                                    "CREATE TABLE AS SELECT" if plan.reads else "CREATE TABLE", self.ctx.user)
        return pa.table({})

    # ------------------------------------------------------------------ errors
    def _spark_errors(self, infos: list[ObjectInfo]):
        return _SparkErrorMapper(self, infos)


class _SparkErrorMapper:
    """Turn Spark exceptions into SparkError with user-facing names instead of storage paths."""

    def __init__(self, session: Session, infos: list[ObjectInfo]):
        self.session, self.infos = session, infos

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        if isinstance(exc, PySparkException):
            error_class, sqlstate, text = self._condition(exc), self._sqlstate(exc), str(exc)
        elif isinstance(exc, Py4JJavaError):
            error_class, sqlstate, text = self._from_java(exc.java_exception)
        else:
            return False
        raise self.translate(error_class, sqlstate, text) from None

    @staticmethod
    def _condition(exc) -> str:
        try:
            return exc.getCondition() or "SPARK_ERROR"
        except Exception:
            return "SPARK_ERROR"

    @staticmethod
    def _sqlstate(exc) -> str:
        try:
            return exc.getSqlState() or "XX000"
        except Exception:
            return "XX000"

    @staticmethod
    def _from_java(jexc) -> tuple[str, str, str]:
        """A failed Spark job wraps the real error (e.g. USER_RAISED_EXCEPTION) in task failures:
        report the innermost error that carries a condition."""
        best, node, depth = None, jexc, 0
        while node is not None and depth < 20:
            try:
                condition = node.getCondition()
            except Exception:
                condition = None
            if condition:
                best = (condition, node.getSqlState() or "XX000", f"[{condition}] " + str(node.getMessage()))
            node, depth = node.getCause(), depth + 1
        if best:
            return best
        return "SPARK_ERROR", "XX000", str(jexc.getMessage())

    def translate(self, error_class: str, sqlstate: str, text: str) -> LakelensError:
        from .functions import function_error, user_names

        ours = function_error(text)
        if ours is not None:
            return ours
        text = user_names(text)
        # Drop Spark's logical-plan dump and JVM stack; keep the sentence a user can act on.
        text = re.split(r";\s*\n'|\n\tat |\nJVM stacktrace:", text, maxsplit=1)[0].strip()
        for info in self.infos:
            if info.kind == "TABLE":
                text = text.replace(physical_table(info).sql("spark"), info.full_name)
                text = text.replace(f"{ICEBERG_SPARK_CATALOG}.{ICEBERG_NAMESPACE}.t_{info.storage_key}", info.full_name)
            if info.location:
                text = text.replace(f"file:{info.location}", info.volume_path if info.kind == "VOLUME" else info.full_name)
                text = text.replace(info.location, info.volume_path if info.kind == "VOLUME" else info.full_name)
        text = re.sub(r"`?__lakelens_target__`?", "target", text)
        if not text.startswith("[") and not text.startswith(error_class):
            text = f"{error_class}: {text}"
        elif text.startswith(f"[{error_class}]"):
            text = f"{error_class}:{text[len(error_class) + 2:]}"
        return SparkError(text, error_class=error_class.split(".")[0], sqlstate=sqlstate)
