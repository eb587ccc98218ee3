"""Answers to Flight SQL's metadata commands, in the result schemas FlightSql.proto defines.

They read the catalog as the gateway's GetTables/GetColumns do (engine/gateway/metadata.py:
one catalog query per catalog, only what the session's user may see), but Flight SQL names a
catalog exactly (not as a pattern) and returns a table's columns as a serialized Arrow schema."""

from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from lakelens.catalog import TABLE, VIEW, VOLUME
from lakelens.catalog.grants import Access

from lakelens.engine.flight.protocol import sql_pb
from lakelens.engine.gateway.metadata import TABLE_TYPES, VOLUME_COLUMNS, _type_facts, jdbc_pattern

S = pa.string()


def _match(pattern, name: str) -> bool:
    return pattern is None or pattern.match(name)


def _catalogs(catalog, name: str | None, access: Access) -> list[str]:
    """Catalogs the user sees, narrowed to `name` (exact) when given; "" names none (Flight SQL:
    "those without a catalog", and every object here has one)."""
    return [c.name for c in catalog.list_catalogs()
            if access.sees_catalog(c) and (name is None or c.name.lower() == name.lower())]


def catalogs(catalog, access: Access) -> pa.Table:
    names = sorted(_catalogs(catalog, None, access))
    return pa.table({"catalog_name": pa.array(names, S)},
                    schema=pa.schema([pa.field("catalog_name", S, nullable=False)]))


def db_schemas(catalog, catalog_name: str | None, schema_pattern: str | None, access: Access) -> pa.Table:
    pattern = jdbc_pattern(schema_pattern)
    rows = sorted((cat, s.name) for cat in _catalogs(catalog, catalog_name, access)
                  for s in catalog.list_schemas(cat) if _match(pattern, s.name) and access.sees_schema(s))
    schema = pa.schema([pa.field("catalog_name", S), pa.field("db_schema_name", S, nullable=False)])
    return pa.Table.from_pylist([{"catalog_name": c, "db_schema_name": s} for c, s in rows], schema=schema)


def arrow_type(spark_type: str) -> pa.DataType:
    """The Arrow type Spark's Arrow conversion gives a column of this Spark type name."""
    return _arrow(exp.DataType.build(spark_type, dialect="spark"))


_SIMPLE = {
    exp.DataType.Type.BOOLEAN: pa.bool_(), exp.DataType.Type.TINYINT: pa.int8(),
    exp.DataType.Type.SMALLINT: pa.int16(), exp.DataType.Type.INT: pa.int32(),
    exp.DataType.Type.BIGINT: pa.int64(), exp.DataType.Type.FLOAT: pa.float32(),
    exp.DataType.Type.DOUBLE: pa.float64(), exp.DataType.Type.DATE: pa.date32(),
    exp.DataType.Type.TIMESTAMP: pa.timestamp("us", "UTC"), exp.DataType.Type.TIMESTAMPTZ: pa.timestamp("us", "UTC"),
    exp.DataType.Type.TIMESTAMPNTZ: pa.timestamp("us"), exp.DataType.Type.DATETIME: pa.timestamp("us"),
    exp.DataType.Type.BINARY: pa.binary(), exp.DataType.Type.VARBINARY: pa.binary(),
    exp.DataType.Type.NULL: pa.null(),
}


def _arrow(dt: exp.DataType) -> pa.DataType:
    t = dt.this
    if t in _SIMPLE:
        return _SIMPLE[t]
    if t == exp.DataType.Type.DECIMAL:
        params = [int(p.this.this) for p in dt.expressions if isinstance(p, exp.DataTypeParam)]
        precision, scale = (params + [10, 0][len(params):])[:2] if params else (10, 0)
        return pa.decimal128(precision, scale)
    if t == exp.DataType.Type.ARRAY and dt.expressions:
        return pa.list_(_arrow(dt.expressions[0]))
    if t == exp.DataType.Type.MAP and len(dt.expressions) == 2:
        return pa.map_(_arrow(dt.expressions[0]), _arrow(dt.expressions[1]))
    if t == exp.DataType.Type.STRUCT:
        fields = []
        for f in dt.expressions:  # ColumnDef(name, kind)
            fields.append(pa.field(f.name, _arrow(f.args["kind"])))
        return pa.struct(fields)
    return S  # strings, chars, intervals, variants: Spark hands them over as text


