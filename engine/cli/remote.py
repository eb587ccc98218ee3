"""A client of a running gateway, for `lakelens shell --connect host:port`.

It speaks HiveServer2 through impyla, like any other client, and offers the same
`run_script` / `current_catalog` / `current_schema` surface the shell uses for an embedded
session.
"""

from __future__ import annotations

import re
import time

import pyarrow as pa

from lakelens.errors import LakelensError, strip_class

from lakelens.engine.execution import StatementResult


class RemoteError(LakelensError):
    """An error the gateway reported."""


class RemoteSession:
    def __init__(self, address: str, config, user: str | None = None, password: str | None = None):
        from impala.dbapi import connect

        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise SystemExit(f"--connect expects HOST:PORT, got {address!r}")
        self.config = config
        self.address = address
        kw = dict(auth_mechanism="PLAIN", user=user or config.user, password=password or "x")
        try:
            self._conn = connect(host, int(port), **kw)
            self._cursor = self._conn.cursor()
        except Exception as e:
            raise RemoteError(f"cannot connect to lakelens at {address}: {e}", error_class="CONNECTION_FAILED",
                              sqlstate="08001") from None
        self.current_catalog, self.current_schema = "?", "?"
        self._refresh_names()

    def _refresh_names(self) -> None:
        self._cursor.execute("SELECT current_catalog(), current_database()")
        self.current_catalog, self.current_schema = self._cursor.fetchall()[0]

    def run_script(self, text: str):
        from lakelens.sql import split_statements

        for statement in split_statements(text):
            start = time.perf_counter()
            try:
                self._cursor.execute(statement)
                table = self._table() if self._cursor.description else pa.table({})
            except LakelensError:
                raise
            except Exception as e:
                message = _message(e)
                m = re.match(r"([A-Z][A-Z_]+):", message)
                raise RemoteError(strip_class(message), error_class=m.group(1) if m else "REMOTE_ERROR") from None
            yield StatementResult(table, statement, time.perf_counter() - start)
            if re.match(r"\s*USE\b", statement, re.I):
                self._refresh_names()

    def _table(self) -> pa.Table:
        names = [d[0] for d in self._cursor.description]
        rows = self._cursor.fetchall()
        columns = list(zip(*rows)) if rows else [[] for _ in names]
        return pa.Table.from_arrays([pa.array(list(c)) for c in columns], names=names)

    def close(self) -> None:
        self._conn.close()


def _message(e: Exception) -> str:
    text = str(e)
    # impyla wraps the server's message; keep the server's part.
    m = re.search(r"errorMessage='(.*?)'(?:,|\))", text, re.S)
    return m.group(1).encode().decode("unicode_escape") if m else text
