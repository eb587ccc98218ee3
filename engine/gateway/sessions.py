"""Gateway sessions and the registry of sessions and operations.

A gateway session wraps one engine `Session` (own current catalog/schema and Spark
session, shared JVM). Sessions opened over a binary connection are closed when that
connection drops; every session and operation idles out after `gateway.session_idle_timeout_s`
and `gateway.operation_idle_timeout_s` (HTTP clients have no connection to watch).
"""

from __future__ import annotations

import logging
import re
import threading
import time

from impala_thrift_gen.TCLIService import ttypes as T
from sqlglot import exp

from lakelens.catalog import InvalidArgument, Principal
from lakelens.errors import LakelensError

from lakelens.engine.session import Session
from lakelens.engine.gateway.operations import GatewayError, Operation, new_handle_id

log = logging.getLogger("lakelens.gateway")

_VAR = re.compile(r"\$\{(?:(hivevar|hiveconf|system|env):)?([A-Za-z0-9_.\-]+)\}")


WORKSPACE_KEYS = ("lakelens.workspace", "workspace")


def workspace_of(conf: dict[str, str]) -> str | None:
    """The workspace a client asks for at OpenSession: `lakelens.workspace` (or `workspace`) as
    PyHive's configuration, JDBC's `?lakelens.workspace=vision` (set:hiveconf:) or `#…` (set:hivevar:)."""
    for key in WORKSPACE_KEYS:
        for prefix in ("", "set:hiveconf:", "set:hivevar:"):
            value = conf.get(prefix + key)
            if value:
                return value
    return None


class GatewaySession:
    def __init__(self, config, user: str, protocol: int, conf: dict[str, str], client: str,
                 principal: Principal | None = None):
        self.handle = T.TSessionHandle(sessionId=new_handle_id())
        self.key = self.handle.sessionId.guid
        self.key_hex = self.key.hex()
        self.user = user
        self.protocol = protocol
        self.client = client
        # Remote: every statement is checked against the server's policy (docs/security.md).
        self.principal = principal or Principal(user, "none", client, remote=True)
        self.engine = Session(config, principal=self.principal, workspace=workspace_of(conf))
        self.engine.session_id, self.engine.client = self.key_hex, f"hiveserver2 ({client.split(':', 1)[0]})"
        self.hivevars: dict[str, str] = {}
        self.hiveconf: dict[str, str] = {}
        self.operations: dict[bytes, Operation] = {}
        self.last_access = time.monotonic()
        self.opened = time.time()
        self.engine.warm()
        self._apply_open_conf(conf)

    @property
    def columnar(self) -> bool:
        return self.protocol >= T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6

    def _apply_open_conf(self, conf: dict[str, str]) -> None:
        use_catalog = use_database = None
        for key, value in conf.items():
            if key.startswith("set:hivevar:"):
                self.hivevars[key[len("set:hivevar:"):]] = value
            elif key.startswith("set:hiveconf:"):
                self.hiveconf[key[len("set:hiveconf:"):]] = value
            elif key == "use:catalog":
                use_catalog = value
            elif key == "use:database":
                use_database = value
            elif ":" not in key:  # PyHive passes `configuration` keys as they are
                self.hiveconf[key] = value
        # Hive JDBC cannot put a catalog in its URL path: `jdbc:hive2://h:p/schema?catalog=c`
        # arrives as set:hiveconf:catalog.
        use_catalog = use_catalog or self.hiveconf.get("catalog")
        spark = {k: v for k, v in self.hiveconf.items() if k.startswith("spark.")}
        if spark:
            self.engine.set_conf(spark)
        if use_catalog:
            self.engine.sql(f"USE CATALOG {exp.to_identifier(use_catalog, quoted=True).sql(dialect='spark')}")
        # Hive JDBC sends use:database=default when the URL names no database: keep the
        # configured default schema then. `catalog.schema` picks both.
        if use_database and not (use_database == "default" and not use_catalog):
            parts = use_database.split(".")
            if not all(re.fullmatch(r"[A-Za-z0-9_\-]+", p) for p in parts) or len(parts) > 2:
                raise InvalidArgument(f"use:database: invalid schema name {use_database!r}")
            self.engine.sql("USE " + ".".join(exp.to_identifier(p, quoted=True).sql(dialect="spark") for p in parts))

    def substitute(self, text: str) -> str:
        """Hive's variable substitution: `${var}`, `${hivevar:var}`, `${hiveconf:key}`."""
        def sub(m: re.Match) -> str:
            ns, name = m.group(1), m.group(2)
            if ns in (None, "hivevar") and name in self.hivevars:
                return self.hivevars[name]
            if ns in (None, "hiveconf") and name in self.hiveconf:
                return self.hiveconf[name]
            return m.group(0)

        return _VAR.sub(sub, text) if "${" in text else text


