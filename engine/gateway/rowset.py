"""Arrow results → HiveServer2 result sets.

Columnar row sets (protocol V6 and later) are built column by column with Arrow compute and
NumPy: the null bitmap comes from the validity buffer, values from `to_numpy().tolist()`;
no per-value Python loop runs on this path. Row-based row sets (older clients) are built
from the same columns.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from impala_thrift_gen.TCLIService import ttypes as T

# Arrow type -> (Hive type id, TColumn field, TColumnValue field)
_PRIMITIVE = [
    (pa.types.is_boolean, T.TTypeId.BOOLEAN_TYPE, "boolVal"),
    (pa.types.is_int8, T.TTypeId.TINYINT_TYPE, "byteVal"),
    (pa.types.is_int16, T.TTypeId.SMALLINT_TYPE, "i16Val"),
    (pa.types.is_int32, T.TTypeId.INT_TYPE, "i32Val"),
    (pa.types.is_int64, T.TTypeId.BIGINT_TYPE, "i64Val"),
    (pa.types.is_float32, T.TTypeId.FLOAT_TYPE, "doubleVal"),
    (pa.types.is_float64, T.TTypeId.DOUBLE_TYPE, "doubleVal"),
    (pa.types.is_binary, T.TTypeId.BINARY_TYPE, "binaryVal"),
    (pa.types.is_large_binary, T.TTypeId.BINARY_TYPE, "binaryVal"),
    (pa.types.is_string, T.TTypeId.STRING_TYPE, "stringVal"),
    (pa.types.is_large_string, T.TTypeId.STRING_TYPE, "stringVal"),
    (pa.types.is_decimal, T.TTypeId.DECIMAL_TYPE, "stringVal"),
    (pa.types.is_date, T.TTypeId.DATE_TYPE, "stringVal"),
    (pa.types.is_timestamp, T.TTypeId.TIMESTAMP_TYPE, "stringVal"),
    (pa.types.is_null, T.TTypeId.NULL_TYPE, "stringVal"),
    (pa.types.is_list, T.TTypeId.ARRAY_TYPE, "stringVal"),
    (pa.types.is_large_list, T.TTypeId.ARRAY_TYPE, "stringVal"),
    (pa.types.is_map, T.TTypeId.MAP_TYPE, "stringVal"),
    (pa.types.is_struct, T.TTypeId.STRUCT_TYPE, "stringVal"),
]

_COLUMN_CLASS = {
    "boolVal": T.TBoolColumn, "byteVal": T.TByteColumn, "i16Val": T.TI16Column, "i32Val": T.TI32Column,
    "i64Val": T.TI64Column, "doubleVal": T.TDoubleColumn, "stringVal": T.TStringColumn,
    "binaryVal": T.TBinaryColumn,
}
_VALUE_CLASS = {
    "boolVal": T.TBoolValue, "byteVal": T.TByteValue, "i16Val": T.TI16Value, "i32Val": T.TI32Value,
    "i64Val": T.TI64Value, "doubleVal": T.TDoubleValue, "stringVal": T.TStringValue,
}


def _kind(arrow_type: pa.DataType) -> tuple[int, str]:
    for test, type_id, field in _PRIMITIVE:
        if test(arrow_type):
            return type_id, field
    return T.TTypeId.STRING_TYPE, "stringVal"


def type_name(arrow_type: pa.DataType) -> str:
    """The Hive type name clients show (`BIGINT`, `ARRAY<FLOAT>`, `DECIMAL(10,2)` …)."""
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"ARRAY<{type_name(arrow_type.value_type)}>"
    if pa.types.is_map(arrow_type):
        return f"MAP<{type_name(arrow_type.key_type)},{type_name(arrow_type.item_type)}>"
    if pa.types.is_struct(arrow_type):
        return "STRUCT<" + ",".join(f"{f.name}:{type_name(f.type)}" for f in arrow_type) + ">"
    type_id, _ = _kind(arrow_type)
    return T.TTypeId._VALUES_TO_NAMES[type_id].replace("_TYPE", "")


def table_schema(schema: pa.Schema) -> T.TTableSchema:
    columns = []
    for i, field in enumerate(schema):
        type_id, _ = _kind(field.type)
        qualifiers = None
        if pa.types.is_decimal(field.type):
            qualifiers = T.TTypeQualifiers(qualifiers={
                "precision": T.TTypeQualifierValue(i32Value=field.type.precision),
                "scale": T.TTypeQualifierValue(i32Value=field.type.scale)})
        entry = T.TTypeEntry(primitiveEntry=T.TPrimitiveTypeEntry(type=type_id, typeQualifiers=qualifiers))
        comment = (field.metadata or {}).get(b"comment")
        columns.append(T.TColumnDesc(columnName=field.name, typeDesc=T.TTypeDesc(types=[entry]), position=i + 1,
                                     comment=comment.decode() if comment else None))
    return T.TTableSchema(columns=columns)


def _nulls(array: pa.Array) -> bytes:
    """Hive's null bitmap: bit i (least significant first) set when row i is null; trailing
    zero bytes dropped, as Java's BitSet.toByteArray does."""
    if array.null_count == 0:
        return b""
    bits = np.packbits(array.is_null().to_numpy(zero_copy_only=False), bitorder="little")
    return bits.tobytes().rstrip(b"\x00")


