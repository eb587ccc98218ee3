"""Errors that cross Spark: ours leaving a Python worker, Spark's reaching the user.

A multimodal function fails in a Spark Python worker (or a Ray actor behind one) with a
`FunctionError` or `PoolError`; Spark hands the driver only the worker's traceback text. So
the UDF body (`reporting`) sends our error out as one JSON record between two markers, and
`SparkErrorMapper` decodes it — the error class, SQLSTATE and message arrive as they were
raised, with nothing guessed from traceback wording. Spark's own errors keep Spark's
condition and SQLSTATE, with lakelens names put back in place of physical paths and
registered UDF names, and the positions Spark reports (in the rewritten statement it ran)
moved to the same place in the statement the user wrote (`relocate`).
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
    """An error Spark raised, with lakelens names put back in place of physical paths.
    `position` is (line, column), both 1-based, in the user's statement when Spark gave one."""

    position: tuple[int, int] | None = None


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

    def __init__(self, infos: list[ObjectInfo], spark_sql: str | None = None, source: str = ""):
        self.infos, self.spark_sql, self.source = infos, spark_sql or "", source

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
        text, position = relocate(text, self.spark_sql, self.source)
        for info in self.infos:
            user = info.volume_path if info.kind == "VOLUME" else info.full_name
            if info.kind == "TABLE":
                text = text.replace(physical_table(info).sql("spark"), info.full_name)
            if info.location:
                text = text.replace(f"file:{info.location}", user).replace(info.location, user)
        text = re.sub(r"`?__lakelens_target_[0-9a-f]*__`?", "target", text)
        error = SparkError(strip_class(text), error_class=error_class.split(".")[0], sqlstate=sqlstate)
        error.position = position
        return error


# Spark's ways of saying where: an analysis error ends with "; line L pos P" (P 0-based); an
# execution error carries a query context block with the statement line and carets; a parse
# error ends with "(line L, pos P)" and the statement under "== SQL ==".
_LINE_POS = re.compile(r";?\s*line (\d+) pos (\d+)\s*;?\s*$")
_CONTEXT = re.compile(r"\n== SQL \(line (\d+), position (\d+)\) ==\n(?:[^\n]*\n)*?( *)(\^+)[^\n]*(?:\n.*)?$", re.S)
_PARSE_CONTEXT = re.compile(r"\s*\(line (\d+), pos (\d+)\)\s*\n+== SQL ==\n.*?\n-*(\^+)[^\n]*$", re.S)
_TOKEN = re.compile(r"`[^`]*`|\w+|'(?:[^'\\]|\\.)*'|\S")
_NAME_AT = re.compile(r"(?:`[^`]*`|\w+)(?:\s*\.\s*(?:`[^`]*`|\w+))*")


def relocate(text: str, spark_sql: str, source: str) -> tuple[str, tuple[int, int] | None]:
    """Spark's position in the statement it ran → the same place in the user's statement.

    The rewritten statement differs from the user's (physical table references, registered
    UDF names, normalised spacing), so offsets cannot be carried over. The fragment Spark
    points at (its carets, or the name starting at its position) is looked up instead: the
    k-th occurrence in Spark's text is the k-th in the user's, matched token by token with
    free spacing and optional backquotes. A fragment that is not found (it names something
    lakelens wrote) loses its position rather than point at the wrong place."""
    parse = _PARSE_CONTEXT.search(text)
    if parse:  # Spark's parser refused the statement lakelens wrote for it
        # Spark's three carets mark where the parser stopped, not a whole token: look up the
        # name that starts there instead.
        line, col = int(parse.group(1)), int(parse.group(2)) + 1
        text = text[:parse.start()].rstrip()
        found = _find_in_source(spark_sql, source, line, col, 0) if spark_sql and source else None
        if found is None:
            return text, None
        line, col = _line_col(source, found[0])
        first = source.splitlines()[line - 1]
        carets = "^" * max(1, min(found[1], found[0] + len(first) - col + 1) - found[0])
        return f"{text} (line {line}, pos {col - 1})\n\n== SQL ==\n{first}\n{'-' * (col - 1)}{carets}", (line, col)
    context, where = _CONTEXT.search(text), None
    if context:
        line, col, length = int(context.group(1)), int(context.group(2)), len(context.group(4))
        text, where = text[:context.start()].rstrip(), (line, col, length)
    else:
        at = _LINE_POS.search(text)
        if at:
            text, where = text[:at.start()].rstrip(), (int(at.group(1)), int(at.group(2)) + 1, 0)
    if where is None:
        return text, None
    found = _find_in_source(spark_sql, source, *where) if spark_sql and source else None
    if found is None:
        return text, None
    start, end = found
    line, col = _line_col(source, start)
    if context:
        first = source.splitlines()[line - 1]
        carets = "^" * max(1, min(end, len(source)) - start if "\n" not in source[start:end] else len(first) - col + 1)
        return f"{text}\n== SQL (line {line}, position {col}) ==\n{first}\n{' ' * (col - 1)}{carets}", (line, col)
    return f"{text}; line {line} pos {col - 1}", (line, col)


def _line_col(source: str, offset: int) -> tuple[int, int]:
    return source.count("\n", 0, offset) + 1, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _find_in_source(spark_sql: str, source: str, line: int, col: int, length: int) -> tuple[int, int] | None:
    lines = spark_sql.split("\n")
    if not 0 < line <= len(lines):
        return None
    offset = sum(len(x) + 1 for x in lines[:line - 1]) + col - 1
    if 0 < offset < len(spark_sql) and spark_sql[offset - 1] == "`" and spark_sql[offset] != "`":
        offset -= 1  # inside a quoted name: from its quote
    if length:
        fragment = spark_sql[offset:offset + length]
    else:
        name = _NAME_AT.match(spark_sql, offset)
        if name is None:
            return None
        fragment = name.group(0)
    pattern = _loose(fragment)
    if pattern is None:
        return None
    nth = sum(1 for m in pattern.finditer(spark_sql) if m.start() < offset)
    matches = list(pattern.finditer(source))
    if nth >= len(matches):
        return None
    return matches[nth].start(), matches[nth].end()


def _loose(fragment: str) -> re.Pattern | None:
    """A pattern for `fragment` that tolerates what the rewrite changes: spacing, backquotes
    around plain names, letter case."""
    parts = []
    for token in _TOKEN.findall(fragment):
        name = token[1:-1] if token.startswith("`") else token
        if re.fullmatch(r"\w+", name):
            word = re.escape(name)
            parts.append(rf"(?:`{word}`|(?<![\w`]){word}(?![\w`]))")
        else:
            parts.append(re.escape(token))
    return re.compile(r"\s*".join(parts), re.I) if parts else None


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
