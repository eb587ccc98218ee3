"""Running one statement on both sides and comparing what came back.

lakelens' side is a `lakelens.connect()` session over three-level names; the baseline is a
plain Spark session of the same JVM over the same files, by path. Results are compared as
Arrow tables: the same column names and types, and the same rows — as a multiset unless the
statement ends in an ORDER BY, in which case the order of the ORDER BY keys that are output
columns must match too (rows that tie on the keys may come in either order). Floating-point
values compare within a relative tolerance; everything else exactly. Errors compare by
Spark's error class.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import sqlglot
from sqlglot import exp

REL_TOL = 1e-9


@dataclass
class Outcome:
    table: pa.Table | None = None
    error_class: str | None = None
    message: str = ""

    def describe(self) -> str:
        if self.error_class:
            return f"error {self.error_class}: {self.message[:300]}"
        return f"{self.table.num_rows} row(s) {self.table.schema.names}"


@dataclass
class Tally:
    """Statements compared so far, and the mismatches among them."""

    compared: int = 0
    mismatches: list[str] = field(default_factory=list)

    def check(self, name: str, sql: str, ours: Outcome, base: Outcome) -> None:
        self.compared += 1
        problem = difference(sql, ours, base)
        if problem:
            self.mismatches.append(f"{name}: {problem}\n    SQL: {' '.join(sql.split())[:600]}")

    def report(self) -> str:
        return f"{len(self.mismatches)} of {self.compared} statement(s) differ:\n" + "\n".join(self.mismatches[:40])


_BASELINE = None


def run_both(ours, plain, sql: str) -> tuple[Outcome, Outcome]:
    """The statement through lakelens and through plain Spark at the same time (two Spark
    jobs of one JVM: each side spends most of a small query planning, on one core)."""
    from concurrent.futures import ThreadPoolExecutor

    global _BASELINE
    if _BASELINE is None:
        _BASELINE = ThreadPoolExecutor(1, thread_name_prefix="plain-spark")
    base = _BASELINE.submit(run_spark, plain, sql)
    return run_lakelens(ours, sql), base.result()


def run_lakelens(session, sql: str) -> Outcome:
    from lakelens.errors import LakelensError

    try:
        return Outcome(table=session.sql(sql))
    except LakelensError as e:
        return Outcome(error_class=e.error_class, message=e.message)


def run_spark(spark, sql: str) -> Outcome:
    from pyspark.errors import PySparkException
    from py4j.protocol import Py4JJavaError

    try:
        df = spark.sql(sql)
        return Outcome(table=df.toArrow() if df.columns else pa.table({}))
    except PySparkException as e:
        return Outcome(error_class=(e.getCondition() or "SPARK_ERROR").split(".")[0], message=str(e))
    except Py4JJavaError as e:
        return Outcome(error_class=_java_condition(e.java_exception), message=str(e.java_exception.getMessage()))


def _java_condition(jexc) -> str:
    node, best = jexc, None
    for _ in range(20):
        if node is None:
            break
        try:
            best = node.getCondition() or best
        except Exception:
            pass
        node = node.getCause()
    return (best or "SPARK_ERROR").split(".")[0]


def difference(sql: str, ours: Outcome, base: Outcome) -> str | None:
    """Why the two outcomes differ, or None."""
    if ours.error_class or base.error_class:
        if ours.error_class == base.error_class:
            return None
        return f"lakelens gave {ours.describe()}; Spark gave {base.describe()}"
    a, b = ours.table, base.table
    if a.schema.names != b.schema.names:
        return f"column names {a.schema.names} vs Spark's {b.schema.names}"
    types_a = [_type_name(t) for t in a.schema.types]
    types_b = [_type_name(t) for t in b.schema.types]
    if types_a != types_b:
        return f"column types {types_a} vs Spark's {types_b}"
    rows_a, rows_b = _rows(a), _rows(b)
    if len(rows_a) != len(rows_b):
        return f"{len(rows_a)} row(s) vs Spark's {len(rows_b)}"
    if Counter(rows_a) != Counter(rows_b):
        only_a = list((Counter(rows_a) - Counter(rows_b)).elements())[:3]
        only_b = list((Counter(rows_b) - Counter(rows_a)).elements())[:3]
        return f"rows differ: lakelens has {only_a} where Spark has {only_b}"
    keys = _order_keys(sql, a.schema.names)
    if keys:
        index = [a.schema.names.index(k) for k in keys]
        if [tuple(r[i] for i in index) for r in rows_a] != [tuple(r[i] for i in index) for r in rows_b]:
            return f"same rows in another order (ORDER BY {', '.join(keys)})"
    return None


def _type_name(t: pa.DataType) -> str:
    # Spark hands out strings as large_string or string depending on the path; both are STRING.
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_large_binary(t):
        return "binary"
    if pa.types.is_large_list(t):
        return f"list<{_type_name(t.value_type)}>"
    return str(t)


def _rows(table: pa.Table) -> list[tuple]:
    return [tuple(_norm(v) for v in row) for row in zip(*[c.to_pylist() for c in table.columns])] \
        if table.num_columns else []


def _norm(v):
    """A hashable value in which floats equal within REL_TOL compare equal."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v) or v == 0:
            return v
        return float(f"{v:.{9}g}")  # 9 significant digits ≈ REL_TOL for sums in another order
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x)) for k, x in v.items()))
    if isinstance(v, (decimal.Decimal, dt.date, dt.datetime, str, bytes, int, bool)) or v is None:
        return v
    return repr(v)


def _order_keys(sql: str, names: list[str]) -> list[str]:
    """Output columns that the statement's final ORDER BY sorts on (in order), or [] when it
    has none (or sorts on something else than output columns)."""
    try:
        tree = sqlglot.parse_one(sql, read="spark")
    except sqlglot.errors.ParseError:
        return []
    order = tree.args.get("order")  # a SELECT's or a set operation's own ORDER BY
    if order is None:
        return []
    keys = []
    lowered = {n.lower(): n for n in names}
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, exp.Column) and key.name.lower() in lowered:
            keys.append(lowered[key.name.lower()])
        elif isinstance(key, exp.Literal) and key.is_int and 0 < int(key.this) <= len(names):
            keys.append(names[int(key.this) - 1])
        else:
            break  # a key we cannot see: compare the keys before it only
    return keys
