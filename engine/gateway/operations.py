"""Operations: one class per HiveServer2 operation type, each producing an Arrow result.

Every statement runs on a long-lived worker thread (the RPC of a synchronous one waits for
it); its Spark jobs carry the operation's job group, so a query timeout (a timer) and
CancelOperation (another connection) stop them. Clients see the state through
GetOperationStatus, which long-polls. Results are read lazily from the engine's stream
and kept only as far as FETCH_FIRST needs (up to `gateway.fetch_first_max_bytes`; past
that a FETCH_FIRST runs the query again).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
from impala_thrift_gen.TCLIService import ttypes as T

from lakelens.catalog import LakelensError

from .state import OperationState, check_transition

log = logging.getLogger("lakelens.gateway")
_job_groups = itertools.count(1)
_workers: ThreadPoolExecutor | None = None
_workers_lock = threading.Lock()


def _worker_pool(config) -> ThreadPoolExecutor:
    """Statements run on long-lived worker threads: with PySpark's pinned threads every new
    Python thread opens its own py4j connection and JVM thread, a cost a pool pays once.
    More concurrent statements than workers wait in PENDING."""
    global _workers
    with _workers_lock:
        if _workers is None:
            size = int(config.get("gateway.max_running_statements", "64"))
            _workers = ThreadPoolExecutor(max_workers=size, thread_name_prefix="statement")
        return _workers


class GatewayError(LakelensError):
    """An error the gateway itself reports (bad handle, bad request)."""


def new_handle_id() -> T.THandleIdentifier:
    return T.THandleIdentifier(guid=uuid.uuid4().bytes, secret=uuid.uuid4().bytes)


class OperationLog:
    """Lines a client reads with FetchResults(fetchType=1) or GetLog."""

    def __init__(self):
        self.lines: list[str] = []
        self.cursor = 0
        self._lock = threading.Lock()

    def add(self, line: str) -> None:
        with self._lock:
            self.lines.append(f"INFO  : {line}")

    def read(self, first: bool, max_lines: int) -> list[str]:
        with self._lock:
            if first:
                self.cursor = 0
            out = self.lines[self.cursor:self.cursor + max_lines]
            self.cursor += len(out)
            return out


class ResultBuffer:
    """Rows of a result stream handed out in pages, rewindable for FETCH_FIRST."""

    def __init__(self, open_stream, max_kept_bytes: int):
        self._open = open_stream
        self._max_kept = max_kept_bytes
        self._reset()

    def _reset(self):
        self.stream = self._open()
        self.schema = self.stream.schema
        self._source = iter(self.stream)
        self._batches: list[pa.RecordBatch] = []   # pulled batches still kept
        self._complete_from_start = True            # _batches[0] is the result's first batch
        self._kept_bytes = 0
        self._index, self._offset = 0, 0            # read cursor into _batches
        self.exhausted = False
        self.rows_served = 0

    def prime(self) -> None:
        """Pull the first batch now: a failure in the first partition surfaces as the
        statement's error, and FINISHED means rows are ready."""
        if not self._batches and not self.exhausted:
            self._pull()

    def _pull(self) -> bool:
        try:
            batch = next(self._source)
        except StopIteration:
            self.exhausted = True
            return False
        self._batches.append(batch)
        self._kept_bytes += batch.nbytes
        if self._kept_bytes > self._max_kept and self._complete_from_start:
            self._complete_from_start = False
        if not self._complete_from_start:
            # Forget batches already handed out: memory stays bounded by the page size.
            del self._batches[:self._index]
            self._index = 0
        return True

    def rewind(self) -> None:
        if self._complete_from_start:
            self._index, self._offset, self.rows_served = 0, 0, 0
        else:
            self.stream.close()
            self._reset()

    def next_rows(self, max_rows: int) -> pa.Table:
        pieces, wanted = [], max(1, max_rows)
        while wanted > 0:
            if self._index >= len(self._batches) and not self._pull():
                break
            batch = self._batches[self._index]
            take = batch.slice(self._offset, wanted)
            if take.num_rows:
                pieces.append(take)
            wanted -= take.num_rows
            self._offset += take.num_rows
            if self._offset >= batch.num_rows:
                self._index, self._offset = self._index + 1, 0
        self.rows_served += sum(p.num_rows for p in pieces)
        return pa.Table.from_batches(pieces, schema=self.schema)

    @property
    def has_more(self) -> bool:
        if self._index < len(self._batches):
            return True
        return not self.exhausted

    def close(self) -> None:
        self.stream.close()