def _column_field(info, column) -> pa.Field:
    code, size, digits, _ = _type_facts(column.type)
    # The proto says DB_SCHEMA_NAME; the JDBC driver and ADBC read SCHEMA_NAME: both are sent.
    meta = {"ARROW:FLIGHT:SQL:CATALOG_NAME": info.catalog, "ARROW:FLIGHT:SQL:DB_SCHEMA_NAME": info.schema,
            "ARROW:FLIGHT:SQL:SCHEMA_NAME": info.schema,
            "ARROW:FLIGHT:SQL:TABLE_NAME": info.name, "ARROW:FLIGHT:SQL:TYPE_NAME": column.type.upper(),
            "ARROW:FLIGHT:SQL:IS_AUTO_INCREMENT": "0", "ARROW:FLIGHT:SQL:IS_CASE_SENSITIVE": "1" if code == 12 else "0",
            "ARROW:FLIGHT:SQL:IS_READ_ONLY": "1" if info.kind != TABLE else "0",
            "ARROW:FLIGHT:SQL:IS_SEARCHABLE": "1"}
    if size is not None:
        meta["ARROW:FLIGHT:SQL:PRECISION"] = str(size)
    if digits is not None:
        meta["ARROW:FLIGHT:SQL:SCALE"] = str(digits)
    if column.comment:
        meta["ARROW:FLIGHT:SQL:REMARKS"] = column.comment
    try:
        typ = arrow_type(column.type)
    except Exception:  # a type name sqlglot cannot read: its values arrive as text
        typ = S
    return pa.field(column.name, typ, nullable=column.nullable, metadata=meta)


def table_schema(info) -> pa.Schema:
    """An object's columns as Arrow, with Flight SQL's column metadata (a volume: its file rows)."""
    columns = VOLUME_COLUMNS if info.kind == VOLUME else info.columns
    return pa.schema([_column_field(info, c) for c in columns])


def tables(catalog, catalog_name, schema_pattern, table_pattern, table_types, include_schema: bool,
           access: Access) -> pa.Table:
    wanted = {t.upper() for t in table_types} if table_types else set(TABLE_TYPES)
    if wanted & {"BASE TABLE", "MANAGED_TABLE", "EXTERNAL_TABLE"}:
        wanted.add("TABLE")
    kinds = [k for k in (TABLE, VIEW, VOLUME) if k in wanted]
    schema_re, table_re = jdbc_pattern(schema_pattern), jdbc_pattern(table_pattern)
    rows = []
    for cat in _catalogs(catalog, catalog_name, access) if kinds else []:
        for info in catalog.list_objects(cat, kinds=kinds):
            if _match(schema_re, info.schema) and _match(table_re, info.name) and access.sees_object(info):
                row = {"catalog_name": info.catalog, "db_schema_name": info.schema, "table_name": info.name,
                       "table_type": info.kind}
                if include_schema:
                    row["table_schema"] = table_schema(info).serialize().to_pybytes()
                rows.append(row)
    rows.sort(key=lambda r: (r["catalog_name"], r["db_schema_name"], r["table_name"], r["table_type"]))
    fields = [pa.field("catalog_name", S), pa.field("db_schema_name", S), pa.field("table_name", S, nullable=False),
              pa.field("table_type", S, nullable=False)]
    if include_schema:
        fields.append(pa.field("table_schema", pa.binary(), nullable=False))
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def table_types() -> pa.Table:
    return pa.table({"table_type": pa.array(sorted(TABLE_TYPES), S)},
                    schema=pa.schema([pa.field("table_type", S, nullable=False)]))


