"""Operation states and the transitions allowed between them (as in Kyuubi and HiveServer2).

Every state change goes through `check_transition`, so an operation can never move out of a
terminal state: a cancelled query that finishes late stays CANCELED, a closed one stays CLOSED.
"""

from __future__ import annotations

import enum

from impala_thrift_gen.TCLIService.ttypes import TOperationState


class OperationState(enum.Enum):
    INITIALIZED = TOperationState.INITIALIZED_STATE
    PENDING = TOperationState.PENDING_STATE
    RUNNING = TOperationState.RUNNING_STATE
    FINISHED = TOperationState.FINISHED_STATE
    CANCELED = TOperationState.CANCELED_STATE
    TIMEDOUT = TOperationState.TIMEDOUT_STATE
    ERROR = TOperationState.ERROR_STATE
    CLOSED = TOperationState.CLOSED_STATE

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({OperationState.FINISHED, OperationState.CANCELED, OperationState.TIMEDOUT,
                      OperationState.ERROR, OperationState.CLOSED})

_S = OperationState
_ALLOWED = {
    _S.INITIALIZED: {_S.PENDING, _S.RUNNING, _S.FINISHED, _S.CANCELED, _S.TIMEDOUT, _S.ERROR, _S.CLOSED},
    _S.PENDING: {_S.RUNNING, _S.FINISHED, _S.CANCELED, _S.TIMEDOUT, _S.ERROR, _S.CLOSED},
    _S.RUNNING: {_S.FINISHED, _S.CANCELED, _S.TIMEDOUT, _S.ERROR, _S.CLOSED},
    # A finished query may still fail or be cancelled while its later partitions stream.
    _S.FINISHED: {_S.CLOSED, _S.ERROR, _S.CANCELED, _S.TIMEDOUT},
    _S.CANCELED: {_S.CLOSED},
    _S.TIMEDOUT: {_S.CLOSED},
    _S.ERROR: {_S.CLOSED},
    _S.CLOSED: set(),
}


class IllegalTransition(Exception):
    pass


def check_transition(old: OperationState, new: OperationState) -> None:
    if new not in _ALLOWED[old]:
        raise IllegalTransition(f"operation cannot go from {old.name} to {new.name}")