class Operation:
    """Common life cycle: state machine, result buffer, log, timing."""

    kind = T.TOperationType.UNKNOWN

    def __init__(self, session, config):
        self.session = session
        self.handle = T.TOperationHandle(operationId=new_handle_id(), operationType=self.kind,
                                         hasResultSet=True)
        self.key = self.handle.operationId.guid
        self.state = OperationState.INITIALIZED
        self.error: LakelensError | None = None
        self.log = OperationLog()
        self.buffer: ResultBuffer | None = None
        self.created = time.time()
        self.started: float | None = None
        self.completed: float | None = None
        self.last_access = time.monotonic()
        self.status_cache: dict[bool, object] = {}  # final GetOperationStatus replies, by "with progress"
        self.final_progress_sent = False
        self._cond = threading.Condition()
        self._max_kept = int(config.get("gateway.fetch_first_max_bytes", str(64 << 20)))

    # ------------------------------------------------------------------ state
    def set_state(self, new: OperationState) -> bool:
        """Move to `new` if allowed; a late transition out of a terminal state is ignored."""
        with self._cond:
            if new == self.state:
                return True
            try:
                check_transition(self.state, new)
            except Exception:
                return False
            self.state = new
            if new == OperationState.RUNNING and self.started is None:
                self.started = time.time()
            if new.terminal and self.completed is None:
                self.completed = time.time()
            self._cond.notify_all()
            return True

    def wait(self, timeout: float) -> None:
        """Block until the state leaves PENDING/RUNNING or `timeout` passes (long polling)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.state in (OperationState.INITIALIZED, OperationState.PENDING,
                                 OperationState.RUNNING):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 60.0))

    def fail(self, exc: BaseException) -> None:
        if not isinstance(exc, LakelensError):
            log.error("internal error in %s: %s", type(self).__name__, "".join(
                traceback.format_exception(exc)))
            exc = LakelensError(f"INTERNAL_ERROR: {type(exc).__name__}: {exc}", error_class="INTERNAL_ERROR",
                                sqlstate="XX000")
        if self.set_state(OperationState.ERROR):
            self.error = exc
            self.log.add(f"error: {exc}")

    # ------------------------------------------------------------------ running
    def run(self, run_async: bool) -> None:
        """Metadata operations answer from the catalog right away."""
        self.set_state(OperationState.RUNNING)
        try:
            table = self.result()
            self.buffer = ResultBuffer(lambda: _TableStream(table), self._max_kept)
            self.set_state(OperationState.FINISHED)
        except BaseException as e:  # noqa: BLE001 - reported to the client
            self.fail(e)

    def result(self) -> pa.Table:
        raise NotImplementedError

    def fetch(self, first: bool, max_rows: int) -> pa.Table:
        self.last_access = time.monotonic()
        if self.state == OperationState.ERROR and self.error:
            raise self.error
        if self.state in (OperationState.CANCELED, OperationState.TIMEDOUT, OperationState.CLOSED):
            raise GatewayError(f"operation is {self.state.name}", error_class="OPERATION_NOT_ACTIVE",
                               sqlstate="HY010")
        if self.buffer is None:
            raise GatewayError(f"operation has no result to fetch yet (state {self.state.name})",
                               error_class="OPERATION_NOT_READY", sqlstate="HY010")
        if first:
            self.buffer.rewind()
        try:
            return self.buffer.next_rows(max_rows)
        except LakelensError as e:  # a later partition failed
            self.fail(e)
            raise

    def cancel(self, state: OperationState = OperationState.CANCELED) -> None:
        if self.set_state(state):
            self.log.add(f"operation {state.name.lower()}")
        if self.buffer is not None:
            self.buffer.close()

    def close(self) -> None:
        if not self.state.terminal:
            self.cancel()
        self.set_state(OperationState.CLOSED)
        if self.buffer is not None:
            self.buffer.close()

    def progress(self) -> T.TProgressUpdateResp | None:
        return None

    @property
    def schema(self) -> pa.Schema | None:
        return self.buffer.schema if self.buffer is not None else None


class _TableStream:
    def __init__(self, table: pa.Table):
        self.schema = table.schema
        self._table = table

    def __iter__(self):
        return iter(self._table.to_batches(max_chunksize=65536))

    def close(self):
        pass


class ExecuteStatement(Operation):
    """A SQL statement run through the engine session; its rows are streamed from Spark."""

    kind = T.TOperationType.EXECUTE_STATEMENT

    def __init__(self, session, config, statement: str, timeout_s: int = 0, overlay: dict | None = None):
        super().__init__(session, config)
        self._config = config
        self.overlay = overlay or {}  # Spark conf for this statement only (confOverlay)
        self.statement = statement
        self.timeout_s = timeout_s
        self.job_group = f"lakelens-{session.key_hex[:8]}-{next(_job_groups)}"
        self._timer: threading.Timer | None = None

    def run(self, run_async: bool) -> None:
        self.set_state(OperationState.PENDING)
        if self.timeout_s and self.timeout_s > 0:
            self._timer = threading.Timer(self.timeout_s, self._time_out)
            self._timer.daemon = True
            self._timer.start()
        _worker_pool(self._config).submit(self._execute)
        if not run_async:
            # Running synchronous statements inline on the connection's thread measured the
            # same within this machine's noise; one path for both keeps timeouts uniform.
            self.wait(float("inf"))

    def _time_out(self) -> None:
        if not self.state.terminal:
            self.log.add(f"query timeout after {self.timeout_s} s")
            self.cancel(OperationState.TIMEDOUT)

    def _execute(self) -> None:
        engine = self.session.engine
        if not self.set_state(OperationState.RUNNING):
            return
        start = time.perf_counter()
        restore = {}
        try:
            self._job_properties()
            conf = engine.spark.conf
            for key, value in self.overlay.items():
                restore[key] = conf.get(key, None)
                conf.set(key, value)
            statements = self.session.prepare(self.statement)
            for i, text in enumerate(statements):
                plan = engine.plan(text)
                self.log.add(f"plan: {type(plan).__name__} — {_one_line(text)}")
                if self.state.terminal:
                    return
                if i < len(statements) - 1:
                    engine.stream(plan).close()
                    continue
                buffer = ResultBuffer(lambda p=plan: engine.stream(p, self._job_properties), self._max_kept)
                self.buffer = buffer
                if self.state.terminal:  # cancelled while Spark analysed the query
                    buffer.close()
                    return
                buffer.prime()
            self.log.add(f"ready in {time.perf_counter() - start:.3f} s")
            self.set_state(OperationState.FINISHED)
        except BaseException as e:  # noqa: BLE001 - reported to the client
            if self.state.terminal:  # a cancel or timeout closed the stream under us
                return
            self.fail(e)
        finally:
            for key, value in restore.items():
                engine.spark.conf.unset(key) if value is None else engine.spark.conf.set(key, value)
            if self._timer is not None and self.state != OperationState.FINISHED:
                self._timer.cancel()

    def _job_properties(self) -> None:
        """Tag the Spark jobs this thread starts next with the operation's job group, so
        CancelOperation and timeouts can stop them."""
        sc = self.session.engine.spark.sparkContext
        sc.setJobGroup(self.job_group, _one_line(self.statement)[:200], True)

    def cancel(self, state: OperationState = OperationState.CANCELED) -> None:
        was_running = not self.state.terminal or self.state == OperationState.FINISHED
        super().cancel(state)
        if self._timer is not None:
            self._timer.cancel()
        if was_running and self.session.engine._spark is not None:
            log.info("session %s: statement %s %s, Spark job group cancelled, Ray pools told", self.session.key_hex[:8],
                     self.job_group.rsplit("-", 1)[-1], state.name.lower())
            try:
                self.session.engine.cancel(self.job_group)
            except Exception:  # the JVM may be shutting down
                pass

    def fetch(self, first: bool, max_rows: int) -> pa.Table:
        table = super().fetch(first, max_rows)
        if self._timer is not None and not self.buffer.has_more:
            self._timer.cancel()
        return table

    def progress(self) -> T.TProgressUpdateResp | None:
        engine = self.session.engine
        if engine._spark is None:
            return None
        tracker = engine.spark.sparkContext.statusTracker()
        rows, done_tasks, all_tasks = [], 0, 0
        for job_id in tracker.getJobIdsForGroup(self.job_group):
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
                    status = "SKIPPED"  # adaptive execution reused another stage's output
                else:
                    done_tasks += stage.numCompletedTasks
                    all_tasks += stage.numTasks
                    status = "SUCCEEDED" if complete else ("RUNNING" if stage.numActiveTasks else "PENDING")
                rows.append([f"Stage-{stage_id}", "spark", status, str(stage.numTasks),
                             str(stage.numCompletedTasks), str(stage.numActiveTasks),
                             str(max(stage.numTasks - stage.numCompletedTasks - stage.numActiveTasks, 0)),
                             str(stage.numFailedTasks), "0"])
        # FINISHED means the answer is ready (later partitions may still be computed as they
        # are fetched): the bar is full.
        fraction = 1.0 if self.state.terminal else (done_tasks / all_tasks if all_tasks else 0.0)
        state = {OperationState.FINISHED: T.TJobExecutionStatus.COMPLETE}.get(
            self.state, T.TJobExecutionStatus.IN_PROGRESS)
        return T.TProgressUpdateResp(
            headerNames=["STAGES", "ATTEMPT", "STATUS", "TOTAL", "COMPLETED", "RUNNING", "PENDING", "FAILED",
                         "KILLED"],
            rows=rows, progressedPercentage=fraction, status=state,
            footerSummary=f"STAGES: {sum(1 for r in rows if r[2] in ('SUCCEEDED', 'SKIPPED')):02d}/{len(rows):02d}",
            startTime=int((self.started or self.created) * 1000))


def _one_line(text: str) -> str:
    return " ".join(text.split())


class MetadataOperation(Operation):
    def __init__(self, session, config, kind: int, answer):
        self.kind = kind
        super().__init__(session, config)
        self._answer = answer

    def result(self) -> pa.Table:
        return self._answer()
