"""dbt.tests.adapter.grants: dbt's `grants:` config applied and reconciled through SHOW GRANTS,
GRANT and REVOKE, on views, tables, incremental models, seeds and snapshots, and the errors an
invalid grantee or privilege gives. The users DBT_TEST_USER_1..3 exist on the test server
(tests/clients/conftest.py). Overrides are dbt-spark's own for Databricks: `insert` is MODIFY
in Unity Catalog's privileges; seeds are rebuilt (dropped and created) by dbt-spark, so their
grants are applied again each run."""

import pytest
from dbt.tests.adapter.grants.test_incremental_grants import BaseIncrementalGrants
from dbt.tests.adapter.grants.test_invalid_grants import BaseInvalidGrants
from dbt.tests.adapter.grants.test_model_grants import BaseModelGrants
from dbt.tests.adapter.grants.test_seed_grants import BaseSeedGrants
from dbt.tests.adapter.grants.test_snapshot_grants import BaseSnapshotGrants

DELTA = {"models": {"+file_format": "delta"}, "seeds": {"+file_format": "delta"},
         "snapshots": {"+file_format": "delta"}}


class _UnityNames:
    def privilege_grantee_name_overrides(self):
        return {"select": "select", "insert": "modify", "fake_privilege": "fake_privilege",
                "invalid_user": "invalid_user"}

    @pytest.fixture(scope="class")
    def project_config_update(self):
        return DELTA


class TestModelGrants(_UnityNames, BaseModelGrants):
    pass


class TestIncrementalGrants(_UnityNames, BaseIncrementalGrants):
    pass


class TestSeedGrants(_UnityNames, BaseSeedGrants):
    def seeds_support_partial_refresh(self):
        return False


class TestSnapshotGrants(_UnityNames, BaseSnapshotGrants):
    pass


class TestInvalidGrants(_UnityNames, BaseInvalidGrants):
    def grantee_does_not_exist_error(self):
        return "[PRINCIPAL_DOES_NOT_EXIST] invalid_user"

    def privilege_does_not_exist_error(self):
        return "[INVALID_PRIVILEGE] FAKE_PRIVILEGE cannot be granted on a table"
