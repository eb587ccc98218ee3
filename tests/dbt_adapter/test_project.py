"""Seeds, dbt show, aliases and stored test failures."""

import pytest
from dbt.tests.adapter.aliases.test_aliases import BaseAliasErrors, BaseAliases, BaseSameAliasDifferentSchemas
from dbt.tests.adapter.dbt_show.test_dbt_show import BaseShowDoesNotHandleDoubleLimit, BaseShowLimit, BaseShowSqlHeader
from dbt.tests.adapter.simple_seed.test_seed import BaseTestEmptySeed
from dbt.tests.adapter.store_test_failures_tests import basic
from dbt.tests.adapter.store_test_failures_tests.test_store_test_failures import (
    TEST_AUDIT_SCHEMA_SUFFIX,
    StoreTestFailuresBase,
)


class TestEmptySeed(BaseTestEmptySeed): pass
class TestShowLimit(BaseShowLimit): pass
class TestShowSqlHeader(BaseShowSqlHeader): pass


class TestShowDoesNotHandleDoubleLimit(BaseShowDoesNotHandleDoubleLimit):
    DATABASE_ERROR_MESSAGE = "limit"


# dbt's caching classes compare `relation.database.lower()`: Spark relations have no database
# level (None), so they cannot run against any Spark adapter (dbt-spark does not run them).


class TestAliases(BaseAliases): pass
class TestAliasErrors(BaseAliasErrors): pass
class TestSameAliasDifferentSchemas(BaseSameAliasDifferentSchemas): pass


class TestStoreTestFailures(StoreTestFailuresBase):
    @pytest.fixture(scope="class")
    def project_config_update(self):
        return {"seeds": {"quote_columns": False, "test": self.column_type_overrides(), "+file_format": "delta"},
                "tests": {"+schema": TEST_AUDIT_SCHEMA_SUFFIX, "+store_failures": True, "+file_format": "delta"}}

    @pytest.fixture(scope="function", autouse=True)
    def drop_audit_schema(self, project):
        yield
        with project.adapter.connection_named("__test"):
            relation = project.adapter.Relation.create(database=project.database,
                                                       schema=f"{project.test_schema}_{TEST_AUDIT_SCHEMA_SUFFIX}")
            project.adapter.drop_schema(relation)

    def test_store_and_assert_failure_with_delta(self, project):
        self.run_tests_store_one_failure(project)
        self.run_tests_store_failures_and_assert(project)


class TestStoreTestFailuresAsInteractions(basic.StoreTestFailuresAsInteractions): pass
class TestStoreTestFailuresAsProjectLevelOff(basic.StoreTestFailuresAsProjectLevelOff): pass
class TestStoreTestFailuresAsProjectLevelView(basic.StoreTestFailuresAsProjectLevelView): pass
class TestStoreTestFailuresAsGeneric(basic.StoreTestFailuresAsGeneric): pass
class TestStoreTestFailuresAsProjectLevelEphemeral(basic.StoreTestFailuresAsProjectLevelEphemeral): pass
class TestStoreTestFailuresAsExceptions(basic.StoreTestFailuresAsExceptions): pass
