"""One submitted script, run by the engine: the one way every frontend runs statements.

`Session.submit(text)` returns an `Execution`. On one of the runtime's statement threads it
splits the script, and for each statement plans, prepares (UDF registration, table
functions, system tables, Ray pools) and runs it; the last statement's result is a stream
of Arrow record batches read by whoever consumes the execution (the CLI, `Session.sql`, the
gateway's FetchResults), a few partitions at a time. The execution's `state` moves through
`State` with checked transitions (state.py); `wait`, `progress()`, `cancel()` and a timeout
are here, so frontends translate protocols and never touch Spark (docs/architecture.md).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import pyarrow as pa

from lakelens.errors import LakelensError

from lakelens.engine.state import Lifecycle, State

if TYPE_CHECKING:  # pragma: no cover
    from lakelens.engine.session import Session

log = logging.getLogger("lakelens.engine")
_ids = itertools.count(1)


class ExecutionError(LakelensError):
    """A statement the execution cannot run in its current state (cancelled, closed)."""


@dataclass
class StatementResult:
    """One statement of a script and its whole (small) result, for frontends that show each."""

    table: pa.Table
    statement: str
    elapsed_s: float


@dataclass
class StageProgress:
    stage_id: int
    status: str  # PENDING | RUNNING | SUCCEEDED | SKIPPED
    total: int
    completed: int
    running: int
    failed: int


@dataclass
class Progress:
    """Spark stages of an execution's jobs so far; `fraction` is 1.0 once it has finished."""

    stages: list[StageProgress] = field(default_factory=list)
    fraction: float = 0.0


class TableStream:
    """A small result held whole, as a stream."""

    def __init__(self, table: pa.Table):
        self.schema = table.schema
        self._table = table

    def __iter__(self):
        return iter(self._table.to_batches(max_chunksize=65536))

    def close(self) -> None:
        pass


def user_error(exc: BaseException) -> LakelensError:
    if isinstance(exc, LakelensError):
        return exc
    log.error("internal error: %s", "".join(traceback.format_exception(exc)))
    return LakelensError(f"{type(exc).__name__}: {exc}", error_class="INTERNAL_ERROR", sqlstate="XX000")


