"""dbt's standard adapter test suite (PyPI dbt-tests-adapter) against a running `lakelens serve`.

These modules run inside the dbt virtualenv (.venv-dbt: dbt-spark pins thrift<0.23), started
by tests/clients/test_dbt_adapter.py against the test run's gateway; the main suite does not
collect them (tests/conftest.py). The profile is dbt-spark's own for a Thrift server
(method thrift, user dbt); LAKELENS_DBT_HOST / LAKELENS_DBT_PORT say where the gateway is.

Run by hand against a server of your own:
    lakelens serve --port 10000 &
    LAKELENS_DBT_PORT=10000 .venv-dbt/bin/python -m pytest tests/dbt_adapter -p no:cacheprovider
"""

import os
from pathlib import Path

import pytest

pytest_plugins = ["dbt.tests.fixtures.project"]


@pytest.fixture(scope="session")
def dbt_profile_target():
    return {
        "type": "spark",
        "method": "thrift",
        "host": os.environ.get("LAKELENS_DBT_HOST", "127.0.0.1"),
        "port": int(os.environ.get("LAKELENS_DBT_PORT", "10000")),
        "user": "dbt",
        "connect_retries": 0,
        "connect_timeout": 60,
        "retry_all": False,
    }


@pytest.fixture(scope="class")
def logs_dir(tmp_path_factory, prefix):
    """dbt's log of each class in the run's temporary directory (dbt's own fixture writes it
    under the rootdir, which is this source folder)."""
    path = Path(tmp_path_factory.getbasetemp()) / "logs" / prefix
    os.environ["DBT_LOG_PATH"] = str(path)
    yield str(path)
    del os.environ["DBT_LOG_PATH"]