class SessionManager:
    """All live sessions and operations, looked up by handle."""

    def __init__(self, config):
        self.config = config
        self._sessions: dict[bytes, GatewaySession] = {}
        self._operations: dict[bytes, Operation] = {}
        self._lock = threading.Lock()
        self.session_idle_s = float(config.get("gateway.session_idle_timeout_s", "3600"))
        self.operation_idle_s = float(config.get("gateway.operation_idle_timeout_s", "1800"))
        self.max_sessions = config.number("gateway.max_sessions", 1024, int, 1)
        self.max_sessions_per_user = config.number("gateway.max_sessions_per_user", 64, int, 1)
        self._opening: dict[str, int] = {}  # sessions being opened, by user: they count too
        self._stop = threading.Event()
        threading.Thread(target=self._reap, name="gateway-reaper", daemon=True).start()

    # ------------------------------------------------------------------ sessions
    def open(self, user: str, protocol: int, conf: dict[str, str], client: str,
             principal: Principal | None = None) -> GatewaySession:
        session = self.open_with(user, lambda: GatewaySession(self.config, user, protocol, conf, client, principal))
        log.info("session %s opened: user=%s client=%s protocol=V%d", session.key_hex[:8], user, client,
                 protocol + 1)
        return session

    def open_with(self, user: str, make):
        """Register the session `make()` builds for `user`, within the limits. Every frontend's
        sessions (HiveServer2's, Flight SQL's) count against the same limits and idle out alike:
        a session has `key`, `key_hex`, `user`, `last_access` and `operations`."""
        with self._lock:
            self._check_limits(user)
            self._opening[user] = self._opening.get(user, 0) + 1
        try:
            session = make()
            with self._lock:
                self._sessions[session.key] = session
        finally:
            with self._lock:
                left = self._opening.pop(user) - 1
                if left:
                    self._opening[user] = left
        return session

    def find(self, key: bytes):
        """The live session with this key, or None (Flight SQL's bearer tokens are session keys)."""
        with self._lock:
            session = self._sessions.get(key)
        if session is not None:
            session.last_access = time.monotonic()
        return session

    def find_operation(self, key: bytes):
        with self._lock:
            op = self._operations.get(key)
        if op is not None:
            op.last_access = op.session.last_access = time.monotonic()
        return op

    def _check_limits(self, user: str) -> None:
        """Refuse a new session over gateway.max_sessions or gateway.max_sessions_per_user (under _lock)."""
        total = len(self._sessions) + sum(self._opening.values())
        if total >= self.max_sessions:
            log.warning("session for user %s refused: %d sessions open (gateway.max_sessions)", user, total)
            raise LakelensError(f"the server has {total} open sessions, its limit (gateway.max_sessions = "
                                f"{self.max_sessions}); close sessions or raise gateway.max_sessions",
                                error_class="SESSION_LIMIT_REACHED", sqlstate="53400")
        mine = sum(1 for s in self._sessions.values() if s.user == user) + self._opening.get(user, 0)
        if mine >= self.max_sessions_per_user:
            log.warning("session for user %s refused: %d sessions open (gateway.max_sessions_per_user)", user, mine)
            raise LakelensError(f"user {user} has {mine} open sessions, the limit per user "
                                f"(gateway.max_sessions_per_user = {self.max_sessions_per_user}); close sessions "
                                f"or raise gateway.max_sessions_per_user", error_class="SESSION_LIMIT_REACHED",
                                sqlstate="53400")

    def _find(self, registry: dict, ident: T.THandleIdentifier | None, what: str):
        with self._lock:
            found = registry.get(ident.guid if ident is not None else None)
        if found is None:
            raise GatewayError(f"Invalid {what}Handle: no such {what.lower()} (closed or timed out)",
                               error_class="INVALID_HANDLE", sqlstate="HY000")
        return found

    def session(self, handle: T.TSessionHandle | None) -> GatewaySession:
        session = self._find(self._sessions, handle.sessionId if handle else None, "Session")
        session.last_access = time.monotonic()
        return session

    def close(self, session: GatewaySession, reason: str = "closed by client") -> None:
        with self._lock:
            if self._sessions.pop(session.key, None) is None:
                return
            ops = list(session.operations.values())
            for op in ops:
                self._operations.pop(op.key, None)
        for op in ops:
            op.close()
        log.info("session %s %s", session.key_hex[:8], reason)

    def sessions(self) -> list[GatewaySession]:
        with self._lock:
            return list(self._sessions.values())

    # ------------------------------------------------------------------ operations
    def add(self, op: Operation) -> Operation:
        with self._lock:
            self._operations[op.key] = op
            op.session.operations[op.key] = op
        return op

    def operation(self, handle: T.TOperationHandle | None) -> Operation:
        op = self._find(self._operations, handle.operationId if handle else None, "Operation")
        op.last_access = op.session.last_access = time.monotonic()
        return op

    def close_operation(self, op: Operation) -> None:
        with self._lock:
            self._operations.pop(op.key, None)
            op.session.operations.pop(op.key, None)
        op.close()

    # ------------------------------------------------------------------ housekeeping
    def _reap(self) -> None:
        while not self._stop.wait(30):
            now = time.monotonic()
            for session in self.sessions():
                if now - session.last_access > self.session_idle_s and not any(
                        not op.state.terminal for op in session.operations.values()):
                    self.close(session, "closed after idling")
                    continue
                for op in list(session.operations.values()):
                    if op.state.terminal and now - op.last_access > self.operation_idle_s:
                        self.close_operation(op)

    def shutdown(self) -> None:
        self._stop.set()
        for session in self.sessions():
            self.close(session, "closed: server shutting down")