class Execution(Lifecycle):
    """A script submitted to a session; see the module docstring."""

    def __init__(self, session: "Session", text: str, *, conf: dict[str, str] | None = None,
                 timeout_s: float = 0, keep_results: bool = False):
        self.session = session
        self.text = text
        self.conf = dict(conf or {})  # Spark settings for this execution only
        self.timeout_s = timeout_s
        self.keep_results = keep_results
        self.id = next(_ids)
        self.job_group = f"lakelens-{session.id}-{self.id}"
        from lakelens.sql.governance import redact_statement

        self.description = " ".join(redact_statement(text).split())[:200]
        super().__init__()
        self.error: LakelensError | None = None
        self.schema: pa.Schema | None = None       # the last statement's, once it is known
        self.results: list[StatementResult] = []   # every statement's, when keep_results
        self.log: list[str] = []                   # one line per step, for frontends that show logs
        self.statement_index = 0                   # the statement of the script under way (or that failed)
        self.created = time.time()
        self._cond = threading.Condition()
        self._stream = None                        # the last statement's result stream
        self._first: list[pa.RecordBatch] = []     # batches pulled before FINISHED
        self._source: Iterator[pa.RecordBatch] | None = None
        self._last_plan = None
        self._timer: threading.Timer | None = None
        self._slot: str | None = None  # the workspace whose running-statement slot this execution takes

    # ------------------------------------------------------------------ life cycle
    def _move(self, new: State) -> None:
        """Change state (caller holds `_cond`); an illegal transition raises."""
        super()._move(new)
        self._cond.notify_all()

    def start(self, workers) -> "Execution":
        """Queue the execution on `workers` (the runtime's statement threads)."""
        with self._cond:
            self._move(State.PENDING)
        if self.timeout_s and self.timeout_s > 0:
            self._timer = threading.Timer(self.timeout_s, self._time_out)
            self._timer.daemon = True
            self._timer.start()
        limit = self.session.workspace_limit("max_concurrent_queries")
        if limit is None:
            workers.submit(self._run)
        else:  # PENDING, and on no thread, while the workspace runs `limit` statements
            self._slot = self.session.workspace
            self.session.runtime.admit(self._slot, limit, self, lambda: workers.submit(self._run))
        return self

    def _run(self) -> None:
        try:
            self._run_statements()
        finally:
            if self._slot is not None:  # the workspace's running-statement slot (Runtime.admit)
                self.session.runtime.leave_workspace(self._slot)

    def _run_statements(self) -> None:
        with self._cond:
            if self.state.terminal:  # cancelled or timed out while waiting for a thread
                return
            self._move(State.RUNNING)
        session = self.session
        began = time.perf_counter()
        restore: dict[str, str | None] = {}
        current: str | None = None  # the statement under way, for the audit log when it fails
        plan = None
        try:
            from lakelens.sql import SqlSyntaxError, split_statements
            from lakelens.sql.governance import redact_statement

            statements = split_statements(self.text)
            if not statements:
                raise SqlSyntaxError("empty statement")
            if self.conf:
                restore = session.apply_conf(self.conf)
            for i, statement in enumerate(statements):
                if self.state.terminal:
                    return
                step = time.perf_counter()
                self.statement_index = i
                current, plan = statement, None
                plan = session.plan(statement)
                self.log.append(f"plan: {type(plan).__name__} — {' '.join(redact_statement(statement).split())[:200]}")
                last = i == len(statements) - 1
                stream = session.open(plan, self)
                session.audit_statement(statement, plan, None)
                current = None
                if self.keep_results:
                    table = _read_all(stream)
                    self.results.append(StatementResult(table, statement, time.perf_counter() - step))
                    with self._cond:
                        self._cond.notify_all()
                    stream = TableStream(table)
                elif not last:
                    stream.close()  # statements before the last run for their effect only
                    continue
                if last:
                    self._last_plan = plan
                    self._attach(stream)
            self.log.append(f"ready in {time.perf_counter() - began:.3f} s")
            with self._cond:
                if not self.state.terminal:
                    self._move(State.FINISHED)
        except BaseException as e:  # noqa: BLE001 - the execution's error
            if current is not None:
                session.audit_statement(current, plan, e)
            self._fail(e, getattr(plan, "access", None))
        finally:
            if restore:
                session.restore_conf(restore)
            if self._timer is not None and self.state != State.FINISHED:
                self._timer.cancel()

    def _attach(self, stream) -> None:
        """Keep the last statement's stream and pull its first batch now: a failure in the first
        partition is the statement's error, and FINISHED means rows are ready."""
        with self._cond:
            if self.state.terminal:  # cancelled while Spark analysed the query
                stream.close()
                return
            self._stream = stream
            self.schema = stream.schema
        self._source = iter(stream)
        for batch in self._source:
            self._first.append(batch)
            break

    def _fail(self, exc: BaseException, access=None) -> None:
        with self._cond:
            if self.state.terminal and self.state != State.FINISHED:
                return  # a cancel or timeout closed the stream under us: that is the outcome
            if self.state == State.CLOSED:
                return
            self.error = user_error(self.session.scrub_error(exc, access))
            from lakelens.sql.governance import password_secrets, redact

            self.log.append(f"error: {redact(str(self.error), password_secrets(self.text))}")
            self._move(State.ERROR)
        if self._timer is not None:
            self._timer.cancel()

    def _time_out(self) -> None:
        if not self.state.terminal:
            self.log.append(f"query timeout after {self.timeout_s} s")
            self.cancel(State.TIMEDOUT)

    # ------------------------------------------------------------------ consuming
    def wait(self, timeout: float | None = None) -> State:
        """Block until the result is ready or the execution ended (or `timeout` passes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self.state in (State.INITIALIZED, State.PENDING, State.RUNNING):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cond.wait(60.0 if left is None else min(left, 60.0))
            return self.state

    def _check_readable(self) -> None:
        if self.state == State.ERROR and self.error is not None:
            raise self.error
        if self.state in (State.CANCELED, State.TIMEDOUT, State.CLOSED):
            raise ExecutionError(f"statement is {self.state.name}", error_class="OPERATION_NOT_ACTIVE",
                                 sqlstate="HY010")

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The last statement's rows, as Arrow record batches; read once. Waits for the result."""
        self.wait()
        self._check_readable()
        first, self._first = self._first, []
        yield from first
        if self._source is None:
            return
        try:
            for batch in self._source:
                yield batch
                if self.state.terminal and self.state != State.FINISHED:
                    self._check_readable()
        except GeneratorExit:  # the reader stopped early: not the statement's failure (close() ends it)
            raise
        except BaseException as e:  # a later partition failed, or the read was cancelled
            if self.state.terminal and self.state != State.FINISHED:
                self._check_readable()
            self._fail(e)
            raise self.error from None
        self._check_readable()  # a stream closed by cancel ends early: say so, not "no more rows"
        if self._timer is not None:
            self._timer.cancel()

    def to_table(self) -> pa.Table:
        batches = list(self.batches())
        return pa.Table.from_batches(batches, schema=self.schema) if self.schema is not None else pa.table({})

    def reopen(self) -> Iterator[pa.RecordBatch]:
        """The last statement's rows again, computed anew (a client rewinding a large result)."""
        self._check_readable()
        if self._last_plan is None:
            return iter(())
        stream = self.session.open(self._last_plan, self)
        return iter(stream)

    def statement_results(self) -> Iterator[StatementResult]:
        """With keep_results: each statement's result as soon as it has run."""
        i = 0
        while True:
            with self._cond:
                while i >= len(self.results) and self.state in (State.PENDING, State.RUNNING, State.INITIALIZED):
                    self._cond.wait(60.0)
                ready = self.results[i:]
            for result in ready:
                yield result
            i += len(ready)
            if self.state not in (State.PENDING, State.RUNNING, State.INITIALIZED) and i >= len(self.results):
                self._check_readable()
                return

    # ------------------------------------------------------------------ control
    def tag_jobs(self, spark) -> None:
        """Tag the Spark jobs the calling thread starts next with this execution's job group, so
        cancel and timeouts reach them. Called right before each action that starts jobs (the
        gateway fetches later chunks from other threads; and a thread's job group did not
        survive the first Ray start in the process, measured)."""
        spark.sparkContext.setJobGroup(self.job_group, self.description, True)

    def cancel(self, state: State = State.CANCELED) -> None:
        """Stop the execution: its Spark jobs, the batches it queued on Ray pools, its stream."""
        with self._cond:
            if self.state.terminal and self.state != State.FINISHED:
                return
            was_running = self.state != State.INITIALIZED
            self._move(state)
            stream = self._stream
        self.log.append(f"statement {state.name.lower()}")
        if self._timer is not None:
            self._timer.cancel()
        if stream is not None:
            stream.close()
        if was_running:
            self.session.cancel_jobs(self.job_group)

    def close(self) -> None:
        """Release the execution (a running one is cancelled first)."""
        if not self.state.terminal:
            self.cancel()
        with self._cond:
            if self.state != State.CLOSED:
                self._move(State.CLOSED)
            stream = self._stream
        if stream is not None:
            stream.close()
        if self._timer is not None:
            self._timer.cancel()

    def progress(self) -> Progress:
        """Stages and tasks of the execution's Spark jobs so far."""
        stages = self.session.job_progress(self.job_group)
        done = sum(s.completed for s in stages if s.status != "SKIPPED")
        total = sum(s.total for s in stages if s.status != "SKIPPED")
        # FINISHED means the answer is ready (later partitions may still be computed as they
        # are fetched): the bar is full.
        fraction = 1.0 if self.state.terminal else (done / total if total else 0.0)
        return Progress(stages, fraction)


def _read_all(stream) -> pa.Table:
    batches = list(stream)
    return pa.Table.from_batches(batches, schema=stream.schema)
