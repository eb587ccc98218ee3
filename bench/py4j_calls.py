"""py4j round trips per statement: how many commands the Python side sends the JVM.

Each py4j command is a socket round trip to the JVM (~0.1–0.3 ms here), so the count is a
floor under a small statement's latency that no JVM tuning removes. Counted for `SELECT 1`
and for a one-row query over a Delta table, through the embedded API (`Session.sql`) and
through an in-process gateway driven by PyHive (ExecuteStatement + FetchResults), after
warm-up, averaged over 20 statements.

    python bench/py4j_calls.py

Runs against whichever lakelens the interpreter imports (an older build's layout too), so
two builds can be compared side by side.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import report  # noqa: E402

import lakelens  # noqa: E402

N = 20
_count = threading.local()
_totals = {"n": 0}


def _counting(send):
    def send_command(self, command, *args, **kwargs):
        _totals["n"] += 1
        return send(self, command, *args, **kwargs)
    return send_command


def install_counter() -> None:
    from py4j import clientserver, java_gateway

    clientserver.ClientServerConnection.send_command = _counting(clientserver.ClientServerConnection.send_command)
    java_gateway.GatewayConnection.send_command = _counting(java_gateway.GatewayConnection.send_command)


def per_statement(run) -> float:
    for _ in range(5):
        run()
    before = _totals["n"]
    for _ in range(N):
        run()
    return (_totals["n"] - before) / N


def gateway_modules():
    try:
        from lakelens.engine.config import Config
        from lakelens.engine.gateway import GatewayServer
    except ImportError:  # the layout before lakelens.engine existed
        from lakelens.config import Config
        from lakelens.gateway import GatewayServer
    return Config, GatewayServer


def main() -> None:
    install_counter()
    with tempfile.TemporaryDirectory() as home:
        s = lakelens.connect(home=home)
        s.catalog.create_user("bench", "bench-password", admin=True)
        s.sql("CREATE TABLE main.default.t AS SELECT 1 AS id, 'a' AS name")
        rows = [
            {"path": "embedded Session.sql", "statement": "SELECT 1", "py4j_calls": per_statement(lambda: s.sql("SELECT 1"))},
            {"path": "embedded Session.sql", "statement": "SELECT * FROM delta table",
             "py4j_calls": per_statement(lambda: s.sql("SELECT * FROM main.default.t"))},
        ]
        Config, GatewayServer = gateway_modules()
        server = GatewayServer(Config.load(home), host="127.0.0.1", port=0, http_port=None, warm_spark=True).start()
        from pyhive import hive

        cur = hive.connect("127.0.0.1", server.port, username="bench", auth="NONE").cursor()

        def remote(sql):
            cur.execute(sql)
            cur.fetchall()

        rows += [
            {"path": "gateway, PyHive", "statement": "SELECT 1", "py4j_calls": per_statement(lambda: remote("SELECT 1"))},
            {"path": "gateway, PyHive", "statement": "SELECT * FROM delta table",
             "py4j_calls": per_statement(lambda: remote("SELECT * FROM main.default.t"))},
        ]
        server.shutdown()
        report("py4j_calls", rows)


if __name__ == "__main__":
    main()
