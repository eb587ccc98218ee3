"""The catalog's own safety rules, without Spark: reconciliation after a killed process, and
where external storage may live."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from lakelens.catalog import AccessPolicy, Catalog, Column, NotFound, PermissionDenied, Principal


@pytest.fixture
def catalog(tmp_path):
    return Catalog(f"sqlite:///{tmp_path / 'meta.db'}", tmp_path / "wh", protected=[("the lakelens home", tmp_path)])


def _reserve_in_another_process(tmp_path, name: str) -> str:
    """A process that reserves `name`, writes a data file, and is killed before committing."""
    script = textwrap.dedent(f"""
        import os, sys
        from lakelens.catalog import Catalog
        c = Catalog({f"sqlite:///{tmp_path / 'meta.db'}"!r}, {str(tmp_path / "wh")!r})
        info = c.reserve_table("main", "default", {name!r}, fmt="delta", location=None,
                               storage_key=c.new_storage_key())
        os.makedirs(info.location)
        open(os.path.join(info.location, "part-0.parquet"), "wb").write(b"data")
        print(info.location, flush=True)
        sys.stdin.read()  # until killed
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    location = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return location


def test_a_killed_creation_is_rolled_back(catalog, tmp_path):
    location = _reserve_in_another_process(tmp_path, "t")
    assert os.path.exists(location)
    with pytest.raises(Exception, match="already exists"):  # the name is still taken
        catalog.reserve_table("main", "default", "t", fmt="delta", location=None, storage_key="x")
    done = catalog.reconcile()
    assert done == [f"rolled back the unfinished creation of t ({location})"]
    assert not os.path.exists(location)
    info = catalog.reserve_table("main", "default", "t", fmt="delta", location=None, storage_key="k2")
    catalog.commit_table(info.id, [Column("id", "int")])
    assert catalog.get_object("main", "default", "t").storage_key == "k2"


def test_reconcile_keeps_live_work_and_removes_orphans(catalog, tmp_path):
    live = catalog.reserve_table("main", "default", "live", fmt="delta", location=None, storage_key="live")
    os.makedirs(live.location)
    done = catalog.reserve_table("main", "default", "done", fmt="parquet", location=None, storage_key="done")
    os.makedirs(done.location)
    catalog.commit_table(done.id, [])
    orphan = tmp_path / "wh" / "tables" / "deadbeef"
    orphan.mkdir()
    (orphan / "part-0.parquet").write_bytes(b"lost")
    # A replacement in flight (this process) keeps its new directory.
    staged = catalog.begin_replace(catalog.get_object("main", "default", "done"))
    os.makedirs(staged)
    assert catalog.reconcile() == [f"removed orphaned storage {orphan}"]
    assert os.path.exists(live.location) and os.path.exists(done.location) and os.path.exists(staged)
    catalog.cancel_replace(catalog.get_object("main", "default", "done"), staged)
    assert not os.path.exists(staged)


def test_replace_swaps_managed_storage_in_one_commit(catalog):
    info = catalog.reserve_table("main", "default", "p", fmt="parquet", location=None, storage_key="old")
    os.makedirs(info.location)
    catalog.commit_table(info.id, [Column("id", "int")])
    info = catalog.get_object("main", "default", "p")
    staged = catalog.begin_replace(info)
    with pytest.raises(Exception, match="in progress"):
        catalog.begin_replace(info)  # one replacement at a time
    os.makedirs(staged)
    catalog.finish_replace(info, staged, columns=[Column("id", "bigint")])
    now = catalog.get_object("main", "default", "p")
    assert now.location == staged and now.columns == (Column("id", "bigint"),)
    assert not os.path.exists(info.location)


def test_an_older_metastore_gains_the_new_column(tmp_path):
    Catalog(f"sqlite:///{tmp_path / 'meta.db'}", tmp_path / "wh")
    with sqlite3.connect(tmp_path / "meta.db") as db:
        db.execute("ALTER TABLE objects DROP COLUMN pending")
    c = Catalog(f"sqlite:///{tmp_path / 'meta.db'}", tmp_path / "wh")
    info = c.reserve_table("main", "default", "t", fmt="delta", location=None, storage_key="k")
    c.commit_table(info.id, [])
    assert c.get_object("main", "default", "t").name == "t"


LOCAL, REMOTE = Principal("me"), Principal("eve", "password", "10.1.2.3:5000", remote=True)


def test_external_locations(catalog, tmp_path):
    roots = tmp_path.parent / f"{tmp_path.name}-ext"
    roots.mkdir()
    policy = AccessPolicy(external_roots=(str(roots),))
    mine = tmp_path.parent / f"{tmp_path.name}-mine"
    # Local users may use their disk; remote ones only the allowed roots.
    assert catalog.external_location(str(mine), LOCAL, policy) == str(mine)
    with pytest.raises(PermissionDenied, match="not under an external location"):
        catalog.external_location(str(mine), REMOTE, policy)
    assert catalog.external_location(str(roots / "a"), REMOTE, policy) == str(roots / "a")
    # Nobody overlaps the warehouse, the home, or another object's storage.
    for bad, what in (("/", "the warehouse"), (str(tmp_path / "wh" / "x"), "the warehouse"),
                      (str(tmp_path / "other"), "the lakelens home")):
        with pytest.raises(PermissionDenied, match=what):
            catalog.external_location(bad, LOCAL, policy)
    catalog.create_volume("main", "default", "v", location=str(roots / "a"))
    with pytest.raises(PermissionDenied, match="main.default.v"):
        catalog.external_location(str(roots / "a" / "sub"), REMOTE, policy)
    with pytest.raises(PermissionDenied, match="main.default.v"):
        catalog.external_location(str(roots), LOCAL, policy)
    # A symlink cannot smuggle a location out of the roots.
    os.symlink(tmp_path.parent, roots / "escape")
    with pytest.raises(PermissionDenied):
        catalog.external_location(str(roots / "escape" / "elsewhere"), REMOTE, policy)
    with pytest.raises(NotFound):
        catalog.get_object("main", "default", "nothing")
