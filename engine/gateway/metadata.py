"""Answers to the metadata calls (GetTables, GetColumns, …), read from the catalog in bulk.

Result shapes are JDBC's `DatabaseMetaData` ones, which Hive JDBC, DBeaver and beeline
expect column for column. One catalog query per catalog answers a call, whatever the number
of tables (Spark's Thrift server used to ask per table: SPARK-27899).
"""

from __future__ import annotations

import re

import pyarrow as pa

from lakelens.catalog import TABLE, VIEW, VOLUME, Catalog, Column
from lakelens.catalog.grants import Access

S, I, SH = pa.string(), pa.int32(), pa.int16()

# java.sql.Types codes, by the leading word of a Spark type name.
JDBC_TYPES = {
    "boolean": 16, "tinyint": -6, "byte": -6, "smallint": 5, "short": 5, "int": 4, "integer": 4,
    "bigint": -5, "long": -5, "float": 6, "real": 6, "double": 8, "decimal": 3, "numeric": 3,
    "string": 12, "varchar": 12, "char": 1, "binary": -2, "date": 91, "timestamp": 93,
    "timestamp_ntz": 93, "array": 2003, "map": 2000, "struct": 2002, "void": 0, "null": 0,
    "interval": 1111, "variant": 1111,
}

# Columns of a volume's rows (see sql/resolve.py: the file relation).
VOLUME_COLUMNS = (
    Column("path", "string", False, "/Volumes/… path of the file"),
    Column("name", "string", False, "file name"),
    Column("size", "bigint", False, "bytes"),
    Column("modification_time", "timestamp", False, None),
    Column("content", "binary", True, "file bytes (read only when selected)"),
)

TABLE_TYPES = ("TABLE", "VIEW", "VOLUME")


class JdbcPattern:
    """A JDBC search pattern: `%` any run of characters, `_` one character (Hive clients also
    send `*` for `%`), `\\` makes the next character literal; case-insensitive, whole name.

    Matched without a regex: a pattern comes from the client, and a backtracking regex made of
    it (`%%%…%!`) never finished. This is the two-pointer wildcard match, which retries only
    from the last `%` it passed: at most len(pattern) * len(name) steps."""

    _ANY, _ONE = object(), object()

    def __init__(self, pattern: str):
        self.pattern = pattern
        tokens, escaped = [], False
        for ch in pattern:
            if escaped:
                tokens.append(ch.lower())
                escaped = False
            elif ch == "\\":
                escaped = True          # a trailing backslash is ignored, as before
            elif ch in "%*":
                if not tokens or tokens[-1] is not self._ANY:
                    tokens.append(self._ANY)
            elif ch == "_":
                tokens.append(self._ONE)
            else:
                tokens.append(ch.lower())
        self._tokens = tokens
        self._fixed = sum(t is not self._ANY for t in tokens)  # characters a match consumes one each
        self._open = self._ANY in tokens

    def match(self, name: str) -> bool:
        if len(name) < self._fixed or (not self._open and len(name) != self._fixed):
            return False                # so the walk below is O(len(name)**2) whatever the pattern
        toks, chars = self._tokens, [c.lower() for c in name]
        i = j = 0
        star, resume = -1, 0            # the last `%` passed, and where its run ends now
        while i < len(chars):
            tok = toks[j] if j < len(toks) else None
            if tok is self._ANY:
                star, resume, j = j, i, j + 1
            elif tok is not None and (tok is self._ONE or tok == chars[i]):
                i, j = i + 1, j + 1
            elif star >= 0:             # let the last `%` take one more character
                resume += 1
                i, j = resume, star + 1
            else:
                return False
        while j < len(toks) and toks[j] is self._ANY:
            j += 1
        return j == len(toks)

    def __repr__(self) -> str:
        return f"JdbcPattern({self.pattern!r})"


def jdbc_pattern(pattern: str | None) -> JdbcPattern | None:
    """A JDBC search pattern as a matcher; None when it matches everything (None, "", `%`, `*`)."""
    if pattern in (None, "", "%", "*"):
        return None
    return JdbcPattern(pattern)


def _match(pattern: JdbcPattern | None, name: str) -> bool:
    return pattern is None or pattern.match(name)


def _table(names_types: list[tuple[str, pa.DataType]], rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in names_types]
    return pa.Table.from_arrays([pa.array(list(col), type=t) for col, (_, t) in zip(columns, names_types)],
                                names=[n for n, _ in names_types])


