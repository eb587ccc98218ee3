"""dbt's standard adapter test suite passes against `lakelens serve`.

tests/dbt_adapter holds the suite's classes as lakelens configures them (dbt-spark's Thrift
profile; Delta where dbt-spark needs it); they run in the dbt virtualenv's pytest against this
run's gateway, and every one of them must pass: a skipped or missing class fails too."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT_PYTHON = Path(os.environ.get("LAKELENS_DBT_VENV", ROOT / ".venv-dbt")) / "bin" / "python"
SUITE = ROOT / "tests" / "dbt_adapter"


@pytest.mark.slow
def test_dbt_adapter_suite_passes(server, tmp_path):
    assert DBT_PYTHON.exists(), f"{DBT_PYTHON} is missing: `make setup` creates the dbt virtualenv"
    report = tmp_path / "dbt-adapter.xml"
    env = dict(os.environ, LAKELENS_DBT_HOST=server.host, LAKELENS_DBT_PORT=str(server.port),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_TEST_USER_1="dbt_test_user_1",
               DBT_TEST_USER_2="dbt_test_user_2", DBT_TEST_USER_3="dbt_test_user_3")
    env.pop("PYTHONPATH", None)
    # Two workers (pytest-xdist), a class per worker: a dbt test spends much of its time in
    # dbt's own Python while the other waits on the gateway.
    done = subprocess.run([str(DBT_PYTHON), "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider",
                           "-n", "2", "--dist", "loadscope",
                           "--rootdir", str(SUITE), "--confcutdir", str(SUITE), f"--junitxml={report}"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=3000)
    suite = ET.parse(report).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    print(f"dbt adapter suite: {counts}")
    assert done.returncode == 0 and counts["failures"] == counts["errors"] == counts["skipped"] == 0, \
        f"{counts}\n{done.stdout[-6000:]}"
    assert counts["tests"] >= 60, f"only {counts['tests']} dbt adapter tests ran: {done.stdout[-2000:]}"
