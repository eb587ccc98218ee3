"""Sessions: a user's current catalog and schema, and the one call that runs statements.

`Session.submit(text)` returns an `Execution` (execution.py) — CLI, Python API and gateway
all run statements through it. The execution asks its session to `plan` each statement
(sql/) and to `open` the plan: prepare what it needs, run it, and hand back its result as a
stream of Arrow batches. How each kind of plan runs is one entry of `_RUNNERS`.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Iterator

import pyarrow as pa
from sqlglot import exp

from lakelens.catalog import AccessPolicy, Column, LakelensError, NotFound, ObjectInfo, Principal
from lakelens.catalog.principals import check_setting
from lakelens.catalog.workspaces import WorkspaceView
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
)
from lakelens.catalog.storage import is_object_store
from lakelens.sql.plans import Plan, VolumeListing
from lakelens.sql.resolve import physical_table

from lakelens.engine.config import Config
from lakelens.engine.errors import SparkError, SparkErrorMapper  # noqa: F401  (SparkError: public)
from lakelens.engine.execution import Execution, StageProgress, StatementResult, TableStream
from lakelens.engine.runtime import Runtime
from lakelens.engine.spark import sql as spark_sql

_ARROW_TYPES = {
    "string": pa.string(), "boolean": pa.bool_(), "bigint": pa.int64(), "int": pa.int32(),
    "timestamp": pa.timestamp("us", tz="UTC"), "double": pa.float64(), "array<string>": pa.list_(pa.string()),
}
_session_ids = itertools.count(1)


def rows_to_arrow(rows: Rows) -> pa.Table:
    if not rows.columns:
        return pa.table({})
    arrays = []
    for i, (_, typ) in enumerate(rows.columns):
        arrays.append(pa.array([r[i] for r in rows.rows], type=_ARROW_TYPES.get(typ, pa.string())))
    return pa.Table.from_arrays(arrays, names=[c for c, _ in rows.columns])


def _sparkable(data: pa.Table) -> pa.Table:
    """Arrow columns Spark can take: unsigned integers widened, large and view types and
    dictionaries as their plain types."""
    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_dictionary(t):
            return plain(t.value_type)
        if pa.types.is_unsigned_integer(t):
            return {8: pa.int16(), 16: pa.int32(), 32: pa.int64()}.get(t.bit_width, pa.decimal128(20, 0))
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pa.string()
        if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            return pa.binary()
        if pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_list(t):
            return pa.list_(plain(t.value_type))
        if pa.types.is_struct(t):
            return pa.struct([pa.field(f.name, plain(f.type), f.nullable) for f in t])
        if pa.types.is_map(t):
            return pa.map_(plain(t.key_type), plain(t.item_type))
        return t

    schema = pa.schema([pa.field(f.name, plain(f.type), f.nullable) for f in data.schema])
    return data if schema == data.schema else data.cast(schema)


def _columns_of(schema) -> list[Column]:
    return [Column(f.name, f.dataType.simpleString(), f.nullable, (f.metadata or {}).get("comment"))
            for f in schema.fields]


def catalog_for(config: Config):
    """The catalog of `config`'s metastore (one per process and URL)."""
    return Runtime.get().catalog(config)


# Spark settings a remote session may change (`SET`, confOverlay, OpenSession's
# set:hiveconf:spark.*): what BI tools, JDBC drivers and dbt send, and per-query tuning.
# Anything else (catalog classes, file size guards, variable substitution, …) is the
# server's: `gateway.session_settings` extends the list (docs/security.md).
SESSION_SETTINGS = (
    "spark.sql.shuffle.partitions", "spark.sql.ansi.enabled", "spark.sql.session.timeZone",
    "spark.sql.legacy.*", "spark.sql.adaptive.*", "spark.sql.autoBroadcastJoinThreshold",
    "spark.sql.files.maxPartitionBytes", "spark.sql.caseSensitive", "spark.sql.crossJoin.enabled",
    "spark.sql.storeAssignmentPolicy", "spark.sql.timestampType", "spark.sql.datetime.java8API.enabled",
    "spark.sql.parser.quotedRegexColumnNames", "spark.sql.mapKeyDedupPolicy", "spark.sql.decimalOperations.*",
    "spark.sql.optimizer.excludedRules", "spark.sql.join.preferSortMergeJoin",
    "spark.sql.sources.partitionOverwriteMode",              # dbt-spark's insert_overwrite strategy
    "spark.databricks.delta.schema.autoMerge.enabled",        # Delta MERGE schema evolution
)