# Every answer lists only what the session's user may see (`Access`: any privilege on the
# object or its parents, BROWSE included, or ownership): the same rule as SHOW.
def catalogs(catalog: Catalog, access: Access) -> pa.Table:
    return _table([("TABLE_CAT", S)], [(c.name,) for c in catalog.list_catalogs() if access.sees_catalog(c)])


def _catalog_names(catalog: Catalog, catalog_name: str | None, access: Access) -> list[str]:
    regex = jdbc_pattern(catalog_name)
    return [c.name for c in catalog.list_catalogs() if _match(regex, c.name) and access.sees_catalog(c)]


def schemas(catalog: Catalog, catalog_name: str | None, schema_pattern: str | None, access: Access) -> pa.Table:
    regex = jdbc_pattern(schema_pattern)
    rows = [(s.name, s.catalog) for cat in _catalog_names(catalog, catalog_name, access)
            for s in catalog.list_schemas(cat) if _match(regex, s.name) and access.sees_schema(s)]
    return _table([("TABLE_SCHEM", S), ("TABLE_CATALOG", S)], rows)


def _objects(catalog: Catalog, catalog_name, schema_pattern, table_pattern, access: Access, kinds=None):
    schema_re, table_re = jdbc_pattern(schema_pattern), jdbc_pattern(table_pattern)
    for cat in _catalog_names(catalog, catalog_name, access):
        for info in catalog.list_objects(cat, kinds=kinds):
            if _match(schema_re, info.schema) and _match(table_re, info.name) and access.sees_object(info):
                yield info


def tables(catalog: Catalog, catalog_name, schema_pattern, table_pattern, table_types, access: Access) -> pa.Table:
    wanted = {t.upper() for t in table_types} if table_types else set(TABLE_TYPES)
    # Hive clients also ask for MANAGED_TABLE / EXTERNAL_TABLE.
    if wanted & {"MANAGED_TABLE", "EXTERNAL_TABLE", "BASE TABLE"}:
        wanted.add("TABLE")
    kinds = [k for k in (TABLE, VIEW, VOLUME) if k in wanted]
    rows = [(o.catalog, o.schema, o.name, o.kind, o.comment or "", None, None, None, None, None)
            for o in _objects(catalog, catalog_name, schema_pattern, table_pattern, access, kinds)] if kinds else []
    return _table([("TABLE_CAT", S), ("TABLE_SCHEM", S), ("TABLE_NAME", S), ("TABLE_TYPE", S), ("REMARKS", S),
                   ("TYPE_CAT", S), ("TYPE_SCHEM", S), ("TYPE_NAME", S), ("SELF_REFERENCING_COL_NAME", S),
                   ("REF_GENERATION", S)], rows)


def table_types() -> pa.Table:
    return _table([("TABLE_TYPE", S)], [(t,) for t in TABLE_TYPES])


def _type_facts(spark_type: str) -> tuple[int, int | None, int | None, int | None]:
    """(java.sql.Types code, COLUMN_SIZE, DECIMAL_DIGITS, NUM_PREC_RADIX) of a Spark type name."""
    t = spark_type.lower().strip()
    word = re.match(r"[a-z_]+", t).group(0) if re.match(r"[a-z_]+", t) else t
    code = JDBC_TYPES.get(word, 1111)
    sizes = {"boolean": 1, "tinyint": 3, "smallint": 5, "int": 10, "integer": 10, "bigint": 19,
             "float": 7, "double": 15, "date": 10, "timestamp": 29, "timestamp_ntz": 29}
    size, digits, radix = sizes.get(word), None, None
    if word in ("tinyint", "smallint", "int", "integer", "bigint"):
        digits, radix = 0, 10
    elif word in ("float", "double"):
        radix = 10
    elif word in ("decimal", "numeric"):
        m = re.match(r"decimal\((\d+),\s*(\d+)\)", t)
        size, digits, radix = (int(m.group(1)), int(m.group(2)), 10) if m else (10, 0, 10)
    elif word in ("string", "binary", "varchar"):
        size = 2147483647
    return code, size, digits, radix


