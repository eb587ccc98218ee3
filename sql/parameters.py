"""Positional parameters (`?`) of a prepared statement, bound as SQL literals.

Flight SQL (and JDBC's PreparedStatement through it) send a statement with `?` markers and then
the values as Arrow rows. Spark has no server-side binding for SQL text, so each `?` (found by
the tokenizer: never one inside a string, an identifier or a comment) is replaced by the value
written as a literal of the lakelens dialect, and the statement is planned like any other: the
values cannot change its shape, since every literal is generated, never pasted.

    >>> bind_parameters("SELECT * FROM t WHERE name = ? AND n > ?", ["pen", 3])
    "SELECT * FROM t WHERE name = 'pen' AND n > 3"
"""

from __future__ import annotations

import datetime as dt
import decimal
import math

from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from .dialect import Lakelens
from .errors import SqlSyntaxError


def _placeholders(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the `?` markers of `text`."""
    try:
        tokens = Lakelens().tokenize(text)
    except TokenError as e:
        raise SqlSyntaxError(f"cannot read the statement: {e}") from None
    return [(t.start, t.end + 1) for t in tokens if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]


def count_parameters(text: str) -> int:
    return len(_placeholders(text))


def literal(value) -> exp.Expression:
    """A Python value (as Arrow's `as_py()` gives it) as a lakelens SQL literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
        return exp.cast(exp.Literal.string("NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")),
                        "DOUBLE")
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise SqlSyntaxError(f"parameter value {value} is not a number a DECIMAL can hold")
        digits = value.as_tuple()
        scale = max(0, -digits.exponent)
        precision = max(len(digits.digits), scale, 1)
        return exp.cast(exp.Literal.string(str(value)), f"DECIMAL({min(precision, 38)},{min(scale, 38)})")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return exp.HexString(this=bytes(value).hex(), is_integer=False)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP_NTZ")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise SqlSyntaxError(f"parameter values of type {type(value).__name__} cannot be bound")


def bind_parameters(text: str, values: list) -> str:
    """`text` with its i-th `?` replaced by `values[i]` as a literal; the counts must agree."""
    spans = _placeholders(text)
    if len(spans) != len(values):
        raise SqlSyntaxError(f"the statement has {len(spans)} parameter marker(s) (?) and {len(values)} value(s) "
                             f"were bound")
    out, last = [], 0
    for (start, end), value in zip(spans, values):
        out.append(text[last:start])
        out.append(literal(value).sql(dialect=Lakelens))
        last = end
    out.append(text[last:])
    return "".join(out)
