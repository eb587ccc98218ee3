"""lakelens: a SQL-first lakehouse engine for multimodal data.

    >>> import lakelens
    >>> s = lakelens.connect(home="/tmp/lh")
    >>> s.sql("SELECT name, size FROM demo.media.scans").to_pandas()

Importing this package is cheap: Spark starts on the first statement that needs it.
"""

from __future__ import annotations

__version__ = "0.1.0"


def connect(home=None, conf: dict | None = None, user: str | None = None):
    """Open an embedded session on the lakehouse at `home` (default $LAKELENS_HOME or ~/.lakelens).

    `conf` overrides configuration keys (`spark.*` go to Spark). Returns a `Session` whose
    `.sql(text)` returns a `pyarrow.Table`."""
    from .config import Config
    from .session import Session

    return Session(Config.load(home, conf), user=user)


__all__ = ["__version__", "connect"]