def access_policy(config: Config) -> AccessPolicy:
    """What the server allows remote principals, from its configuration."""
    return AccessPolicy(external_roots=tuple(config.list("storage.external_roots")),
                        local_paths=tuple(config.list("gateway.local_paths")),
                        session_settings=SESSION_SETTINGS + tuple(config.list("gateway.session_settings")))


class Session:
    """A user's session: current catalog and schema, its own Spark session, shared runtime.

    `principal`: who runs its statements (default: the local OS user, or `user`, trusted
    with the local filesystem); the gateway passes a remote principal."""

    def __init__(self, config: Config, user: str | None = None, runtime: Runtime | None = None,
                 principal: Principal | None = None, workspace: str | None = None):
        self.config = config
        self.runtime = runtime or Runtime.get()
        self.catalog = self.runtime.catalog(config)
        self.runtime.lineage_exporter(config)  # a wrong lineage.openlineage.url is refused now, not at a write
        self.principal = principal or Principal.local(user or config.user)
        self.ctx = SessionContext(config.get("session.catalog", "main"), config.get("session.schema", "default"),
                                  self.principal, policy=access_policy(config))
        # A session in a workspace sees only what is bound to it (catalog/workspaces.py).
        # session.workspace is the embedded default; a remote client names its own at OpenSession.
        default = None if self.principal.remote else config.get("session.workspace")
        self.workspace = (workspace or default or "").strip().lower() or None
        if self.workspace:
            self.catalog = WorkspaceView(self.catalog, self.workspace)
            self.access()  # a member? (refused here otherwise, and again at every statement)
            self.ctx = replace(self.ctx, **self._workspace_home())
        self.id = next(_session_ids)
        self._spark = None
        # Where the session comes from, for the audit log: set by the frontend (the gateway's
        # session handle and client protocol).
        self.session_id: str | None = None
        self.client: str | None = None

    # ------------------------------------------------------------------ public API
    @property
    def spark(self):
        """This session's Spark session (Spark starts on first use)."""
        if self._spark is None:
            self._spark = self.runtime.spark_session(self.config)
        return self._spark

    @property
    def current_catalog(self) -> str:
        return self.ctx.catalog

    @property
    def current_schema(self) -> str:
        return self.ctx.schema

    def submit(self, text: str, *, conf: dict[str, str] | None = None, timeout_s: float = 0,
               keep_results: bool = False) -> Execution:
        """Run a script of `;`-separated statements on a statement thread; see execution.py.

        `conf`: Spark settings for this execution only; `timeout_s`: cancel (TIMEDOUT) after
        that long; `keep_results`: keep every statement's result (`statement_results()`)."""
        execution = Execution(self, text, conf=conf, timeout_s=timeout_s, keep_results=keep_results)
        return execution.start(self.runtime.statement_workers(self.config))

    def sql(self, text: str) -> pa.Table:
        """Run one or more `;`-separated statements; returns the last one's result."""
        execution = self.submit(text)
        try:
            return execution.to_table()
        except KeyboardInterrupt:
            execution.cancel()
            raise

    def sql_batches(self, text: str) -> Iterator[pa.RecordBatch]:
        """Like `sql`, as Arrow record batches read a few partitions at a time (large results)."""
        execution = self.submit(text)
        try:
            yield from execution.batches()
        finally:
            execution.close()

    def run_script(self, text: str) -> Iterator[StatementResult]:
        """Run statements one by one, yielding each result (stops at the first error)."""
        execution = self.submit(text, keep_results=True)
        try:
            yield from execution.statement_results()
        except KeyboardInterrupt:
            execution.cancel()
            raise

    def describe(self, text: str) -> pa.Schema | None:
        """The columns one statement answers with, without running it; None for a statement that
        answers with no rows (DDL, DML). For prepared statements (Flight SQL): a query is analysed
        by Spark (no job runs; a table function in it is computed), a catalog listing (SHOW
        VOLUMES, LIST, DESCRIBE VOLUME) is read, and parameter markers stand for NULLs."""
        from lakelens.sql import dialect as ll
        from lakelens.sql import split_statements
        from lakelens.sql.parameters import bind_parameters, count_parameters

        statements = split_statements(text)
        if len(statements) != 1:
            return None  # a script: what its last statement answers is known when it runs
        statement = statements[0]
        markers = count_parameters(statement)
        if markers:
            statement = bind_parameters(statement, [None] * markers)
        stmt = parse_statement(statement)
        plan = plan_statement(stmt, self.catalog, self.ctx)
        plan.source = statement
        if isinstance(plan, SparkQuery):
            from pyspark.sql.pandas.types import to_arrow_schema

            return to_arrow_schema(self._prepared_df(plan, None).schema, prefers_large_types=False)
        if isinstance(plan, Rows):
            return rows_to_arrow(plan).schema
        if isinstance(plan, Explain):
            return pa.schema([("plan", pa.string())])
        if isinstance(plan, CatalogCommand) and isinstance(stmt, (ll.ShowObjects, ll.DescribeObject, ll.ListFiles,
                                                                  ll.ShowDropped, ll.ListVersions)):
            answer = plan.run(self.catalog)  # these only read the catalog
            return rows_to_arrow(answer).schema if isinstance(answer, Rows) else None
        return None

    def ingest(self, name: list[str], data: pa.Table, *, if_exists: str = "fail", if_missing: str = "create") -> int:
        """Write rows a client sent (Arrow) into table `name` (1–3 parts), on the one statement
        path: the rows become a relation only this session's statements may read (a reserved
        name in `SessionContext.staged`), and `CREATE TABLE … AS SELECT` or `INSERT INTO …
        SELECT` runs as the session's principal: the same grants, audit and lineage as any
        statement. `if_exists`: fail | append | replace; `if_missing`: create | fail. Returns
        the number of rows written."""
        import uuid

        if if_exists not in ("fail", "append", "replace") or if_missing not in ("create", "fail"):
            raise LakelensError(f"ingest: if_exists must be fail, append or replace and if_missing create or fail "
                                f"(not {if_exists!r}, {if_missing!r})", error_class="INVALID_ARGUMENT",
                                sqlstate="22023")
        if not 1 <= len(name) <= 3 or not all(name):
            raise LakelensError(f"ingest: a table name has one to three parts, not {'.'.join(name)!r}",
                                error_class="INVALID_IDENTIFIER", sqlstate="42602")
        target = ".".join(exp.to_identifier(p, quoted=True).sql(dialect="spark") for p in name)
        staged = f"__lakelens_staged_{uuid.uuid4().hex}__"
        source = f"SELECT * FROM {staged}"
        if if_missing == "fail" and if_exists == "fail":
            raise LakelensError("ingest: a table that must exist and must not exist at once (if_exists fail, "
                                "if_missing fail)", error_class="INVALID_ARGUMENT", sqlstate="22023")
        if if_missing == "fail":
            statements = [f"INSERT {'OVERWRITE' if if_exists == 'replace' else 'INTO'} {target} {source}"]
        elif if_exists == "fail":
            statements = [f"CREATE TABLE {target} AS {source}"]
        elif if_exists == "replace":
            statements = [f"CREATE OR REPLACE TABLE {target} AS {source}"]
        else:  # create or append
            statements = [f"CREATE TABLE IF NOT EXISTS {target} AS {source} WHERE false",
                          f"INSERT INTO {target} {source}"]
        self.spark.createDataFrame(_sparkable(data)).createOrReplaceTempView(staged)
        self.ctx = replace(self.ctx, staged=self.ctx.staged | {staged})
        try:
            self.submit("; ".join(statements)).to_table()
        finally:
            self.ctx = replace(self.ctx, staged=self.ctx.staged - {staged})
            self.spark.catalog.dropTempView(staged)
        return data.num_rows

    def plan(self, statement: str) -> Plan:
        plan = plan_statement(parse_statement(statement), self.catalog, self.ctx)
        plan.source = statement
        return plan

    def workspace_limit(self, key: str) -> int | None:
        """A limit of this session's workspace (as of its last statement), None when unset."""
        if not self.workspace or self.catalog.info is None:
            return None
        return self.catalog.info.limit(key)

    def _workspace_home(self) -> dict:
        """Where a session in a workspace starts: the configured catalog and schema when they
        are bound to it, else its first bound catalog (and `default`, or its first schema)."""
        view = self.catalog
        names = [c.name for c in view.list_catalogs()]
        cat = self.ctx.catalog if self.ctx.catalog in names else (names[0] if names else None)
        if cat is None:
            return {}
        schemas = [s.name for s in view.list_schemas(cat)]
        if cat == self.ctx.catalog and self.ctx.schema in schemas:
            return {}
        return {"catalog": cat, "schema": "default" if "default" in schemas else (schemas[0] if schemas else "default")}

    def access(self):
        """What this session's principal may do, read now (catalog/grants.py)."""
        from lakelens.sql.governance import access_of

        return access_of(self.ctx, self.catalog)

    def scrub_error(self, error: BaseException, access=None) -> BaseException:
        """What a remote user is told: a not-found error suggests close names only to those who
        may see every name (an administrator); for others the suggestion could name a table
        they may not see. `access`: the statement's, when its plan was made."""
        if (self.principal.remote and isinstance(error, NotFound) and error.suggestion
                and not self._is_admin(access)):
            return NotFound(error.kind, error.name)
        return error

    def _is_admin(self, access=None) -> bool:
        if access is not None:
            return access.admin
        try:
            return self.access().admin
        except LakelensError:
            return False

    def audit_statement(self, statement: str, plan: Plan | None, error: BaseException | None) -> None:
        """One audit event for a statement of a remote session (embedded use is the local user's
        own metastore, and is not audited): the statement, redacted of passwords, the securables
        it touched, and how it ended."""
        if not self.principal.remote:
            return
        from lakelens.sql.governance import action_name, password_secrets, redact, redact_statement

        access = getattr(plan, "access", None)  # as the statement was planned
        if access is None:
            try:
                access = self.access()
            except LakelensError:  # a removed user: their statement is still recorded
                access = None
        # What the statement read, as far as its user may see it: a view's own reads (definer's
        # rights) stay hidden from them, in the audit log too.
        securables = [info.full_name for info in (plan.reads if plan is not None else [])
                      if access is not None and access.sees_object(info)]
        target = getattr(plan, "target", None)
        if target is not None:
            securables.append(target.full_name)
        if plan is not None and getattr(plan, "schema", None) and getattr(plan, "name", None):
            securables.append(f"{plan.catalog}.{plan.schema}.{plan.name}")
        status, message = 200, None
        if getattr(error, "securable", None):
            securables.append(error.securable)  # what a refused statement was refused
        if error is not None:
            status = 403 if getattr(error, "error_class", "") == "PERMISSION_DENIED" else 400
            message = redact(str(error), password_secrets(statement))  # a parse error quotes the text
        self.catalog.audit(self.principal.name, action_name(statement), status=status, error=message,
                           params={"statement": redact_statement(statement)[:20000]}, securables=securables,
                           address=self.principal.address, client=self.client, session_id=self.session_id,
                           workspace=self.workspace)

    def warm(self) -> None:
        """Build this session's Spark state now if Spark runs (as Spark's Thrift server does at
        OpenSession), not in the middle of its first statement."""
        if self.runtime.spark_started:
            self.spark.sql("SELECT 1").schema

    def check_settings(self, keys) -> None:
        """Refuse settings this session's principal may not change (remote: the allow-list)."""
        for key in keys:
            check_setting(self.principal, self.ctx.policy, key)

    def set_conf(self, settings: dict[str, str]) -> None:
        """Spark settings for the rest of the session (`SET k=v` without SQL)."""
        self.check_settings(settings)
        for key, value in settings.items():
            self.spark.conf.set(key, value)

    # ------------------------------------------------------------------ for Execution
    def apply_conf(self, settings: dict[str, str]) -> dict[str, str | None]:
        """Spark settings for one execution; returns what `restore_conf` puts back."""
        self.check_settings(settings)
        conf = self.spark.conf
        restore = {}
        for key, value in settings.items():
            restore[key] = conf.get(key, None)
            conf.set(key, value)
        return restore

    def restore_conf(self, saved: dict[str, str | None]) -> None:
        conf = self.spark.conf
        for key, value in saved.items():
            conf.unset(key) if value is None else conf.set(key, value)

    def cancel_jobs(self, job_group: str) -> None:
        """Stop a statement's work: its Spark jobs, and the batches it queued on Ray pools
        (they stop being fed; a batch already on an actor finishes and is dropped)."""
        if self._spark is not None:
            try:
                self._spark.sparkContext.cancelJobGroup(job_group)
            except Exception:  # the JVM may be shutting down
                pass
        if self.runtime.ray_started:
            from lakelens.engine.pools.client import cancel_group

            cancel_group(job_group)

    def job_progress(self, job_group: str) -> list[StageProgress]:
        """The stages of a job group's Spark jobs (SKIPPED: adaptive execution reused another's output)."""
        if self._spark is None:
            return []
        tracker = self._spark.sparkContext.statusTracker()
        stages = []
        for job_id in tracker.getJobIdsForGroup(job_group):
            job = tracker.getJobInfo(job_id)
            if job is None:
                continue
            job_done = str(job.status) == "SUCCEEDED"
            for stage_id in job.stageIds:
                stage = tracker.getStageInfo(stage_id)
                if stage is None:
                    continue
                complete = stage.numCompletedTasks == stage.numTasks
                if job_done and not complete:
                    status = "SKIPPED"
                else:
                    status = "SUCCEEDED" if complete else ("RUNNING" if stage.numActiveTasks else "PENDING")
                stages.append(StageProgress(stage_id, status, stage.numTasks, stage.numCompletedTasks,
                                            stage.numActiveTasks, stage.numFailedTasks))
        return stages

    def open(self, plan: Plan, execution: Execution | None = None):
        """Prepare and run a plan; its result as a stream (`schema`, batches, `close`).

        A query's rows are pulled from Spark a few partitions at a time (never collected
        whole in this process); every other plan runs now and streams its small result."""
        runner = _RUNNERS.get(type(plan))
        if runner is None:
            raise TypeError(f"no runner for plan {type(plan).__name__}")
        if plan.spark_sql is not None:
            self._check_object_storage(plan)
        return runner(self, plan, execution)

    def _check_object_storage(self, plan: Plan) -> None:
        """Spark reaches object storage only with the s3a connector, which must be on its
        classpath from the start: say so instead of Spark's `No FileSystem for scheme`."""
        locations = [i.location for i in plan.needs.reads if i.location]
        locations.append(getattr(plan, "location", None))
        if any(is_object_store(loc) for loc in locations if isinstance(loc, str)):
            self.spark  # noqa: B018 - started with this session's configuration if not yet
            if not self.runtime.spark_has_s3a:
                raise LakelensError(
                    "object storage needs Spark's s3a connector, and Spark in this process started without it: set "
                    "storage.s3 = \"on\" (or an fs.s3a setting, an s3:// warehouse) before the first statement",
                    error_class="CONFIG_CONFLICT", sqlstate="22023")

    # ------------------------------------------------------------------ preparing plans
    def _jobs(self, execution: Execution | None):
        """This session's Spark, for an action that starts Spark jobs now: tagged with the
        execution's job group."""
        spark = self.spark
        if execution is not None:
            execution.tag_jobs(spark)
        return spark

    def _prepare(self, plan: Plan, execution: Execution | None, *, plan_only: bool = False) -> list[str]:
        """Register the multimodal functions the plan calls and compute its table functions and
        system tables. Returns the temporary views holding their rows, named uniquely per
        statement; `_release` drops them once the statement's SQL has been analysed."""
        needs = plan.needs
        if not needs:
            return []
        spark = self._jobs(execution) if needs.table_functions or needs.system_tables else self.spark
        if needs.udfs:
            from lakelens.engine.functions import register

            register(spark, needs.udfs, self.config, plan_only=plan_only, workspace=self.workspace,
                     max_gpus=self.workspace_limit("max_gpus"))
        views: list[str] = []
        try:
            for read in needs.system_tables:
                from lakelens.engine.system_tables import materialise as system_rows
                from lakelens.engine.system_tables import materialise_listing

                (materialise_listing if isinstance(read, VolumeListing) else system_rows)(spark, read, self)
                views.append(read.placeholder)
            for call in needs.table_functions:
                from lakelens.engine.table_functions import materialise

                materialise(spark, call, self.config)
                views.append(call.placeholder)
        except BaseException:
            self._release(views)
            raise
        return views

    def _release(self, views: list[str]) -> None:
        for name in views:
            self.spark.catalog.dropTempView(name)

    def _errors(self, plan: Plan, *also: ObjectInfo) -> SparkErrorMapper:
        """Spark's errors for this plan, with user names and positions in the user's text."""
        target = getattr(plan, "target", None)  # a write's table names itself in its errors too
        return SparkErrorMapper([*plan.reads, *also, *([target] if target else [])], plan.spark_sql, plan.source)

    def _prepared_df(self, plan: Plan, execution: Execution | None, *, runs_jobs: bool = False):
        """The plan's Spark SQL analysed into a DataFrame, with its functions and views ready.
        `runs_jobs`: a command (DDL, DML) that Spark executes right away."""
        with self._errors(plan):
            views = self._prepare(plan, execution)
            try:
                spark = self._jobs(execution) if runs_jobs else self.spark
                return spark_sql(spark, plan.spark_sql)  # analysed now: views may go
            finally:
                self._release(views)

    # ------------------------------------------------------------------ runners, one per plan type
    def _run_query(self, plan: SparkQuery, execution: Execution | None):
        from lakelens.engine.results import SparkStream

        # runs_jobs: SHOW/DESCRIBE commands run when Spark analyses them.
        df = self._prepared_df(plan, execution, runs_jobs=True)
        return SparkStream(df, self._errors(plan), execution, self.runtime)

    def _run_rows(self, plan: Rows, execution: Execution | None):
        return TableStream(rows_to_arrow(plan))

    def _run_catalog(self, plan: CatalogCommand, execution: Execution | None):
        answer = plan.run(self.catalog)
        return TableStream(rows_to_arrow(answer) if isinstance(answer, Rows) else pa.table({}))

    def _run_use(self, plan: SessionChange, execution: Execution | None):
        self.ctx = replace(self.ctx, catalog=plan.catalog, schema=plan.schema)
        return TableStream(pa.table({}))

    def _run_view(self, plan: CreateView, execution: Execution | None):
        schema = self._prepared_df(plan, execution).schema
        self.catalog.create_view(plan.catalog, plan.schema, plan.name, view_text=plan.view_text,
                                 columns=_columns_of(schema), comment=plan.comment, owner=self.ctx.user,
                                 replace=plan.replace, if_not_exists=plan.if_not_exists)
        view = self.catalog.get_object(plan.catalog, plan.schema, plan.name)
        self._record_lineage(plan, view, "CREATE VIEW", execution)
        return TableStream(pa.table({}))

    def _run_temp_view(self, plan: TempView, execution: Execution | None):
        views = dict(self.ctx.temp_views)
        if plan.view_text is None:
            views.pop(plan.name, None)
        elif plan.name in views and not plan.replace:
            if plan.if_not_exists:
                return TableStream(pa.table({}))
            raise LakelensError(f"temporary view {plan.name} already exists",
                                error_class="TEMP_TABLE_OR_VIEW_ALREADY_EXISTS", sqlstate="42P07")
        else:
            self._prepared_df(plan, execution).schema  # analysis only: a broken query fails here
            views[plan.name] = plan.view_text
        self.ctx = replace(self.ctx, temp_views=views)
        return TableStream(pa.table({}))

    def _run_explain(self, plan: Explain, execution: Execution | None):
        return TableStream(rows_to_arrow(Rows([("plan", "string")], [(self._explain(plan, execution),)])))

    def _explain(self, plan: Explain, execution: Execution | None) -> str:
        from lakelens.engine.pools.placement import placement_for

        inner = plan.inner
        lines = [f"== lakelens plan: {type(inner).__name__} =="]
        for info in {r.full_name: r for r in inner.reads}.values():
            lines.append(f"read {info.kind.lower()} {info.full_name} -> {self._physical_name(info)}")
        if isinstance(inner, CatalogCommand):
            lines.append(f"catalog: {inner.describe}")
        for call in inner.needs.table_functions:
            lines.append(f"table function {call.function} method={call.method} threshold={call.threshold} "
                         f"id={call.id_column} on={call.on_column} -> {call.placeholder}")
        for binding in inner.needs.udfs:
            mode = " on_error=null" if binding.on_error == "null" else ""
            options = "".join(f" {k}={v!r}" for k, v in binding.options)
            place = placement_for(binding.function, self.config, self.workspace_limit("max_gpus"))
            lines.append(f"udf={binding.function} {place.explain()}"
                         f"{options}{mode} as {binding.udf_name}")
        if inner.spark_sql:
            lines.append("== Spark SQL ==")
            lines.append(inner.spark_sql)
            if isinstance(inner, SparkQuery) and not inner.needs.table_functions:
                mode = f"{plan.mode} " if plan.mode else ""
                with self._errors(inner):
                    views = self._prepare(inner, execution, plan_only=True)  # Ray and pools start with a run
                    try:
                        explain = f"EXPLAIN {mode}{inner.spark_sql}"
                        text = spark_sql(self.spark, explain).collect()[0][0]
                    finally:
                        self._release(views)
                lines.append("== Spark plan ==")
                lines.append(text.rstrip())
        return "\n".join(lines)

    def _record_lineage(self, plan: Plan, target: ObjectInfo, operation: str, execution: Execution | None) -> None:
        """Record a write's lineage (sql/lineage.py): its sources, and for each written column the
        source columns and functions it comes from, by position (or by name for BY NAME)."""
        lineage = plan.lineage
        if lineage is None:
            return
        table = [c.name for c in target.columns]
        if lineage.match == "list":
            names = list(lineage.columns)
        elif lineage.match == "name":  # CTAS, views, BY NAME: an output lands in the column of its name
            known = {n.lower(): n for n in table}
            names = [known.get((name or "").lower(), table[i] if i < len(table) else name)
                     for i, (name, _) in enumerate(lineage.outputs)]
        else:
            names = table
        columns = [(src, scol, names[i] if i < len(names) else name, fn)
                   for i, (name, deps) in enumerate(lineage.outputs) for src, scol, fn in deps]
        statement_id = execution.job_group if execution is not None else None
        target_type = "VIEW" if target.kind == "VIEW" else "TABLE"
        self.catalog.record_lineage(lineage.sources, target.full_name, operation, self.ctx.user,
                                    target_type=target_type, columns=columns, statement_id=statement_id)
        exporter = self.runtime.lineage_exporter(self.config)
        if exporter is not None and lineage.sources:  # engine/openlineage.py: queued, sent by a background thread
            from lakelens.sql.governance import redact_statement

            exporter.emit(statement_id=statement_id, statement=redact_statement(plan.source or ""),
                          operation=operation, target=target.full_name, target_type=target_type,
                          target_columns=target.columns, sources=lineage.sources, columns=columns, user=self.ctx.user)

    @staticmethod
    def _physical_name(info: ObjectInfo) -> str:
        if info.kind == "TABLE":
            return physical_table(info).sql("spark")
        return info.location or "(query)"

    def _run_write(self, plan: SparkWrite, execution: Execution | None):
        info = plan.target
        with self._errors(plan, info):
            df = self._prepared_df(plan, execution, runs_jobs=True)
            if plan.append_query:
                info = self._write_parquet(plan, _insert_frame(df, plan, info))
                result = pa.table({})
            else:
                result = df.toArrow()
        self._refresh_columns(info)
        if plan.operation != "ALTER":
            self._record_lineage(plan, self.catalog.get_object(info.catalog, info.schema, info.name),
                                 plan.operation, execution)
        return TableStream(result)

    def _write_parquet(self, plan: SparkWrite, df) -> ObjectInfo:
        """INSERT into a Parquet table. OVERWRITE of an unpartitioned table writes beside the old
        data and swaps it in by one metastore commit (as CREATE OR REPLACE does: readers never
        see half a table, a failure keeps the old data, and the query may read the table it
        replaces); a partitioned table is overwritten by Spark, which replaces the partitions
        that spark.sql.sources.partitionOverwriteMode says (dynamic: those written)."""
        info = plan.target
        writer = df.write
        if info.partitioned_by:
            writer = writer.partitionBy(*info.partitioned_by)
        if not plan.overwrite:
            writer.mode("append").parquet(info.location)
        elif info.partitioned_by:
            writer.mode("overwrite").parquet(info.location)
        else:
            staged = self.catalog.begin_replace(info)
            try:
                writer.mode("errorifexists").parquet(staged)
                columns = self._table_columns(replace(info, location=staged))
            except BaseException:
                self.catalog.cancel_replace(info, staged)
                raise
            self.catalog.finish_replace(info, staged, columns=columns, comment=info.comment,
                                        properties=info.properties)
            return self.catalog.get_object(info.catalog, info.schema, info.name)  # its new location
        return info

    def _table_columns(self, info: ObjectInfo) -> list[Column]:
        """The table's columns as its format reports them now (analysis only, no job)."""
        probe = exp.select("*").from_(physical_table(info)).limit(0)
        return _columns_of(spark_sql(self.spark, probe.sql(dialect="spark")).schema)

    def _refresh_columns(self, info: ObjectInfo) -> None:
        cols = self._table_columns(info)
        if list(cols) != list(info.columns):
            self.catalog.update_object(info, columns=cols)

    def _run_create_table(self, plan: CreateTable, execution: Execution | None):
        existing = plan.replace_existing
        if existing is None:
            info = self.catalog.reserve_table(
                plan.catalog, plan.schema, plan.name, fmt=plan.format,
                location=plan.location if plan.external else None, storage_key=plan.storage_key,
                comment=plan.comment, properties=plan.properties, owner=self.ctx.user,
                partitioned_by=plan.partitioned_by)
        else:
            info = existing
        # Delta and Iceberg replace atomically in their logs; a Parquet table's new data is
        # written beside the old and swapped in by one metastore commit (readers never see a
        # half-written table, a failure keeps the old data).
        staged = self.catalog.begin_replace(existing) if existing and plan.format == "parquet" else None
        written = replace(info, location=staged) if staged else info
        try:
            with self._errors(plan, info):
                if plan.format != "parquet":
                    self._prepared_df(plan, execution, runs_jobs=True).collect()
                elif plan.spark_sql:
                    writer = self._prepared_df(plan, execution, runs_jobs=True).write.mode("errorifexists")
                    if plan.partitioned_by:
                        writer = writer.partitionBy(*plan.partitioned_by)
                    writer.parquet(written.location)
                else:
                    empty = self._jobs(execution).createDataFrame([], schema=plan.columns_ddl)
                    empty.write.mode("errorifexists").parquet(written.location)
                columns = self._table_columns(written)
        except BaseException:
            if existing is None:
                self.catalog.abort_table(info)
            elif staged:
                self.catalog.cancel_replace(existing, staged)
            raise
        if existing is None:
            self.catalog.commit_table(info.id, columns)
        elif staged:
            self.catalog.finish_replace(existing, staged, columns=columns, comment=plan.comment,
                                        properties=plan.properties)
        else:
            self.catalog.update_object(existing, columns=columns, comment=plan.comment, properties=plan.properties)
        if plan.lineage is not None:
            self._record_lineage(plan, self.catalog.get_object(plan.catalog, plan.schema, plan.name),
                                 "CREATE TABLE AS SELECT", execution)
        return TableStream(pa.table({}))


