"""Prepared statements' `?` parameters (Flight SQL, JDBC through it) become literals the planner
reads back as the same values: a value can never change what the statement does."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from sqlglot import exp

from lakelens.sql import SqlSyntaxError, parse_statement
from lakelens.sql.parameters import bind_parameters, count_parameters


def test_only_real_markers_count():
    text = "SELECT '?' AS q, `?` AS c, ? AS p -- ?\n/* ? */ FROM t WHERE a = ?"
    assert count_parameters(text) == 2
    assert bind_parameters(text, [1, 2]) == "SELECT '?' AS q, `?` AS c, 1 AS p -- ?\n/* ? */ FROM t WHERE a = 2"


@pytest.mark.parametrize("value", [
    "x' OR '1'='1", "it's \\' still a string", "'; DROP TABLE t; --", "line\nbreak", "ünïcødé ✓", "",
])
def test_hostile_strings_stay_one_literal(value):
    stmt = parse_statement(bind_parameters("SELECT * FROM t WHERE name = ?", [value]))
    literal = stmt.find(exp.EQ).expression
    assert isinstance(literal, exp.Literal) and literal.is_string and literal.this == value
    assert len(list(stmt.find_all(exp.Select))) == 1


def test_values_of_every_type_become_typed_literals():
    sql = bind_parameters("SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?", [
        None, True, 7, 2.5, float("nan"), decimal.Decimal("12.340"), b"\x00\xff", dt.date(2026, 1, 2),
        dt.datetime(2026, 1, 2, 3, 4, 5)])
    assert sql == ("SELECT NULL, TRUE, 7, CAST(2.5 AS DOUBLE), CAST('NaN' AS DOUBLE), CAST('12.340' AS DECIMAL(5, 3)), "
                   "X'00ff', CAST('2026-01-02' AS DATE), CAST('2026-01-02 03:04:05' AS TIMESTAMP_NTZ)")


def test_wrong_counts_and_unknown_types_are_refused():
    with pytest.raises(SqlSyntaxError, match="1 parameter marker"):
        bind_parameters("SELECT ?", [1, 2])
    with pytest.raises(SqlSyntaxError, match="cannot be bound"):
        bind_parameters("SELECT ?", [object()])
