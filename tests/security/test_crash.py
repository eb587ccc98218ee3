"""A server killed (-9) in the middle of a CREATE TABLE AS SELECT: after a restart the name is
usable again and no file of the unfinished table is left."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time

from tests.clients.conftest import _start_serve, govern, hive_connect


def _creating_rows(home) -> list:
    with sqlite3.connect(home / "metastore.db") as db:
        return db.execute("SELECT name, location FROM objects WHERE status = 'CREATING'").fetchall()


def _wait_for(predicate, what: str, proc, hang_guard_s: float = 600):
    """Until `predicate()` is truthy; fails at once if the server exits (the guard only keeps a
    broken run from hanging the suite)."""
    guard = time.monotonic() + hang_guard_s
    while time.monotonic() < guard:
        value = predicate()
        if value:
            return value
        assert proc.poll() is None, f"the server exited while waiting for {what}"
        time.sleep(0.2)
    raise AssertionError(f"never saw {what}")


def test_kill_during_ctas_then_restart(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    govern(home)
    gw = _start_serve(home)
    conn = hive_connect(gw)
    cur = conn.cursor()
    cur.execute("CREATE SCHEMA main.crash")
    cur.execute("CREATE TABLE main.crash.kept AS SELECT 1 AS id")

    def slow_ctas():  # minutes of work on two cores: the kill comes first
        try:
            c = hive_connect(gw).cursor()
            c.execute("CREATE TABLE main.crash.big AS SELECT id, sha2(CAST(id AS STRING), 512) AS h "
                      "FROM range(0, 20000000000, 1, 4)")
        except Exception:
            pass  # the connection dies with the server

    threading.Thread(target=slow_ctas, daemon=True).start()
    # The reservation is made and Spark has started writing its files.
    (name, location), = _wait_for(lambda: _creating_rows(home), "a CREATING reservation", gw.process)
    assert name == "big"
    from pathlib import Path

    _wait_for(lambda: Path(location).exists(), "the table's directory", gw.process)
    gw.process.send_signal(signal.SIGKILL)
    gw.process.wait(60)

    restarted = _start_serve(home, log_name="serve2.log")
    try:
        assert "rolled back the unfinished creation of big" in restarted.log_text()
        assert _creating_rows(home) == []
        assert not Path(location).exists()
        cur = hive_connect(restarted).cursor()
        cur.execute("SHOW TABLES IN main.crash")
        assert [r[0] for r in cur.fetchall()] == ["kept"]
        cur.execute("CREATE TABLE main.crash.big AS SELECT 2 AS id")
        cur.execute("SELECT * FROM main.crash.big")
        assert cur.fetchall() == [(2,)]
        cur.execute("SELECT * FROM main.crash.kept")
        assert cur.fetchall() == [(1,)]
        # Every managed directory belongs to a table.
        tables = {p.name for p in (home / "warehouse" / "tables").iterdir()}
        with sqlite3.connect(home / "metastore.db") as db:
            keys = {k for (k,) in db.execute("SELECT storage_key FROM objects WHERE kind = 'TABLE'")}
        assert tables == keys
    finally:
        restarted.process.send_signal(signal.SIGTERM)
        try:
            restarted.process.wait(60)
        except subprocess.TimeoutExpired:
            restarted.process.kill()
