"""The recycle bin and volume file versions in the metastore (catalog/recycle.py), on SQLite
and on a real PostgreSQL server: what a drop keeps, what UNDROP puts back, what expires."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lakelens.catalog import AlreadyExists, Catalog, Column, InvalidArgument, NotFound


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    c = Catalog(url, tmp_path / "wh")
    name = f"k{uuid.uuid4().hex[:8]}"
    c.create_catalog(name, owner="root")
    c.create_schema(name, "s", owner="root")
    c.name = name
    return c


def _table(c: Catalog, name: str, owner: str = "root"):
    info = c.reserve_table(c.name, "s", name, fmt="delta", location=None, storage_key=c.new_storage_key(),
                           owner=owner)
    Path(info.location).mkdir(parents=True)
    (Path(info.location) / "part-0.parquet").write_bytes(b"data")
    c.commit_table(info.id, [Column("id", "int")])
    return c.get_object(c.name, "s", name)


def test_undrop_puts_back_the_row_its_grants_its_lineage_and_keeps_the_files(catalog):
    c = catalog
    ann = f"ann_{c.name}"
    c.create_user(ann)
    t = _table(c, "t")
    src = _table(c, "src")
    c.change_grants("TABLE", str(t.id), [ann], ["SELECT"], grantor="root", revoke=False,
                    catalog_id=t.catalog_id, schema_id=t.schema_id)
    c.record_lineage([src.full_name], t.full_name, "CREATE TABLE AS SELECT", "root",
                     columns=[(src.full_name, "id", "id", None)])
    assert c.drop_object(t, by="root") is True
    with pytest.raises(NotFound):
        c.get_object(c.name, "s", "t")
    assert Path(t.location, "part-0.parquet").exists()  # the data waits in place
    assert c.grant_rows("TABLE", str(t.id)) == [] and c.lineage_of(t.full_name) == {"upstream": [], "downstream": []}
    (entry,) = c.dropped(c.name, "s", name="t")
    assert entry["info"].columns == () and entry["info"].owner == "root" and entry["dropped_by"] == "root"
    assert entry["expires_at"] - entry["dropped_at"] == timedelta(days=7)

    back = c.undrop(entry["drop_id"])
    assert (back.name, back.location, [col.name for col in back.columns]) == ("t", t.location, ["id"])
    assert [(r["principal"], r["privilege"]) for r in c.grant_rows("TABLE", str(back.id))] == [(ann, "SELECT")]
    assert c.lineage_of(back.full_name)["upstream"] == [src.full_name]
    assert [r["source_column_name"] for r in c.column_lineage_rows() if r["target_table_full_name"] == back.full_name] == ["id"]
    assert c.dropped(c.name, "s") == []


def test_undrop_refuses_a_taken_name_and_with_id_chooses_among_several(catalog):
    c = catalog
    first = _table(c, "t")
    c.drop_object(first, by="root")
    second = _table(c, "t")
    with pytest.raises(AlreadyExists, match="rename or drop it before UNDROP TABLE"):
        c.undrop(c.dropped(c.name, "s", name="t")[0]["drop_id"])
    c.drop_object(second, by="root")
    entries = c.dropped(c.name, "s", name="t")
    assert [e["info"].location for e in entries] == [second.location, first.location]  # most recent first
    back = c.undrop(entries[1]["drop_id"])
    assert back.location == first.location
    with pytest.raises(NotFound):
        c.undrop(str(uuid.uuid4()))


def test_retention_zero_and_purge_delete_at_once_and_the_janitor_deletes_what_expired(catalog, tmp_path):
    c = catalog
    gone = _table(c, "gone")
    assert c.drop_object(gone, by="root", purge=True) is False
    assert not Path(gone.location).exists() and c.dropped(c.name, "s") == []

    kept = _table(c, "kept")
    c.drop_object(kept, by="root")
    assert not any(kept.location in line for line in c.reconcile())  # the sweep never takes binned storage
    assert Path(kept.location).exists()
    later = datetime.now(timezone.utc) + timedelta(days=8)
    assert any("purged dropped" in line for line in c.purge_expired(later))
    assert not Path(kept.location).exists() and c.dropped(c.name, "s") == []

    c.alter_schema(c.name, "s", properties={"retention_days": "0"})
    quick = _table(c, "quick")
    assert c.drop_object(quick, by="root") is False and not Path(quick.location).exists()
    c.alter_schema(c.name, "s", properties={"retention_days": "x"})
    with pytest.raises(InvalidArgument, match="retention_days must be a number"):
        c.drop_object(_table(c, "bad"), by="root")


def test_file_versions_are_kept_restored_and_stay_with_their_volume(catalog, tmp_path):
    c = catalog
    vol = c.create_volume(c.name, "s", "v", owner="root")
    files, _ = c.open_volume(f"{vol.volume_path}/a.txt", by="ann")
    src = tmp_path / "a.txt"
    for text in ("one", "two!", "three"):
        src.write_text(text)
        files.put(src, "a.txt", overwrite=True)
    files.remove("a.txt")
    versions = c.file_versions(vol, "a.txt")
    assert [(v["version"], v["size"], v["reason"], v["replaced_by"]) for v in versions] == [
        (1, 3, "OVERWRITTEN", "ann"), (2, 4, "OVERWRITTEN", "ann"), (3, 5, "REMOVED", "ann")]
    assert Path(c.version_path(files, "a.txt", 2)).read_text() == "two!"
    assert c.restore_file(files, "a.txt") == [(f"{vol.volume_path}/a.txt", 3)]
    assert (Path(vol.location) / "a.txt").read_text() == "three"
    assert c.restore_file(files, "a.txt", 1) == [(f"{vol.volume_path}/a.txt", 1)]
    assert (Path(vol.location) / "a.txt").read_text() == "one"
    with pytest.raises(NotFound, match=r"version 9 \(versions kept: 1, 2, 3, 4, 5\)"):
        c.version_path(files, "a.txt", 9)

    # A dropped volume takes its versions into the bin; a new object reusing its id sees none.
    c.drop_object(vol, by="root")
    other = c.create_volume(c.name, "s", "w", owner="root")
    assert c.file_versions(other) == []
    back = c.undrop(c.dropped(c.name, "s", name="v")[0]["drop_id"])
    assert len(c.file_versions(back, "a.txt")) == 4
    assert c.purge_versions(back, "a.txt") == 4 and c.file_versions(back) == []
    assert list(c.recycle_dir.iterdir()) == []


def test_a_directory_restores_what_was_removed_under_it_and_blobs_outside_the_bin_are_never_deleted(catalog, tmp_path):
    c = catalog
    vol = c.create_volume(c.name, "s", "v", owner="root")
    files, _ = c.open_volume(vol.volume_path, by="root")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "x.png").write_bytes(b"x")
    (d / "sub" / "y.png").write_bytes(b"yy")
    files.put(f"{d}/", "dir/")
    assert files.remove("dir", recursive=True) == 2
    restored = c.restore_file(files, "dir/")
    assert sorted(p for p, _ in restored) == [f"{vol.volume_path}/dir/sub/y.png", f"{vol.volume_path}/dir/x.png"]
    assert (Path(vol.location) / "dir" / "sub" / "y.png").read_bytes() == b"yy"
    with pytest.raises(NotFound, match="nothing removed under it"):
        c.restore_file(files, "dir/")

    outside = tmp_path / "precious"
    outside.write_text("keep me")
    c._remove_blobs([str(outside), os.path.join(str(c.recycle_dir), "..", "..", "..", "precious")])
    assert outside.exists()


def test_ids_are_never_reused_and_a_recreated_schema_does_not_inherit_the_bin(catalog, tmp_path):
    c = catalog
    first = _table(c, "first")
    c.drop_object(first, by="root", purge=True)
    assert _table(c, "second").id > first.id  # grants, bindings and versions key on ids
    c.drop_schema(c.name, "s", cascade=True, by="root")
    (entry,) = c.dropped(c.name, "s")
    assert entry["moved"] is True and entry["info"].id == 0  # its schema is gone: nobody's but its owner's
    new = c.create_schema(c.name, "s", owner="eve")
    (entry,) = c.dropped(c.name, "s")
    assert entry["moved"] is True and entry["info"].schema_id == new.id  # same name, not its parent
    from lakelens.sql.recycle import _manages  # who may list, restore or purge it

    assert not _manages(c.access("eve"), entry)  # the new schema's owner did not own what was dropped
    c.create_user("root", if_not_exists=True)
    c.change_grants("SCHEMA", str(new.id), ["root"], ["USE SCHEMA"], grantor="eve", revoke=False,
                    catalog_id=new.catalog_id)
    assert _manages(c.access("root"), entry)  # the table's own owner (no administrator) still does


def test_a_cascade_drop_that_keeps_nothing_forgets_file_versions(catalog, tmp_path):
    c = catalog
    c.alter_schema(c.name, "s", properties={"retention_days": "0"})
    vol = c.create_volume(c.name, "s", "v", owner="root")
    c.alter_schema(c.name, "s", properties={"retention_days": "1"})
    files, _ = c.open_volume(f"{vol.volume_path}/a.txt", by="root")
    src = tmp_path / "a.txt"
    for text in ("secret v1", "v2"):
        src.write_text(text)
        files.put(src, "a.txt", overwrite=True)
    assert len(c.file_versions(vol)) == 1
    c.alter_schema(c.name, "s", properties={"retention_days": "0"})
    c.drop_schema(c.name, "s", cascade=True, by="root")
    assert list(c.recycle_dir.iterdir()) == []
    for bad in ("nan", "inf", "1e9", "-1"):
        with pytest.raises(InvalidArgument, match="from 0 to 36500"):
            from lakelens.catalog.recycle import retention_of

            retention_of(7, {"retention_days": bad})
