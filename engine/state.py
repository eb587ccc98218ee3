"""Statement states and the transitions allowed between them (as in Kyuubi and HiveServer2).

Every state change of an `Execution` (and of a gateway metadata operation) goes through
`check_transition`, which raises on an illegal move: nothing leaves a terminal state but to
CLOSED, so a cancelled query that finishes late stays CANCELED. Code that may race with a
cancel asks first (`state.terminal`) under the owner's lock; it never relies on an
exception being swallowed.
"""

from __future__ import annotations

import enum
import time


class State(enum.Enum):
    INITIALIZED = "INITIALIZED"
    PENDING = "PENDING"      # waiting for a statement thread
    RUNNING = "RUNNING"      # planning, preparing, running Spark jobs
    FINISHED = "FINISHED"    # the result is ready (later partitions may still be computed as they are read)
    CANCELED = "CANCELED"
    TIMEDOUT = "TIMEDOUT"
    ERROR = "ERROR"
    CLOSED = "CLOSED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({State.FINISHED, State.CANCELED, State.TIMEDOUT, State.ERROR, State.CLOSED})

_S = State
_ALLOWED = {
    _S.INITIALIZED: {_S.PENDING, _S.RUNNING, _S.FINISHED, _S.CANCELED, _S.TIMEDOUT, _S.ERROR, _S.CLOSED},
    _S.PENDING: {_S.RUNNING, _S.CANCELED, _S.TIMEDOUT, _S.ERROR, _S.CLOSED},
    _S.RUNNING: {_S.FINISHED, _S.CANCELED, _S.TIMEDOUT, _S.ERROR, _S.CLOSED},
    # A finished query may still fail or be cancelled while its later partitions stream.
    _S.FINISHED: {_S.CLOSED, _S.ERROR, _S.CANCELED, _S.TIMEDOUT},
    _S.CANCELED: {_S.CLOSED},
    _S.TIMEDOUT: {_S.CLOSED},
    _S.ERROR: {_S.CLOSED},
    _S.CLOSED: set(),
}


class IllegalTransition(RuntimeError):
    pass


class Lifecycle:
    """A state with the times it started running and ended; every change checked."""

    def __init__(self):
        self.state = State.INITIALIZED
        self.started: float | None = None
        self.completed: float | None = None

    def _move(self, new: State) -> None:
        check_transition(self.state, new)
        self.state = new
        if new == State.RUNNING and self.started is None:
            self.started = time.time()
        if new.terminal and self.completed is None:
            self.completed = time.time()


def check_transition(old: State, new: State) -> None:
    if new not in _ALLOWED[old]:
        raise IllegalTransition(f"a statement cannot go from {old.name} to {new.name}")
