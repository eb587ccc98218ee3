"""lakelens: a SQL-first lakehouse engine for multimodal data.

    >>> import lakelens
    >>> s = lakelens.connect(home="/tmp/lh")
    >>> s.sql("SELECT name, size FROM demo.media.scans").to_pandas()

The layers are subpackages: `lakelens.catalog`, `lakelens.udfs`, `lakelens.sql` and
`lakelens.engine` (docs/architecture.md). Importing this package is cheap: Spark starts on
the first statement that needs it.
"""

from __future__ import annotations

from .errors import LakelensError

__version__ = "0.1.0"


def connect(home=None, conf: dict | None = None, user: str | None = None, *, password: str | None = None,
            ca_cert: str | None = None):
    """Open an embedded session on the lakehouse at `home` (default $LAKELENS_HOME or ~/.lakelens).

    `conf` overrides configuration keys (`spark.*` go to Spark). Returns a `Session` whose
    `.sql(text)` returns a `pyarrow.Table`, `.sql_batches(text)` an iterator of Arrow record
    batches, and `.submit(text)` an `Execution` (state, progress, cancel, streamed batches).

    `home` may instead be a running server's Arrow Flight SQL address, `grpc://host:32010` (or
    `grpc+tls://`, trusting `ca_cert`): the session is then a client (`user`, `password` for a
    `--auth plain` server) with the same `.sql`, `.sql_batches` and `.run_script`."""
    if isinstance(home, str) and home.startswith(("grpc://", "grpc+tcp://", "grpc+tls://")):
        from .engine.flight.client import FlightSqlSession

        return FlightSqlSession(home, user, password, ca_cert=ca_cert)
    from .engine import connect as _connect

    return _connect(home, conf, user)


__all__ = ["LakelensError", "__version__", "connect"]