def primary_keys() -> pa.Table:
    """Lakehouse tables declare no keys: the schema (in the Java and Go reference order), no rows."""
    return pa.schema([pa.field("catalog_name", S), pa.field("db_schema_name", S),
                      pa.field("table_name", S, nullable=False), pa.field("column_name", S, nullable=False),
                      pa.field("key_sequence", pa.int32(), nullable=False), pa.field("key_name", S)]).empty_table()


def foreign_keys() -> pa.Table:
    """GetExportedKeys, GetImportedKeys and GetCrossReference: no foreign keys either."""
    u8 = pa.uint8()
    return pa.schema([
        pa.field("pk_catalog_name", S), pa.field("pk_db_schema_name", S), pa.field("pk_table_name", S, False),
        pa.field("pk_column_name", S, False), pa.field("fk_catalog_name", S), pa.field("fk_db_schema_name", S),
        pa.field("fk_table_name", S, False), pa.field("fk_column_name", S, False),
        pa.field("key_sequence", pa.int32(), False), pa.field("fk_key_name", S), pa.field("pk_key_name", S),
        pa.field("update_rule", u8, False), pa.field("delete_rule", u8, False)]).empty_table()


# ------------------------------------------------------------------ GetSqlInfo
_VALUE = pa.dense_union([
    pa.field("string_value", S), pa.field("bool_value", pa.bool_()), pa.field("bigint_value", pa.int64()),
    pa.field("int32_bitmask", pa.int32()), pa.field("string_list", pa.list_(pa.field("item", S))),
    pa.field("int32_to_int32_list_map", pa.map_(pa.int32(), pa.list_(pa.field("item", pa.int32())))),
])
SQL_INFO_SCHEMA = pa.schema([pa.field("info_name", pa.uint32(), nullable=False),
                             pa.field("value", _VALUE, nullable=False)])


