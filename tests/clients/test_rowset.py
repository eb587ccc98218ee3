"""Arrow → Thrift row sets: what every client decodes (no server needed)."""

from __future__ import annotations

import datetime
import decimal

import pyarrow as pa

from lakelens.engine.gateway.metadata import jdbc_pattern
from lakelens.engine.gateway.rowset import columnar_rowset, row_rowset, table_schema


def test_null_bitmap_is_least_significant_bit_first():
    values = [None if i in (0, 9, 10) else i for i in range(12)]
    col = columnar_rowset(pa.table({"x": pa.array(values, pa.int32())}), 0).columns[0].i32Val
    assert col.nulls == bytes([0b00000001, 0b00000110])
    assert col.values == [0 if v is None else v for v in values]
    assert columnar_rowset(pa.table({"x": pa.array([1, 2], pa.int64())}), 0).columns[0].i64Val.nulls == b""


def test_text_forms_of_dates_timestamps_decimals_and_nested_values():
    t = pa.table({
        "ts": pa.array([datetime.datetime(2026, 1, 2, 3, 4, 5, 120000), datetime.datetime(2026, 1, 2, 3, 4, 5), None],
                       pa.timestamp("us", tz="UTC")),
        "d": pa.array([datetime.date(1999, 12, 31), None, datetime.date(2026, 1, 1)]),
        "dec": pa.array([decimal.Decimal("1.50"), None, decimal.Decimal("-3.00")], pa.decimal128(10, 2)),
        "arr": pa.array([[1.5, 2.0], [], None], pa.list_(pa.float32())),
        "st": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}]),
        "bin": pa.array([b"\x00\xff", None, b""]),
    })
    cols = columnar_rowset(t, 5).columns
    assert cols[0].stringVal.values == ["2026-01-02 03:04:05.12", "2026-01-02 03:04:05", ""]
    assert cols[1].stringVal.values == ["1999-12-31", "", "2026-01-01"]
    assert cols[2].stringVal.values == ["1.50", "", "-3.00"]
    assert cols[3].stringVal.values == ["[1.5,2.0]", "[]", ""]
    assert cols[4].stringVal.values == ['{"a":1,"b":"x"}', "", '{"a":null,"b":"y"}']
    assert cols[5].binaryVal.values == [b"\x00\xff", b"", b""] and cols[5].binaryVal.nulls == b"\x02"
    schema = table_schema(t.schema).columns
    assert [c.typeDesc.types[0].primitiveEntry.type for c in schema] == [8, 17, 15, 10, 12, 9]
    assert schema[2].typeDesc.types[0].primitiveEntry.typeQualifiers.qualifiers["scale"].i32Value == 2


def test_row_based_sets_for_old_clients():
    rows = row_rowset(pa.table({"n": [1, None], "s": ["a", None]}), 0).rows
    assert [(r.colVals[0].i64Val.value, r.colVals[1].stringVal.value) for r in rows] == [(1, "a"), (None, None)]


def test_jdbc_patterns():
    assert jdbc_pattern("%") is None and jdbc_pattern(None) is None
    p = jdbc_pattern("t\\_a%")
    assert p.match("T_ABC") and not p.match("txabc")
    assert jdbc_pattern("s_op").match("shop") and not jdbc_pattern("s_op").match("shoop")
