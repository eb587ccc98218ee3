"""The one statement path: `Session.submit` and its `Execution`, as every frontend uses them."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest

import lakelens
from lakelens.engine.execution import ExecutionError
from lakelens.engine.state import IllegalTransition, State, check_transition
from lakelens.errors import LakelensError

from ..conftest import rows

SLOW = "SELECT sum(hash(id)) FROM range(0, 40000000000, 1, 400)"


def test_an_illegal_transition_raises():
    check_transition(State.RUNNING, State.FINISHED)
    check_transition(State.FINISHED, State.ERROR)  # a later partition failed
    with pytest.raises(IllegalTransition, match="CANCELED to FINISHED"):
        check_transition(State.CANCELED, State.FINISHED)
    with pytest.raises(IllegalTransition):
        check_transition(State.CLOSED, State.RUNNING)


def test_submit_streams_the_last_statements_rows(fresh):
    ex = fresh.submit("CREATE TABLE t AS SELECT id FROM range(10); SELECT id * 2 AS twice FROM t ORDER BY id")
    assert ex.wait() == State.FINISHED
    assert ex.schema == pa.schema([("twice", pa.int64())])
    assert pa.Table.from_batches(list(ex.batches())).column("twice").to_pylist() == list(range(0, 20, 2))
    assert any(line.startswith("plan: CreateTable") for line in ex.log)
    ex.close()
    assert ex.state == State.CLOSED


def test_large_results_arrive_as_several_batches(fresh):
    batches = list(fresh.sql_batches("SELECT id FROM range(0, 300000, 1, 6)"))
    assert len(batches) > 1 and all(isinstance(b, pa.RecordBatch) for b in batches)
    assert sum(b.num_rows for b in batches) == 300000


def test_run_script_gives_each_statements_result(fresh):
    results = list(fresh.run_script("SELECT 1 AS a; SELECT 'x' AS b, 2 AS c"))
    assert [r.statement for r in results] == ["SELECT 1 AS a", "SELECT 'x' AS b, 2 AS c"]
    assert rows(results[1].table) == [("x", 2)]


def test_an_error_has_its_class_and_sqlstate_and_the_session_goes_on(fresh):
    ex = fresh.submit("SELECT nope FROM range(3)")
    assert ex.wait() == State.ERROR
    assert ex.error.error_class == "UNRESOLVED_COLUMN" and ex.error.sqlstate == "42703"
    assert str(ex.error).startswith("[UNRESOLVED_COLUMN] ")
    with pytest.raises(LakelensError, match="UNRESOLVED_COLUMN"):
        ex.to_table()
    assert rows(fresh.sql("SELECT 1")) == [(1,)]


def _running_with_tasks(ex) -> None:
    """Until the execution's Spark job has tasks running (however long a cold machine takes)."""
    while not any(stage.running for stage in ex.progress().stages):
        assert ex.state in (State.PENDING, State.RUNNING), ex.error
        time.sleep(0.1)


def test_cancel_stops_the_spark_job_and_progress_shows_it(fresh):
    ex = fresh.submit(SLOW)
    _running_with_tasks(ex)
    assert 0 <= ex.progress().fraction < 1
    ex.cancel()
    assert ex.wait() == State.CANCELED
    with pytest.raises(ExecutionError, match=r"\[OPERATION_NOT_ACTIVE\] statement is CANCELED"):
        ex.to_table()
    # Spark stops the job's tasks (uncancelled, 4·10^10 hashes keep both cores for an hour;
    # the guard only keeps a broken cancel from hanging the suite).
    guard = time.monotonic() + 300
    while any(stage.running for stage in ex.progress().stages):
        assert time.monotonic() < guard, "the cancelled statement's tasks kept running"
        time.sleep(0.1)
    assert rows(fresh.sql("SELECT 2")) == [(2,)]  # the session is free again


def test_timeout_ends_as_timedout(fresh):
    ex = fresh.submit(SLOW, timeout_s=1)
    assert ex.wait() == State.TIMEDOUT
    assert any("query timeout" in line for line in ex.log)


def test_settings_for_one_execution_only(fresh):
    ex = fresh.submit("SET spark.sql.shuffle.partitions", conf={"spark.sql.shuffle.partitions": "3"})
    assert rows(ex.to_table()) == [("spark.sql.shuffle.partitions", "3")]
    assert rows(fresh.sql("SET spark.sql.shuffle.partitions"))[0][1] != "3"


def test_progress_of_a_finished_execution_is_full(fresh):
    ex = fresh.submit("SELECT count(DISTINCT id % 100) FROM range(0, 100000, 1, 4)")
    ex.wait()
    progress = ex.progress()
    assert progress.fraction == 1.0 and progress.stages
    assert all(stage.status in ("SUCCEEDED", "SKIPPED") for stage in progress.stages)


def test_process_settings_that_arrive_later_are_applied_or_refused(lake, home):
    lake.sql("SELECT 1")  # Spark runs in this process
    per_session = lakelens.connect(home=home, conf={"spark.sql.shuffle.partitions": "7"})
    assert rows(per_session.sql("SET spark.sql.shuffle.partitions")) == [("spark.sql.shuffle.partitions", "7")]
    fixed = lakelens.connect(home=home, conf={"spark.driver.memory": "7g"})
    with pytest.raises(LakelensError, match=r"\[CONFIG_CONFLICT\] spark\.driver\.memory = '7g' cannot take effect"):
        fixed.sql("SELECT 1")
    assert rows(fixed.sql("SHOW CATALOGS LIKE 'main'")) == [("main",)]  # no Spark needed: still fine