def _sql_info_values(version: str) -> dict[int, object]:
    info = sql_pb.SqlInfo
    keywords = ["ANTI", "CLUSTER", "DISTRIBUTE", "LATERAL", "PIVOT", "QUALIFY", "SEMI", "TABLESAMPLE", "UNPIVOT",
                "VOLUME", "VOLUMES"]
    return {
        info.FLIGHT_SQL_SERVER_NAME: "lakelens",
        info.FLIGHT_SQL_SERVER_VERSION: version,
        info.FLIGHT_SQL_SERVER_ARROW_VERSION: pa.__version__,
        info.FLIGHT_SQL_SERVER_READ_ONLY: False,
        info.FLIGHT_SQL_SERVER_SQL: True,
        info.FLIGHT_SQL_SERVER_SUBSTRAIT: False,
        info.FLIGHT_SQL_SERVER_TRANSACTION: sql_pb.SQL_SUPPORTED_TRANSACTION_NONE,
        info.FLIGHT_SQL_SERVER_CANCEL: True,
        info.FLIGHT_SQL_SERVER_BULK_INGESTION: True,
        info.FLIGHT_SQL_SERVER_INGEST_TRANSACTIONS_SUPPORTED: False,
        info.FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT: 0,
        info.FLIGHT_SQL_SERVER_TRANSACTION_TIMEOUT: 0,
        info.SQL_DDL_CATALOG: True,
        info.SQL_DDL_SCHEMA: True,
        info.SQL_DDL_TABLE: True,
        info.SQL_IDENTIFIER_CASE: sql_pb.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE,
        info.SQL_IDENTIFIER_QUOTE_CHAR: "`",
        info.SQL_QUOTED_IDENTIFIER_CASE: sql_pb.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE,
        info.SQL_ALL_TABLES_ARE_SELECTABLE: False,  # grants decide
        info.SQL_NULL_ORDERING: sql_pb.SQL_NULLS_SORTED_LOW,
        info.SQL_KEYWORDS: keywords,
        info.SQL_SEARCH_STRING_ESCAPE: "\\",
        info.SQL_EXTRA_NAME_CHARACTERS: "",
        info.SQL_SUPPORTS_COLUMN_ALIASING: True,
        info.SQL_NULL_PLUS_NULL_IS_NULL: True,
        info.SQL_SUPPORTS_TABLE_CORRELATION_NAMES: True,
        info.SQL_SUPPORTS_EXPRESSIONS_IN_ORDER_BY: True,
        info.SQL_SUPPORTS_ORDER_BY_UNRELATED: True,
        info.SQL_SUPPORTED_GROUP_BY: 1 << sql_pb.SQL_GROUP_BY_UNRELATED,
        info.SQL_SUPPORTS_LIKE_ESCAPE_CLAUSE: True,
        info.SQL_SUPPORTS_NON_NULLABLE_COLUMNS: True,
        info.SQL_SCHEMA_TERM: "schema",
        info.SQL_CATALOG_TERM: "catalog",
        info.SQL_PROCEDURE_TERM: "procedure",
        info.SQL_CATALOG_AT_START: True,
        info.SQL_SELECT_FOR_UPDATE_SUPPORTED: False,
        info.SQL_STORED_PROCEDURES_SUPPORTED: False,
        info.SQL_CORRELATED_SUBQUERIES_SUPPORTED: True,
        info.SQL_SUPPORTED_UNIONS: (1 << sql_pb.SQL_UNION) | (1 << sql_pb.SQL_UNION_ALL),
        info.SQL_MAX_COLUMN_NAME_LENGTH: 0,
        info.SQL_MAX_STATEMENT_LENGTH: 0,
        info.SQL_TRANSACTIONS_SUPPORTED: False,
        info.SQL_BATCH_UPDATES_SUPPORTED: True,
        info.SQL_SAVEPOINTS_SUPPORTED: False,
        info.SQL_NAMED_PARAMETERS_SUPPORTED: False,
        info.SQL_LOCATORS_UPDATE_COPY: False,
        info.SQL_STORED_FUNCTIONS_USING_CALL_SYNTAX_SUPPORTED: False,
    }


def sql_info(requested: list[int], version: str) -> pa.Table:
    """The values asked for (all when `requested` is empty), as Flight SQL's dense union:
    child 0 string, 1 bool, 2 bigint, 3 int32 (`_INT32`), 4 string list; unknown ids are left out."""
    values = _sql_info_values(version)
    ids = [i for i in (requested or sorted(values)) if i in values]
    children: list[list] = [[], [], [], [], [], []]
    type_ids, offsets = [], []
    for i in ids:
        v = values[i]
        if isinstance(v, bool):
            code = 1
        elif isinstance(v, str):
            code = 0
        elif isinstance(v, list):
            code = 4
        elif i in _INT32:
            code = 3
        else:
            code = 2
        type_ids.append(code)
        offsets.append(len(children[code]))
        children[code].append(v)
    arrays = [pa.array(children[k], _VALUE.field(k).type) for k in range(6)]
    value = pa.UnionArray.from_dense(pa.array(type_ids, pa.int8()), pa.array(offsets, pa.int32()), arrays,
                                     [f.name for f in _VALUE], list(range(6)))
    return pa.Table.from_arrays([pa.array(ids, pa.uint32()), value], schema=SQL_INFO_SCHEMA)


# Values FlightSql.proto declares int32 (enums, ordinals, bitmasks, timeouts): the union's child 3.
# ADBC reads FLIGHT_SQL_SERVER_TRANSACTION there at connect and fails on any other child.
_INT32 = {getattr(sql_pb.SqlInfo, name) for name in (
    "FLIGHT_SQL_SERVER_TRANSACTION", "FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT", "FLIGHT_SQL_SERVER_TRANSACTION_TIMEOUT",
    "SQL_IDENTIFIER_CASE", "SQL_QUOTED_IDENTIFIER_CASE", "SQL_NULL_ORDERING", "SQL_SUPPORTED_GROUP_BY",
    "SQL_SUPPORTED_UNIONS")}


