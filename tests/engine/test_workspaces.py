"""Workspaces in embedded sessions (catalog/workspaces.py): a session in a workspace sees only
what is bound to it, waits for a slot past max_concurrent_queries, and its GPU-class pools
respect max_gpus. The remote side (membership, refusals, audit) is in
tests/security/test_governance.py."""

from __future__ import annotations

import time
import uuid

import pytest

import lakelens
from lakelens.catalog import LakelensError, NotFound
from lakelens.engine.state import State

from ..conftest import rows
from .test_execution import SLOW, _running_with_tasks


@pytest.fixture
def space(fresh, home):
    """Workspace `ws_<uuid>` with the test's fresh catalog bound; (name, catalog)."""
    cat = fresh.current_catalog
    name = f"ws_{uuid.uuid4().hex[:8]}"
    fresh.sql(f"CREATE WORKSPACE {name}")
    fresh.sql(f"ALTER WORKSPACE {name} BIND CATALOG {cat}")
    fresh.sql("CREATE SCHEMA hidden")
    fresh.sql("CREATE TABLE hidden.secret AS SELECT 1 AS x")
    fresh.sql("CREATE TABLE default.shared AS SELECT 2 AS y")
    yield name, cat
    fresh.sql(f"DROP WORKSPACE {name}")


def test_a_session_in_a_workspace_sees_only_what_is_bound(fresh, home, space):
    name, cat = space
    fresh.sql(f"ALTER WORKSPACE {name} UNBIND CATALOG {cat}")
    fresh.sql(f"ALTER WORKSPACE {name} BIND SCHEMA {cat}.default")
    s = lakelens.connect(home=home, user="tester", conf={"session.workspace": name})
    assert (s.current_catalog, s.current_schema) == (cat, "default")  # starts inside what is bound
    assert [r[0] for r in rows(s.sql("SHOW CATALOGS"))] == [cat]
    assert [r[0] for r in rows(s.sql(f"SHOW SCHEMAS IN {cat}"))] == ["default"]
    assert rows(s.sql("SELECT y FROM shared")) == [(2,)]
    with pytest.raises(NotFound, match=rf"\[SCHEMA_NOT_FOUND\] {cat}.hidden$"):
        s.sql(f"SELECT * FROM {cat}.hidden.secret")
    with pytest.raises(NotFound, match=r"\[CATALOG_NOT_FOUND\] main$"):
        s.sql("SELECT * FROM main.default.anything")
    # Nothing unbound can be changed from inside either, by its administrator included.
    s.sql("DROP CATALOG IF EXISTS main CASCADE")  # nothing of that name here: nothing happens
    with pytest.raises(NotFound, match=rf"\[SCHEMA_NOT_FOUND\] {cat}.hidden$"):
        s.sql(f"DROP SCHEMA {cat}.hidden CASCADE")
    with pytest.raises(NotFound, match=r"\[CATALOG_NOT_FOUND\] main$"):
        s.sql("COMMENT ON CATALOG main IS 'mine now'")
    with pytest.raises(LakelensError, match=rf"\[SCHEMA_ALREADY_EXISTS\] schema {cat}.hidden already exists "
                                            r"\(the name is taken\)"):
        s.sql("CREATE SCHEMA IF NOT EXISTS hidden")  # never a way to bind what exists outside
    assert rows(fresh.sql("SELECT x FROM hidden.secret")) == [(1,)] and fresh.catalog.get_catalog("main")
    # A schema created in a catalog bound only in part is bound to the workspace with it.
    s.sql("CREATE SCHEMA made_here")
    assert sorted(r[0] for r in rows(s.sql(f"SHOW SCHEMAS IN {cat}"))) == ["default", "made_here"]
    shown = s.sql("SHOW WORKSPACES").to_pylist()
    assert [(w["workspace_name"], w["schemas"]) for w in shown if w["workspace_name"] == name] == [
        (name, [f"{cat}.default", f"{cat}.made_here"])]
    # Outside the workspace, the same user sees everything again.
    assert rows(fresh.sql("SELECT x FROM hidden.secret")) == [(1,)]
    with pytest.raises(LakelensError, match=r"\[PERMISSION_DENIED\] user tester may not use workspace nope"):
        lakelens.connect(home=home, user="tester", conf={"session.workspace": "nope"})


def test_max_concurrent_queries_makes_the_next_statement_wait(fresh, home, space):
    name, _ = space
    fresh.sql(f"ALTER WORKSPACE {name} SET (max_concurrent_queries = 1)")
    first, second = (lakelens.connect(home=home, user="tester", conf={"session.workspace": name}) for _ in range(2))
    slow = first.submit(SLOW)
    _running_with_tasks(slow)
    quick = second.submit("SELECT 1 AS one")
    while not any(line.startswith(f"waiting: workspace {name}") for line in quick.log):
        assert quick.state == State.PENDING, quick.error  # waits for the event, never runs meanwhile
        time.sleep(0.05)
    assert quick.state == State.PENDING
    slow.cancel()
    assert quick.wait() == State.FINISHED and rows(quick.to_table()) == [(1,)]
    with pytest.raises(LakelensError, match="max_concurrent_queries must be at least 1"):
        fresh.sql(f"ALTER WORKSPACE {name} SET (max_concurrent_queries = 0)")
    with pytest.raises(LakelensError, match="unknown workspace property 'max_cpus'"):
        fresh.sql(f"ALTER WORKSPACE {name} SET (max_cpus = 3)")


def test_max_gpus_bounds_the_workspaces_pools(fresh, home, space):
    name, _ = space
    gpu = {"udf.embed_text.placement": "ray", "udf.embed_text.num_gpus": "1", "udf.embed_text.max_actors": "4",
           "session.workspace": name}
    explain = "EXPLAIN SELECT embed_text('a cat') AS v"
    fresh.sql(f"ALTER WORKSPACE {name} SET (max_gpus = 2)")
    s = lakelens.connect(home=home, user="tester", conf=gpu)
    assert "placement=ray device=cuda batch_size=64 actors=0..2" in rows(s.sql(explain))[0][0]
    fresh.sql(f"ALTER WORKSPACE {name} SET (max_gpus = 0)")
    s.sql("SELECT 1")  # the next statement reads the workspace's limits again
    assert "placement=ray device=cpu" in rows(s.sql(explain))[0][0]
    fresh.sql(f"ALTER WORKSPACE {name} SET (max_gpus = '')")
    s.sql("SELECT 1")
    assert "device=cuda batch_size=64 actors=0..4" in rows(s.sql(explain))[0][0]
