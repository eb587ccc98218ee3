"""Errors read as Spark's: `[CLASS] message`, Spark's own class and SQLSTATE, and positions
in the statement the user wrote, not in the one lakelens rewrote for Spark."""

from __future__ import annotations

import pytest

from lakelens.errors import LakelensError


@pytest.fixture
def items(fresh):
    fresh.sql("CREATE SCHEMA s")
    fresh.sql("CREATE TABLE s.items (id INT, name STRING) USING delta")
    fresh.sql("INSERT INTO s.items VALUES (1, 'pen')")
    return fresh


def test_an_analysis_error_points_into_the_users_text(items):
    sql = "SELECT id,\n       upper(name),\n       nosuch\nFROM s.items"
    with pytest.raises(LakelensError) as e:
        items.sql(sql)
    err = e.value
    assert (err.error_class, err.sqlstate) == ("UNRESOLVED_COLUMN", "42703")
    assert str(err).startswith("[UNRESOLVED_COLUMN] A column, variable, or function parameter with name `nosuch`")
    # Spark ran one line with the table's path in it; the user's `nosuch` is on line 3, column 8.
    assert err.position == (3, 8) and str(err).endswith("SQLSTATE: 42703; line 3 pos 7")
    assert "/warehouse/" not in str(err)


def test_an_execution_error_shows_the_users_line_with_carets(items):
    with pytest.raises(LakelensError) as e:
        items.sql("SELECT id,\n  id / (id - 1) AS ratio\nFROM s.items")
    err = e.value
    assert err.error_class == "DIVIDE_BY_ZERO" and err.sqlstate == "22012"
    assert "== SQL (line 2, position 3) ==\n  id / (id - 1) AS ratio\n  ^^^^^^^^^^^^^" in str(err)


def test_a_position_in_text_lakelens_wrote_is_left_out(items):
    # The k-th `nosuch` of Spark's statement is the k-th of the user's: with a second one
    # only in a view body (not in the user's text), no position is guessed.
    items.sql("CREATE VIEW s.v AS SELECT id AS nosuch FROM s.items")
    with pytest.raises(LakelensError) as e:
        items.sql("SELECT x FROM s.v")
    assert e.value.error_class == "UNRESOLVED_COLUMN"
    assert e.value.position == (1, 8)


def test_syntax_errors_use_sparks_words(items):
    with pytest.raises(LakelensError) as e:
        items.sql("SELECT * FROM s.items WHERE name =")
    assert str(e.value).startswith("[PARSE_SYNTAX_ERROR] Syntax error at or near '='")
    assert (e.value.line, e.value.col) == (1, 34)
    with pytest.raises(LakelensError) as e:
        items.sql("SELECT upper('a', 'b')")
    assert e.value.error_class == "WRONG_NUM_ARGS" and e.value.sqlstate == "42605"
    with pytest.raises(LakelensError) as e:
        items.sql("SELECT substr()")  # valid syntax: Spark itself names the function
    assert e.value.error_class == "WRONG_NUM_ARGS" and "`substr" in str(e.value)


def test_deltas_own_error_class_reaches_the_user(items):
    with pytest.raises(LakelensError) as e:
        items.sql("MERGE INTO s.items t USING (SELECT 1 AS id) u ON t.id = u.id "
                  "WHEN MATCHED THEN UPDATE SET t.missing = 1")
    assert (e.value.error_class, e.value.sqlstate) == ("DELTA_MERGE_UNRESOLVED_EXPRESSION", "42601")
    assert str(e.value).startswith("[DELTA_MERGE_UNRESOLVED_EXPRESSION] Cannot resolve t.missing in UPDATE clause")