# ------------------------------------------------------------------ GetXdbcTypeInfo
_XDBC = [  # (type name, xdbc data type, column size, literal prefix/suffix, create params, searchable, radix)
    ("BOOLEAN", -7, 1, None, None, 2, None), ("TINYINT", -6, 3, None, None, 2, 10),
    ("BIGINT", -5, 19, None, None, 2, 10), ("BINARY", -2, 2147483647, "X'", None, 0, None),
    ("STRING", 12, 2147483647, "'", None, 3, None), ("DECIMAL", 3, 38, None, ["precision", "scale"], 2, 10),
    ("INT", 4, 10, None, None, 2, 10), ("SMALLINT", 5, 5, None, None, 2, 10), ("FLOAT", 6, 7, None, None, 2, 2),
    ("DOUBLE", 8, 15, None, None, 2, 2), ("DATE", 91, 10, "DATE '", None, 2, None),
    ("TIMESTAMP", 93, 29, "TIMESTAMP '", None, 2, None), ("TIMESTAMP_NTZ", 93, 29, "TIMESTAMP_NTZ '", None, 2, None),
    ("ARRAY", 2003, None, None, None, 0, None), ("MAP", 2000, None, None, None, 0, None),
    ("STRUCT", 2002, None, None, None, 0, None),
]
XDBC_SCHEMA = pa.schema([
    pa.field("type_name", S, False), pa.field("data_type", pa.int32(), False), pa.field("column_size", pa.int32()),
    pa.field("literal_prefix", S), pa.field("literal_suffix", S),
    pa.field("create_params", pa.list_(pa.field("item", S, False))), pa.field("nullable", pa.int32(), False),
    pa.field("case_sensitive", pa.bool_(), False), pa.field("searchable", pa.int32(), False),
    pa.field("unsigned_attribute", pa.bool_()), pa.field("fixed_prec_scale", pa.bool_(), False),
    pa.field("auto_increment", pa.bool_()), pa.field("local_type_name", S), pa.field("minimum_scale", pa.int32()),
    pa.field("maximum_scale", pa.int32()), pa.field("sql_data_type", pa.int32(), False),
    pa.field("datetime_subcode", pa.int32()), pa.field("num_prec_radix", pa.int32()),
    pa.field("interval_precision", pa.int32())])


def xdbc_type_info(data_type: int | None) -> pa.Table:
    rows = []
    for name, code, size, prefix, params, searchable, radix in sorted(_XDBC, key=lambda r: (r[1], r[0])):
        if data_type is not None and code != data_type:
            continue
        numeric = radix is not None
        suffix = "'" if prefix and prefix.endswith("'") else None
        datetime_sub = {"DATE": 1, "TIMESTAMP": 2, "TIMESTAMP_NTZ": 2}.get(name)
        rows.append({"type_name": name, "data_type": code, "column_size": size, "literal_prefix": prefix,
                     "literal_suffix": suffix, "create_params": params, "nullable": 1,
                     "case_sensitive": name == "STRING", "searchable": searchable,
                     "unsigned_attribute": False if numeric else None, "fixed_prec_scale": name == "DECIMAL",
                     "auto_increment": False if numeric else None, "local_type_name": name,
                     "minimum_scale": 0 if name == "DECIMAL" else None,
                     "maximum_scale": 38 if name == "DECIMAL" else None,
                     "sql_data_type": 9 if datetime_sub else code, "datetime_subcode": datetime_sub,
                     "num_prec_radix": radix, "interval_precision": None})
    return pa.Table.from_pylist(rows, schema=XDBC_SCHEMA)
