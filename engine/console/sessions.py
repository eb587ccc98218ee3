"""The console's sessions and statements, kept in the gateway's SessionManager.

A console session is a remote principal's engine `Session`, like a HiveServer2 or Flight SQL
session: the same per-user and per-server limits, idle timeout and audit. Its key (24 random
bytes) is the browser's cookie; its CSRF token is another random value the page sends back in
a header on every request that changes something.
"""

from __future__ import annotations

import secrets
import threading
import time

from lakelens.catalog import Principal

from lakelens.engine.console.results import KeptBytes, ResultPager
from lakelens.engine.session import Session
from lakelens.engine.state import State

EXPLORER_CLIENT = "web-console (explorer)"


class ConsoleStatement:
    """A script run from the editor and its result pager (an operation in SessionManager's sense)."""

    def __init__(self, session: "ConsoleSession", sql: str, execution, max_result_bytes: int, kept: KeptBytes):
        self.session = session
        self.key = secrets.token_bytes(16)
        self.id = self.key.hex()
        self.sql = sql
        self.execution = execution
        self.pager = ResultPager(execution, max_result_bytes, kept)
        self.last_access = time.monotonic()

    @property
    def state(self) -> State:
        return self.execution.state

    def elapsed_s(self) -> float:
        """From submission to the result being ready (or the end), as the execution recorded them."""
        return round((self.execution.completed or time.time()) - self.execution.created, 3)

    def cancel(self) -> None:
        """Stop the statement: running, or FINISHED with rows still to be computed as pages ask."""
        if not self.state.terminal or (self.state == State.FINISHED and not self.pager.complete):
            self.execution.cancel()

    def close(self) -> None:
        self.execution.close()
        self.pager.release()


class ConsoleSession:
    """One signed-in browser: see the module docstring."""

    def __init__(self, config, principal: Principal):
        self.key = secrets.token_bytes(24)
        self.key_hex = self.key.hex()
        self.csrf_token = secrets.token_urlsafe(32)
        self.user = principal.name
        self.principal = principal
        self.engine = Session(config, principal=principal)
        self.engine.session_id, self.engine.client = self.key_hex, "web-console"
        self.operations: dict[bytes, ConsoleStatement] = {}
        self.opened = time.monotonic()
        self.last_access = time.monotonic()
        self._config = config
        self._explorer: Session | None = None
        self._lock = threading.Lock()
        self.engine.warm()

    @property
    def explorer(self) -> Session:
        """A second engine session as the same principal for the catalog explorer's own queries
        (SHOW, DESCRIBE …): audited under its own client name, apart from the editor's."""
        with self._lock:
            if self._explorer is None:
                self._explorer = Session(self._config, principal=self.principal)
                self._explorer.session_id, self._explorer.client = self.key_hex, EXPLORER_CLIENT
            return self._explorer
