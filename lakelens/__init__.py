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


def connect(home=None, conf: dict | None = None, user: str | None = None):
    """Open an embedded session on the lakehouse at `home` (default $LAKELENS_HOME or ~/.lakelens).

    `conf` overrides configuration keys (`spark.*` go to Spark). Returns a `Session` whose
    `.sql(text)` returns a `pyarrow.Table`, `.sql_batches(text)` an iterator of Arrow record
    batches, and `.submit(text)` an `Execution` (state, progress, cancel, streamed batches)."""
    from .engine import connect as _connect

    return _connect(home, conf, user)


__all__ = ["LakelensError", "__version__", "connect"]
