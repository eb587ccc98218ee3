"""The process's runtime: the one owner of everything a lakelens process holds once.

Starting Spark costs 10–20 s and Ray seconds more, so a process keeps one of each and every
lakelens session shares them. `Runtime` owns that state — the Spark root session, the
threads statements run on, the record of which multimodal UDFs each Spark session has
registered, the catalogs (one connection pool per metastore URL), the Ray runtime and the
Ray pools this process created — and it is created once per process (`Runtime.get`).

Configuration arrives with every `lakelens.connect(...)`; what is fixed per process (Spark's
static settings, the statement thread count, `ray.address`) is taken from the first session
that needs it, and a later session that asks for something else is refused with a message
naming the key and both values, never silently ignored. Settings Spark can change per
session (`spark.sql.*` and other modifiable keys) are applied to that session's Spark
session. Caches that live inside Spark's Python workers and Ray actors (loaded models,
pool handles) are per *worker* process and stay in those modules (docs/architecture.md).
"""

from __future__ import annotations

import logging
import collections
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

from lakelens.catalog import Catalog
from lakelens.catalog.storage import Storage
from lakelens.errors import LakelensError

from lakelens.engine.config import Config

log = logging.getLogger("lakelens")

_process: "Runtime | None" = None
_process_lock = threading.Lock()


class ConfigConflict(LakelensError):
    error_class = "CONFIG_CONFLICT"
    sqlstate = "22023"


