"""dbt-spark (method: thrift) runs a small project green against `lakelens serve`: a seed, a
Delta table, a view, an incremental model with the merge strategy, generic and singular tests.

dbt pins thrift<0.23, so it lives in its own virtualenv (`make` builds .venv-dbt)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import hive_connect

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(os.environ.get("LAKELENS_DBT_VENV", ROOT / ".venv-dbt")) / "bin" / "dbt"
PROJECT = Path(__file__).parent / "dbt_project"


@pytest.mark.slow
def test_dbt_project_builds_twice(server, tmp_path):
    assert DBT.exists(), f"{DBT} is missing: `make setup` creates the dbt virtualenv"
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (tmp_path / "profiles.yml").write_text(f"""
lakelens:
  target: dev
  outputs:
    dev:
      type: spark
      method: thrift
      host: {server.host}
      port: {server.port}
      schema: dbt_smoke
      user: dbt
      threads: 2
      connect_retries: 0
""")
    cmd = [str(DBT), "build", "--profiles-dir", str(tmp_path), "--target-path", str(tmp_path / "target"),
           "--log-path", str(tmp_path / "logs"), "--no-use-colors"]
    # The second run takes the incremental model's merge path.
    for run in (1, 2):
        done = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false"))
        assert done.returncode == 0, f"dbt build #{run} failed:\n{done.stdout[-4000:]}"
        assert "PASS=10 WARN=0 ERROR=0 SKIP=0" in done.stdout, done.stdout[-2000:]
    assert "merge into dbt_smoke.orders_incremental" in server.log_text()

    conn = hive_connect(server)
    cur = conn.cursor()
    cur.execute("SELECT customer, orders, total FROM dbt_smoke.customer_totals ORDER BY customer")
    assert cur.fetchall() == [("ada", 2, 15.5), ("bob", 1, 7.25), ("cy", 1, 40.0)]
    cur.execute("SELECT count(*), count(DISTINCT order_id) FROM dbt_smoke.orders_incremental")
    assert cur.fetchall() == [(4, 4)]
    cur.execute("SHOW TABLE EXTENDED IN dbt_smoke LIKE 'orders'")
    info = cur.fetchall()[0][3]
    assert "Provider: delta" in info and "Type: MANAGED" in info
    conn.close()