def columns(catalog: Catalog, catalog_name, schema_pattern, table_pattern, column_pattern, access: Access) -> pa.Table:
    column_re = jdbc_pattern(column_pattern)
    rows = []
    for o in _objects(catalog, catalog_name, schema_pattern, table_pattern, access):
        cols = VOLUME_COLUMNS if o.kind == VOLUME else o.columns
        for pos, c in enumerate(cols, start=1):
            if not _match(column_re, c.name):
                continue
            code, size, digits, radix = _type_facts(c.type)
            rows.append((o.catalog, o.schema, o.name, c.name, code, c.type.upper(), size, None, digits, radix,
                         1 if c.nullable else 0, c.comment or "", None, None, None, None, pos,
                         "YES" if c.nullable else "NO", None, None, None, None, "NO"))
    return _table([
        ("TABLE_CAT", S), ("TABLE_SCHEM", S), ("TABLE_NAME", S), ("COLUMN_NAME", S), ("DATA_TYPE", I),
        ("TYPE_NAME", S), ("COLUMN_SIZE", I), ("BUFFER_LENGTH", SH), ("DECIMAL_DIGITS", I), ("NUM_PREC_RADIX", I),
        ("NULLABLE", I), ("REMARKS", S), ("COLUMN_DEF", S), ("SQL_DATA_TYPE", I), ("SQL_DATETIME_SUB", I),
        ("CHAR_OCTET_LENGTH", I), ("ORDINAL_POSITION", I), ("IS_NULLABLE", S), ("SCOPE_CATALOG", S),
        ("SCOPE_SCHEMA", S), ("SCOPE_TABLE", S), ("SOURCE_DATA_TYPE", SH), ("IS_AUTO_INCREMENT", S)], rows)


_TYPE_INFO = ["BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "STRING",
              "BINARY", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "ARRAY", "MAP", "STRUCT", "VOID"]


def type_info() -> pa.Table:
    rows = []
    for name in _TYPE_INFO:
        code, size, digits, radix = _type_facts(name)
        numeric = radix is not None
        rows.append((name, code, size, "'" if name == "STRING" else None, "'" if name == "STRING" else None,
                     "PRECISION,SCALE" if name == "DECIMAL" else None, 1, name == "STRING",
                     3 if name not in ("ARRAY", "MAP", "STRUCT", "BINARY") else 0, not numeric, False, False,
                     None, 0, 38 if name == "DECIMAL" else 0, None, None, radix))
    return _table([
        ("TYPE_NAME", S), ("DATA_TYPE", I), ("PRECISION", I), ("LITERAL_PREFIX", S), ("LITERAL_SUFFIX", S),
        ("CREATE_PARAMS", S), ("NULLABLE", SH), ("CASE_SENSITIVE", pa.bool_()), ("SEARCHABLE", SH),
        ("UNSIGNED_ATTRIBUTE", pa.bool_()), ("FIXED_PREC_SCALE", pa.bool_()), ("AUTO_INCREMENT", pa.bool_()),
        ("LOCAL_TYPE_NAME", S), ("MINIMUM_SCALE", SH), ("MAXIMUM_SCALE", SH), ("SQL_DATA_TYPE", I),
        ("SQL_DATETIME_SUB", I), ("NUM_PREC_RADIX", I)], rows)


def functions(function_rows: list[tuple[str, str]], catalog_name, schema_pattern, function_pattern) -> pa.Table:
    """`function_rows` are (name, description) pairs: Spark's built-ins plus lakelens' own."""
    regex = jdbc_pattern(function_pattern)
    rows = [(None, None, name, remarks, 1, name) for name, remarks in function_rows if _match(regex, name)]
    return _table([("FUNCTION_CAT", S), ("FUNCTION_SCHEM", S), ("FUNCTION_NAME", S), ("REMARKS", S),
                   ("FUNCTION_TYPE", I), ("SPECIFIC_NAME", S)], rows)


def primary_keys() -> pa.Table:
    """Lakehouse tables declare no primary keys: the right shape, no rows."""
    return _table([("TABLE_CAT", S), ("TABLE_SCHEM", S), ("TABLE_NAME", S), ("COLUMN_NAME", S),
                   ("KEY_SEQ", I), ("PK_NAME", S)], [])


def cross_reference() -> pa.Table:
    return _table([("PKTABLE_CAT", S), ("PKTABLE_SCHEM", S), ("PKTABLE_NAME", S), ("PKCOLUMN_NAME", S),
                   ("FKTABLE_CAT", S), ("FKTABLE_SCHEM", S), ("FKTABLE_NAME", S), ("FKCOLUMN_NAME", S),
                   ("KEY_SEQ", I), ("UPDATE_RULE", I), ("DELETE_RULE", I), ("FK_NAME", S), ("PK_NAME", S),
                   ("DEFERRABILITY", I)], [])