class Runtime:
    """Process-wide state with one owner; see the module docstring."""

    def __init__(self):
        self._lock = threading.RLock()
        self._spark = None                 # the root SparkSession
        self._spark_conf: dict[str, str] = {}  # spark.* settings it was started with (from configuration)
        self.spark_has_s3a = False         # whether it started with the s3a connector (engine/spark.py)
        self._workers: ThreadPoolExecutor | None = None
        self._worker_count = 0
        self._catalogs: dict[tuple[str, str], Catalog] = {}
        self._registered: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
        self._ray = None                   # pools.ray_runtime.RayRuntime once joined or started
        self._exporters: dict[str, object] = {}  # lineage.openlineage.url -> openlineage.LineageExporter
        self._slots = threading.Lock()           # statements running per workspace (max_concurrent_queries)
        self._running_in: dict[str, int] = {}
        self._queued_in: dict[str, collections.deque] = {}
        self.pool_handles: dict[str, object] = {}  # dispatchers this process created (see pools/client.py)
        # JVM handles a result stream uses for every job, made once (each lookup is a py4j
        # round trip): PythonRDD.runJob, the JVM SparkContext, and the partition list [0]
        # that a small result's only job asks for (read-only in the JVM).
        self.run_job = None
        self.jvm_context = None
        self.first_partition = None

    @classmethod
    def get(cls) -> "Runtime":
        global _process
        with _process_lock:
            if _process is None:
                _process = cls()
            return _process

    # ------------------------------------------------------------------ Spark
    @property
    def spark_started(self) -> bool:
        return self._spark is not None

    def spark_root(self, config: Config):
        """The process's SparkSession, started with `config` on first use."""
        with self._lock:
            if self._spark is None:
                from lakelens.engine.spark import start_root

                self._spark = start_root(config)
                self._spark_conf = dict(config.spark_conf())
                self.spark_has_s3a = config.uses_object_storage
                sc = self._spark.sparkContext
                self.run_job = sc._jvm.PythonRDD.runJob
                self.jvm_context = sc._jsc.sc()
                self.first_partition = sc._jvm.java.util.ArrayList()
                self.first_partition.add(0)
            return self._spark

    def spark_session(self, config: Config):
        """A new Spark session (own SQL conf and temporary state, shared JVM) for a lakelens
        session with `config`: its session-level spark.* settings applied, static ones that
        differ from the running JVM's refused."""
        from lakelens.engine.spark import new_session

        root = self.spark_root(config)
        spark = new_session(root, config)
        for key, value in config.spark_conf().items():
            started_with = self._spark_conf.get(key)
            if started_with == value:
                continue
            if key == "spark.jars.packages" or not root.conf.isModifiable(key):
                raise ConfigConflict(
                    f"{key} = {value!r} cannot take effect: Spark in this process started with "
                    f"{key} = {started_with if started_with is not None else '(unset)'!r} and the setting is fixed "
                    "for the JVM's life; set it before the first statement, or in another process")
            spark.conf.set(key, value)
        return spark

    def registered_udfs(self, spark) -> set[str]:
        """Names of the multimodal UDFs already registered in a Spark session (mutated under `lock`)."""
        return self._registered.setdefault(spark, set())

    @property
    def lock(self):
        return self._lock

    # ------------------------------------------------------------------ statements
    def statement_workers(self, config: Config) -> ThreadPoolExecutor:
        """Long-lived threads that statements run on: with PySpark's pinned threads every new
        Python thread opens its own py4j connection and JVM thread, a cost a pool pays once.
        More concurrent statements than threads wait in PENDING."""
        size = config.number("gateway.max_running_statements", 64, int, 1)
        with self._lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(max_workers=size, thread_name_prefix="statement")
                self._worker_count = size
            elif config.get("gateway.max_running_statements") is not None and size != self._worker_count:
                raise ConfigConflict(
                    f"gateway.max_running_statements = {size} cannot take effect: this process already runs "
                    f"statements on {self._worker_count} threads")
            return self._workers

    # ------------------------------------------------------------------ catalogs
    def catalog(self, config: Config) -> Catalog:
        """One Catalog (one connection pool) per metastore URL and warehouse."""
        key = (config.catalog_url, str(config.warehouse))
        with self._lock:
            if key not in self._catalogs:
                config.home.mkdir(parents=True, exist_ok=True)
                self._catalogs[key] = Catalog(config.catalog_url, config.warehouse, default_owner=config.user,
                                              default_catalog=config.get("session.catalog", "main"),
                                              default_schema=config.get("session.schema", "default"),
                                              protected=[("the lakelens home", config.home)],
                                              retention_days=_retention_days(config),
                                              storage=Storage(config.s3a_settings()), local_root=config.home)
                # Undo what a killed process left (unfinished CREATE TABLE, orphaned files).
                for line in self._catalogs[key].reconcile(config.number("catalog.reconcile_max_age_s", 86400)):
                    log.warning("catalog reconciliation: %s", line)
            return self._catalogs[key]

    # ------------------------------------------------------------------ workspace limits
    def admit(self, workspace: str, limit: int, execution, submit) -> None:
        """Run `submit()` (which hands the execution to a statement thread) now if the workspace
        runs fewer than `limit` statements, else queue it, first come first served: a waiting
        statement holds no thread, so one workspace's queue never stalls the server. The slot
        is the execution's until `leave_workspace`, which hands it to the next in line."""
        with self._slots:
            running = self._running_in.get(workspace, 0)
            if running < limit:
                self._running_in[workspace] = running + 1
            else:
                self._queued_in.setdefault(workspace, collections.deque()).append((execution, submit))
                execution.log.append(f"waiting: workspace {workspace} runs {running} statement(s), "
                                     f"its max_concurrent_queries")
                return
        submit()

    def leave_workspace(self, workspace: str) -> None:
        with self._slots:
            queue = self._queued_in.get(workspace)
            following = None
            while queue:
                execution, submit = queue.popleft()
                if not execution.state.terminal:  # cancelled while it waited: skipped
                    following = submit
                    break
            if queue is not None and not queue:
                del self._queued_in[workspace]
            if following is None:  # the slot is free; else it passes to the next in line
                self._running_in[workspace] -= 1
                if not self._running_in[workspace]:
                    del self._running_in[workspace]
        if following is not None:
            following()

    def running_in(self, workspace: str) -> int:
        with self._slots:
            return self._running_in.get(workspace, 0)

    # ------------------------------------------------------------------ OpenLineage
    def lineage_exporter(self, config: Config):
        """The OpenLineage exporter for `lineage.openlineage.url` (one sender thread per URL),
        or None when export is off."""
        url = (config.get("lineage.openlineage.url") or "").strip()
        if not url:
            return None
        with self._lock:
            if url not in self._exporters:
                from lakelens.engine.openlineage import LineageExporter

                self._exporters[url] = LineageExporter(config)
            return self._exporters[url]

    # ------------------------------------------------------------------ Ray
    @property
    def ray_started(self) -> bool:
        return self._ray is not None

    def ray(self, config: Config):
        """Join or start Ray for this process (once); a later different `ray.address` is refused."""
        from lakelens.engine.pools import ray_runtime

        with self._lock:
            if self._ray is None:
                self._ray = ray_runtime.start(config)
            else:
                ray_runtime.check_same(self._ray, config)
            return self._ray


def _retention_days(config: Config) -> float:
    """catalog.retention_days: a number of days from 0 to 36500 (catalog/recycle.py)."""
    from lakelens.catalog.recycle import MAX_RETENTION_DAYS
    from lakelens.engine.config import invalid_config

    days = config.number("catalog.retention_days", 7.0, float, 0)
    if not days <= MAX_RETENTION_DAYS:  # inf, nan
        raise invalid_config("catalog.retention_days", f"a number of days from 0 to {MAX_RETENTION_DAYS:g}", days)
    return days
