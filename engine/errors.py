"""Errors that cross Spark: ours leaving a Python worker, Spark's reaching the user.

A multimodal function fails in a Spark Python worker (or a Ray actor behind one) with a
`FunctionError` or `PoolError`; Spark hands the driver only the worker's traceback text. So
the UDF body (`reporting`) sends our error out as one JSON record between two markers, and
`SparkErrorMapper` decodes it — the error class, SQLSTATE and message arrive as they were
raised, with nothing guessed from traceback wording. Spark's own errors keep Spark's
condition and SQLSTATE, with lakelens names put back in place of physical paths and
registered UDF names.
"""

from __future__ import annotations

import json
import re

from lakelens.catalog import ObjectInfo
from lakelens.errors import LakelensError, strip_class

_WIRE = "\x1elakelens-error\x1e"
_WIRE_RECORD = re.compile(re.escape(_WIRE) + r"(\{.*?\})" + re.escape(_WIRE), re.S)
_UDF_NAME = re.compile(r"\bll_(try_)?([a-z_]+?)(?:_[0-9a-f]{8})?\b", re.I)


class SparkError(LakelensError):
    """An error Spark raised, with lakelens names put back in place of physical paths."""


class WorkerError(RuntimeError):
    """Our error as it leaves a Spark Python worker: its text is the wire record."""

    def __init__(self, error_class: str, sqlstate: str, message: str):
        super().__init__(_WIRE + json.dumps({"class": error_class, "sqlstate": sqlstate, "message": message}) + _WIRE)


def reporting(body):
    """Wrap a UDF body (runs in Spark's Python workers) so that our errors reach the driver
    whole: `FunctionError` as FUNCTION_ERROR (22000), `PoolError` as UDF_POOL_ERROR (58000)."""
    def run(*arrays):
        from lakelens.engine.pools.dispatcher import PoolError
        from lakelens.udfs import FunctionError

        try:
            return body(*arrays)
        except FunctionError as e:
            raise WorkerError("FUNCTION_ERROR", "22000", str(e)) from None
        except PoolError as e:
            raise WorkerError("UDF_POOL_ERROR", "58000", str(e)) from None

    run.__name__ = getattr(body, "__name__", "run")
    return run


def worker_error(text: str) -> LakelensError | None:
    """The error a `reporting` UDF body sent, if `text` (Spark's message) carries one."""
    match = _WIRE_RECORD.search(text)
    if match is None:
        return None
    record = json.loads(match.group(1))
    return LakelensError(record["message"], error_class=record["class"], sqlstate=record["sqlstate"])


def user_names(text: str) -> str:
    """Registered UDF names in Spark's messages → the names users wrote (`ll_try_ocr_1a2b…` → `try_ocr`)."""
    from lakelens.udfs import FUNCTIONS

    def swap(m: re.Match) -> str:
        name = m.group(2).lower()
        return (m.group(1) or "") + name if name in FUNCTIONS else m.group(0)

    return _UDF_NAME.sub(swap, text)


class SparkErrorMapper:
    """A context manager turning Spark exceptions into `SparkError` (or our own worker error),
    with user-facing names instead of storage paths."""

    def __init__(self, infos: list[ObjectInfo]):
        self.infos = infos

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        if isinstance(exc, PySparkException):
            error_class, sqlstate, text = _condition(exc), _sqlstate(exc), str(exc)
        elif isinstance(exc, Py4JJavaError):
            # PySpark renders a failure through Spark's registry of error classes, which does
            # not know Delta's or Iceberg's (`Cannot find main error class 'DELTA_…'`): that
            # second failure replaced the first; report the first, with its own class.
            while isinstance(exc.__context__, Py4JJavaError) and "SparkThrowableHelper" in str(exc)[:200]:
                exc = exc.__context__
            error_class, sqlstate, text = _from_java(exc.java_exception)
        else:
            return False
        raise self.translate(error_class, sqlstate, text) from None

    def translate(self, error_class: str, sqlstate: str, text: str) -> LakelensError:
        from lakelens.sql.resolve import physical_table

        ours = worker_error(text)
        if ours is not None:
            return ours
        text = user_names(text)
        # Drop Spark's logical-plan dump and JVM stack; keep the sentence a user can act on.
        text = re.split(r";\s*\n'|\n\tat |\nJVM stacktrace:", text, maxsplit=1)[0].strip()
        for info in self.infos:
            user = info.volume_path if info.kind == "VOLUME" else info.full_name
            if info.kind == "TABLE":
                text = text.replace(physical_table(info).sql("spark"), info.full_name)
            if info.location:
                text = text.replace(f"file:{info.location}", user).replace(info.location, user)
        text = re.sub(r"`?__lakelens_target_[0-9a-f]*__`?", "target", text)
        return SparkError(strip_class(text), error_class=error_class.split(".")[0], sqlstate=sqlstate)


def _condition(exc) -> str:
    try:
        return exc.getCondition() or "SPARK_ERROR"
    except Exception:
        return "SPARK_ERROR"


def _sqlstate(exc) -> str:
    try:
        return exc.getSqlState() or "XX000"
    except Exception:
        return "XX000"


def _from_java(jexc) -> tuple[str, str, str]:
    """A failed Spark job wraps the real error (e.g. USER_RAISED_EXCEPTION) in task failures:
    report the innermost error that carries a condition."""
    best, node, depth = None, jexc, 0
    while node is not None and depth < 20:
        try:
            condition = node.getCondition()
        except Exception:
            condition = None
        if condition:
            best = (condition, node.getSqlState() or "XX000", str(node.getMessage()))
        node, depth = node.getCause(), depth + 1
    if best:
        return best
    return "SPARK_ERROR", "XX000", str(jexc.getMessage())
