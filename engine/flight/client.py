"""A client of a running server over Arrow Flight SQL (ADBC): `lakelens.connect("grpc://h:p")`
and `lakelens shell --connect grpc://h:p`.

It offers what an embedded Session offers a caller (`sql` → pyarrow.Table, `sql_batches`,
`run_script`, `current_catalog`/`current_schema`), with results that stay Arrow end to end.
PUT/GET of this machine's files go through the server's Files API, as for the HiveServer2
client (engine/cli/remote.py)."""

from __future__ import annotations

import re
import time
from typing import Iterator
from urllib.parse import urlsplit

import pyarrow as pa

from lakelens.engine.cli.remote import FilesClient, RemoteError, file_transfer, remote_error
from lakelens.engine.execution import StatementResult

# ADBC's Go client wraps the server's message: "<STATUS>: [FlightSQL] <message> (<code>; <call>). Vendor code: n",
# and pyarrow adds ". Detail: …" to some.
_WRAPPED = re.compile(r"^[A-Z_]+: \[FlightSQL\] (.*?)(?:\. Detail: [^()]*)? \([A-Za-z]+; [A-Za-z]+\)"
                      r"(?:\. Vendor code: -?\d+)?\s*$", re.S)


def server_message(e: Exception) -> str:
    text = str(e).strip()
    m = _WRAPPED.match(text)
    return m.group(1) if m else text


class FlightSqlSession:
    """A Flight SQL connection, used like an embedded `Session`."""

    def __init__(self, uri: str, user: str | None = None, password: str | None = None, *,
                 ca_cert: str | None = None, http_port: int | None = None, config=None):
        import adbc_driver_flightsql.dbapi as flightsql
        from adbc_driver_flightsql import DatabaseOptions

        url = urlsplit(uri)
        if url.scheme not in ("grpc", "grpc+tcp", "grpc+tls") or not url.hostname or url.port is None:
            raise RemoteError(f"a Flight SQL address is grpc://HOST:PORT or grpc+tls://HOST:PORT, not {uri!r}",
                              error_class="INVALID_ARGUMENT", sqlstate="22023")
        options: dict[str, str] = {}
        if user is not None or password is not None:
            options.update(username=user or "", password=password or "")
        if ca_cert:
            options[DatabaseOptions.TLS_ROOT_CERTS.value] = open(ca_cert).read()
        tls = url.scheme == "grpc+tls"
        self.address, self.config = uri, config  # config: the shell's home (history)
        self.files = (FilesClient(f"{'https' if tls else 'http'}://{url.hostname}:{http_port}", user,
                                  password or "x", ca_cert) if http_port else None)
        try:
            # autocommit: every statement commits on its own here (no transactions to turn off)
            self._conn = flightsql.connect(uri, db_kwargs=options, autocommit=True)
        except Exception as e:
            raise RemoteError(f"cannot connect to lakelens at {uri}: {server_message(e)}",
                              error_class="CONNECTION_FAILED", sqlstate="08001") from None

    @property
    def current_catalog(self) -> str:
        return self._conn.adbc_current_catalog

    @property
    def current_schema(self) -> str:
        return self._conn.adbc_current_db_schema

    def sql(self, text: str) -> pa.Table:
        """Run a statement (or a script: the last statement's result)."""
        table = pa.table({})
        for result in self.run_script(text):
            table = result.table
        return table

    @staticmethod
    def _execute(cursor, text: str, fetch):
        """Run `text` on `cursor` and `fetch(cursor)`; the driver's errors as RemoteError."""
        try:
            cursor.execute(text)
            return fetch(cursor)
        except Exception as e:
            raise remote_error(e, server_message(e)) from None

    def sql_batches(self, text: str) -> Iterator[pa.RecordBatch]:
        with self._conn.cursor() as cursor:
            yield from self._execute(cursor, text, lambda c: c.fetch_record_batch())

    def run_script(self, text: str) -> Iterator[StatementResult]:
        from lakelens.sql import split_statements

        for statement in split_statements(text):
            start = time.perf_counter()
            local = file_transfer(self.files, statement)
            if local is None:
                with self._conn.cursor() as cursor:
                    local = self._execute(cursor, statement, lambda c: c.fetch_arrow_table())
            yield StatementResult(local, statement, time.perf_counter() - start)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "FlightSqlSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