def _insert_frame(df, plan: SparkWrite, info: ObjectInfo):
    """The query's rows as the table's columns, as Spark's INSERT maps them: by position, by
    the statement's column list (the table's other columns NULL) or by name (BY NAME)."""
    from pyspark.sql import functions as F

    table = [c.name for c in info.columns]
    named = list(df.columns) if plan.by_name else plan.insert_columns
    if named is None:
        if len(df.columns) != len(table):
            raise LakelensError(f"{info.full_name} has {len(table)} column(s), the query produces {len(df.columns)}",
                                error_class="INSERT_COLUMN_ARITY_MISMATCH", sqlstate="21S01")
        return df.select(*[df[i].cast(c.type).alias(c.name) for i, c in enumerate(info.columns)])
    lowered, known = [n.lower() for n in named], {t.lower() for t in table}
    unknown = [n for n in named if n.lower() not in known]
    if unknown:
        raise LakelensError(f"{info.full_name} has no column(s) {', '.join(unknown)} (its columns: "
                            f"{', '.join(table)})", error_class="UNRESOLVED_COLUMN", sqlstate="42703")
    if len(named) != len(df.columns):
        raise LakelensError(f"the INSERT names {len(named)} column(s), the query produces {len(df.columns)}",
                            error_class="INSERT_COLUMN_ARITY_MISMATCH", sqlstate="21S01")
    return df.select(*[(df[lowered.index(c.name.lower())] if c.name.lower() in lowered else F.lit(None))
                       .cast(c.type).alias(c.name) for c in info.columns])


# How each kind of plan runs: the one dispatch table of the engine.
_RUNNERS = {
    Rows: Session._run_rows,
    CatalogCommand: Session._run_catalog,
    SessionChange: Session._run_use,
    SparkQuery: Session._run_query,
    SparkWrite: Session._run_write,
    CreateTable: Session._run_create_table,
    CreateView: Session._run_view,
    TempView: Session._run_temp_view,
    Explain: Session._run_explain,
}
