"""Operations: one class per HiveServer2 operation type, each a thin adapter to the engine.

ExecuteStatement hands its text to the engine (`Session.submit`), which runs it on a
statement thread and owns its state, job group, timeout, progress and result stream; the
operation translates those to Thrift. Clients see the state through GetOperationStatus,
which long-polls. Results are read lazily from the execution's batches and kept only as far
as FETCH_FIRST needs (up to `gateway.fetch_first_max_bytes`; past that a FETCH_FIRST runs
the query again). Metadata operations answer from the catalog at once.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from typing import Callable, Iterator

import pyarrow as pa
from impala_thrift_gen.TCLIService import ttypes as T

from lakelens.errors import LakelensError

from lakelens.engine.execution import Execution, TableStream, user_error
from lakelens.engine.state import Lifecycle, State

log = logging.getLogger("lakelens.gateway")
_statement_numbers = itertools.count(1)

# Engine states as HiveServer2 names them.
THRIFT_STATE = {
    State.INITIALIZED: T.TOperationState.INITIALIZED_STATE, State.PENDING: T.TOperationState.PENDING_STATE,
    State.RUNNING: T.TOperationState.RUNNING_STATE, State.FINISHED: T.TOperationState.FINISHED_STATE,
    State.CANCELED: T.TOperationState.CANCELED_STATE, State.TIMEDOUT: T.TOperationState.TIMEDOUT_STATE,
    State.ERROR: T.TOperationState.ERROR_STATE, State.CLOSED: T.TOperationState.CLOSED_STATE,
}


class GatewayError(LakelensError):
    """An error the gateway itself reports (bad handle, bad request)."""


def new_handle_id() -> T.THandleIdentifier:
    return T.THandleIdentifier(guid=uuid.uuid4().bytes, secret=uuid.uuid4().bytes)


class OperationLog:
    """Lines a client reads with FetchResults(fetchType=1) or GetLog."""

    def __init__(self, lines: list[str] | None = None):
        self.lines = lines if lines is not None else []  # the engine appends to an execution's
        self.cursor = 0
        self._lock = threading.Lock()

    def read(self, first: bool, max_lines: int) -> list[str]:
        with self._lock:
            if first:
                self.cursor = 0
            out = self.lines[self.cursor:self.cursor + max_lines]
            self.cursor += len(out)
            return [f"INFO  : {line}" for line in out]


class ResultBuffer:
    """Rows of a result handed out in pages, rewindable for FETCH_FIRST."""

    def __init__(self, schema: pa.Schema, batches: Iterator[pa.RecordBatch],
                 reopen: Callable[[], Iterator[pa.RecordBatch]], max_kept_bytes: int):
        self.schema = schema
        self._reopen = reopen
        self._max_kept = max_kept_bytes
        self._reset(batches)

    def _reset(self, batches: Iterator[pa.RecordBatch]):
        self._source = iter(batches)
        self._batches: list[pa.RecordBatch] = []   # pulled batches still kept
        self._complete_from_start = True            # _batches[0] is the result's first batch
        self._kept_bytes = 0
        self._index, self._offset = 0, 0            # read cursor into _batches
        self.exhausted = False
        self.rows_served = 0

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
            self._reset(self._reopen())

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


class Operation:
    """What every operation has: a handle, a log, a result buffer, timing and status caches."""

    kind = T.TOperationType.UNKNOWN

    def __init__(self, session, config, log: OperationLog | None = None):
        self.session = session
        self.handle = T.TOperationHandle(operationId=new_handle_id(), operationType=self.kind,
                                         hasResultSet=True)
        self.key = self.handle.operationId.guid
        self.log = log or OperationLog()
        self.buffer: ResultBuffer | None = None
        self.created = time.time()
        self.last_access = time.monotonic()
        self.status_cache: dict[bool, object] = {}  # final GetOperationStatus replies, by "with progress"
        self.final_progress_sent = False
        self._max_kept = int(config.get("gateway.fetch_first_max_bytes", str(64 << 20)))

    # Subclasses say where state, error, completion time and schema come from.
    state: State
    error: LakelensError | None
    completed: float | None

    @property
    def thrift_state(self) -> int:
        return THRIFT_STATE[self.state]

    def wait(self, timeout: float) -> None:
        raise NotImplementedError

    def _results(self) -> ResultBuffer:
        raise NotImplementedError

    def fetch(self, first: bool, max_rows: int) -> pa.Table:
        self.last_access = time.monotonic()
        if self.state == State.ERROR and self.error:
            raise self.error
        if self.state in (State.CANCELED, State.TIMEDOUT, State.CLOSED):
            raise GatewayError(f"operation is {self.state.name}", error_class="OPERATION_NOT_ACTIVE",
                               sqlstate="HY010")
        if self.state != State.FINISHED:
            raise GatewayError(f"operation has no result to fetch yet (state {self.state.name})",
                               error_class="OPERATION_NOT_READY", sqlstate="HY010")
        buffer = self._results()
        if first:
            buffer.rewind()
        return buffer.next_rows(max_rows)

    def progress(self) -> T.TProgressUpdateResp | None:
        return None

    @property
    def schema(self) -> pa.Schema | None:
        raise NotImplementedError


class ExecuteStatement(Operation):
    """A SQL statement (or script) run by the engine; see the module docstring."""

    kind = T.TOperationType.EXECUTE_STATEMENT

    def __init__(self, session, config, statement: str, timeout_s: int = 0, overlay: dict | None = None):
        super().__init__(session, config)
        self.overlay = overlay or {}  # Spark conf for this statement only (confOverlay)
        self.statement = statement
        self.timeout_s = timeout_s
        self.number = next(_statement_numbers)
        self.execution: Execution | None = None
        self._lock = threading.Lock()

    def run(self, run_async: bool) -> None:
        self.execution = self.session.engine.submit(self.statement, conf=self.overlay, timeout_s=self.timeout_s)
        self.log = OperationLog(self.execution.log)
        if not run_async:
            self.execution.wait()

    state = property(lambda self: self.execution.state if self.execution else State.INITIALIZED)
    error = property(lambda self: self.execution.error if self.execution else None)
    completed = property(lambda self: self.execution.completed if self.execution else None)

    @property
    def schema(self) -> pa.Schema | None:
        return self.execution.schema if self.execution else None

    def wait(self, timeout: float) -> None:
        self.execution.wait(None if timeout == float("inf") else timeout)

    def _results(self) -> ResultBuffer:
        with self._lock:
            if self.buffer is None:
                ex = self.execution
                self.buffer = ResultBuffer(ex.schema, ex.batches(), ex.reopen, self._max_kept)
            return self.buffer

    def fetch(self, first: bool, max_rows: int) -> pa.Table:
        try:
            return super().fetch(first, max_rows)
        except LakelensError:
            raise
        except BaseException as e:  # noqa: BLE001 - reported to the client
            raise user_error(e) from None

    def cancel(self, state: State = State.CANCELED) -> None:
        if self.execution.state.terminal and self.execution.state != State.FINISHED:
            return
        self.execution.cancel(state)
        log.info("session %s: statement %s %s, Spark job group cancelled, Ray pools told", self.session.key_hex[:8],
                 self.number, state.name.lower())

    def close(self) -> None:
        if self.execution is not None:
            if not self.execution.state.terminal:
                self.cancel()
            self.execution.close()

    def progress(self) -> T.TProgressUpdateResp | None:
        progress = self.execution.progress()
        rows = [[f"Stage-{st.stage_id}", "spark", st.status, str(st.total), str(st.completed), str(st.running),
                 str(max(st.total - st.completed - st.running, 0)), str(st.failed), "0"] for st in progress.stages]
        state = T.TJobExecutionStatus.COMPLETE if self.state == State.FINISHED else T.TJobExecutionStatus.IN_PROGRESS
        done = sum(1 for r in rows if r[2] in ("SUCCEEDED", "SKIPPED"))
        return T.TProgressUpdateResp(
            headerNames=["STAGES", "ATTEMPT", "STATUS", "TOTAL", "COMPLETED", "RUNNING", "PENDING", "FAILED",
                         "KILLED"],
            rows=rows, progressedPercentage=progress.fraction, status=state,
            footerSummary=f"STAGES: {done:02d}/{len(rows):02d}",
            startTime=int((self.execution.started or self.created) * 1000))


class MetadataOperation(Lifecycle, Operation):
    """GetTables, GetColumns, …: answered from the catalog when the RPC arrives."""

    def __init__(self, session, config, kind: int, answer):
        self.kind = kind
        Operation.__init__(self, session, config)
        Lifecycle.__init__(self)
        self._answer = answer
        self.error = None
        self._table: pa.Table | None = None

    def run(self, run_async: bool) -> None:
        self._move(State.RUNNING)
        try:
            self._table = self._answer()
        except BaseException as e:  # noqa: BLE001 - reported to the client
            self.error = user_error(e)
            self._move(State.ERROR)
            return
        self._move(State.FINISHED)

    def wait(self, timeout: float) -> None:
        pass  # answered before the RPC returned

    def _results(self) -> ResultBuffer:
        if self.buffer is None:
            table = self._table
            self.buffer = ResultBuffer(table.schema, iter(TableStream(table)), lambda: iter(TableStream(table)),
                                       self._max_kept)
        return self.buffer

    @property
    def schema(self) -> pa.Schema | None:
        return self._table.schema if self._table is not None else None

    def cancel(self, state: State = State.CANCELED) -> None:
        if not self.state.terminal:
            self._move(state)

    def close(self) -> None:
        if self.state != State.CLOSED:
            self._move(State.CLOSED)