def _timestamp_text(array: pa.Array) -> pa.Array:
    if array.type.tz is not None:
        array = array.cast(pa.timestamp(array.type.unit))  # session time zone is UTC
    text = pc.strftime(array, format="%Y-%m-%d %H:%M:%S")
    # `%S` carries the fraction ("05.120000"): trim trailing zeros like Hive ("05.12", "05").
    text = pc.replace_substring_regex(text, pattern=r"0+$", replacement="")
    return pc.replace_substring_regex(text, pattern=r"\.$", replacement="")


def _json_default(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _values(array: pa.Array, field: str) -> list:
    """Values as a Python list with a placeholder where the bitmap says NULL."""
    t = array.type
    if field in ("i64Val", "i32Val", "i16Val", "byteVal", "doubleVal", "boolVal"):
        fill = False if field == "boolVal" else 0
        if array.null_count:
            array = array.fill_null(fill)
        return array.to_numpy(zero_copy_only=False).tolist()
    if field == "binaryVal":
        return array.fill_null(b"").to_pylist() if array.null_count else array.to_pylist()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array.fill_null("").to_pylist() if array.null_count else array.to_pylist()
    if pa.types.is_timestamp(t):
        array = _timestamp_text(array)
    elif pa.types.is_null(t):
        return [""] * len(array)
    elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t) or pa.types.is_struct(t):
        # Complex values travel as JSON text, as Spark's Thrift server sends them.
        return ["" if v is None else json.dumps(v, default=_json_default, separators=(",", ":"))
                for v in array.to_pylist()]
    else:
        array = array.cast(pa.string())
    return array.fill_null("").to_pylist() if array.null_count else array.to_pylist()


def to_column(array: pa.Array) -> T.TColumn:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    _, field = _kind(array.type)
    column = _COLUMN_CLASS[field](values=_values(array, field), nulls=_nulls(array))
    return T.TColumn(**{field: column})


def columnar_rowset(table: pa.Table, start_row: int) -> T.TRowSet:
    return T.TRowSet(startRowOffset=start_row, rows=[], columns=[to_column(c) for c in table.columns],
                     columnCount=table.num_columns)


def row_rowset(table: pa.Table, start_row: int) -> T.TRowSet:
    """Row-based results for clients below protocol V6."""
    per_column = []
    for column in table.columns:
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        _, field = _kind(array.type)
        values = _values(array, field)
        nulls = array.is_null().to_pylist()
        if field == "binaryVal":  # no binary value in TColumnValue: send text
            values = [v.decode("utf-8", "replace") for v in values]
            field = "stringVal"
        wrap = _VALUE_CLASS[field]
        per_column.append([T.TColumnValue(**{field: wrap(value=None if null else v)})
                           for v, null in zip(values, nulls)])
    rows = [T.TRow(colVals=list(vals)) for vals in zip(*per_column)] if per_column else []
    return T.TRowSet(startRowOffset=start_row, rows=rows)

