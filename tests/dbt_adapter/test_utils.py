"""dbt.tests.adapter.utils: dbt's cross-database macros as dbt-spark implements them (dateadd,
datediff, safe_cast, hash, split_part, …), each checked against expected rows."""

import pytest
from dbt.tests.adapter.utils.test_any_value import BaseAnyValue
from dbt.tests.adapter.utils.test_array_append import BaseArrayAppend
from dbt.tests.adapter.utils.test_array_concat import BaseArrayConcat
from dbt.tests.adapter.utils.test_array_construct import BaseArrayConstruct
from dbt.tests.adapter.utils.test_bool_or import BaseBoolOr
from dbt.tests.adapter.utils.test_cast import BaseCast
from dbt.tests.adapter.utils.test_cast_bool_to_text import BaseCastBoolToText
from dbt.tests.adapter.utils.test_concat import BaseConcat
from dbt.tests.adapter.utils.test_current_timestamp import BaseCurrentTimestampNaive
from dbt.tests.adapter.utils.test_date import BaseDate
from dbt.tests.adapter.utils.test_date_trunc import BaseDateTrunc
from dbt.tests.adapter.utils.test_dateadd import BaseDateAdd
from dbt.tests.adapter.utils.test_datediff import BaseDateDiff
from dbt.tests.adapter.utils.test_escape_single_quotes import BaseEscapeSingleQuotesBackslash
from dbt.tests.adapter.utils.test_except import BaseExcept
from dbt.tests.adapter.utils.test_hash import BaseHash
from dbt.tests.adapter.utils.test_intersect import BaseIntersect
from dbt.tests.adapter.utils.test_length import BaseLength
from dbt.tests.adapter.utils.test_position import BasePosition
from dbt.tests.adapter.utils.test_replace import BaseReplace
from dbt.tests.adapter.utils.test_right import BaseRight
from dbt.tests.adapter.utils.test_safe_cast import BaseSafeCast
from dbt.tests.adapter.utils.test_string_literal import BaseStringLiteral
from dbt.tests.adapter.utils.data_types.test_type_bigint import BaseTypeBigInt
from dbt.tests.adapter.utils.data_types.test_type_boolean import BaseTypeBoolean
from dbt.tests.adapter.utils.data_types.test_type_float import BaseTypeFloat
from dbt.tests.adapter.utils.data_types.test_type_float import seeds__expected_csv as FLOAT_CSV
from dbt.tests.adapter.utils.data_types.test_type_int import BaseTypeInt
from dbt.tests.adapter.utils.data_types.test_type_int import seeds__expected_csv as INT_CSV
from dbt.tests.adapter.utils.data_types.test_type_numeric import BaseTypeNumeric
from dbt.tests.adapter.utils.data_types.test_type_string import BaseTypeString
from dbt.tests.adapter.utils.data_types.test_type_timestamp import BaseTypeTimestamp


class TestAnyValue(BaseAnyValue): pass
class TestArrayAppend(BaseArrayAppend): pass
class TestArrayConcat(BaseArrayConcat): pass
class TestArrayConstruct(BaseArrayConstruct): pass
class TestBoolOr(BaseBoolOr): pass
class TestCast(BaseCast): pass
class TestCastBoolToText(BaseCastBoolToText): pass
class TestConcat(BaseConcat): pass
class TestCurrentTimestamp(BaseCurrentTimestampNaive): pass
class TestDate(BaseDate): pass
class TestDateAdd(BaseDateAdd): pass
class TestDateDiff(BaseDateDiff): pass
class TestDateTrunc(BaseDateTrunc): pass
class TestEscapeSingleQuotes(BaseEscapeSingleQuotesBackslash): pass
class TestExcept(BaseExcept): pass
class TestHash(BaseHash): pass
class TestIntersect(BaseIntersect): pass
class TestLength(BaseLength): pass
class TestPosition(BasePosition): pass
class TestReplace(BaseReplace): pass
class TestRight(BaseRight): pass
class TestSafeCast(BaseSafeCast): pass
class TestStringLiteral(BaseStringLiteral): pass
class TestTypeBigInt(BaseTypeBigInt): pass
class TestTypeBoolean(BaseTypeBoolean): pass
class TestTypeNumeric(BaseTypeNumeric):
    def numeric_fixture_type(self):
        return "decimal(28,6)"  # dbt-spark's numeric type


def _seed_typed(column: str, spark_type: str) -> str:
    # A CSV seed infers BIGINT / DOUBLE on Spark; the expected side states its type, as in dbt-spark.
    return f"version: 2\nseeds:\n  - name: expected\n    config:\n      column_types:\n        {column}: {spark_type}\n"


class TestTypeInt(BaseTypeInt):
    @pytest.fixture(scope="class")
    def seeds(self):
        return {"expected.csv": INT_CSV, "expected.yml": _seed_typed("int_col", "int")}


class TestTypeFloat(BaseTypeFloat):
    @pytest.fixture(scope="class")
    def seeds(self):
        return {"expected.csv": FLOAT_CSV, "expected.yml": _seed_typed("float_col", "float")}
class TestTypeString(BaseTypeString): pass
class TestTypeTimestamp(BaseTypeTimestamp): pass
