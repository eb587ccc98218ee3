"""The catalog on its own: no Spark. Real SQLite files (and a real PostgreSQL server below)."""

from __future__ import annotations

import threading

import pytest

from lakelens.catalog import AlreadyExists, Catalog, Column, NotEmpty, NotFound


@pytest.fixture
def catalog(tmp_path):
    return Catalog(f"sqlite:///{tmp_path / 'meta.db'}", tmp_path / "wh")


def test_fresh_metastore_has_main_default(catalog):
    assert [c.name for c in catalog.list_catalogs()] == ["main"]
    assert [s.name for s in catalog.list_schemas("main")] == ["default"]


def test_names_are_case_insensitive_and_unique(catalog):
    catalog.create_catalog("Demo")
    assert catalog.get_catalog("DEMO").name == "demo"
    with pytest.raises(AlreadyExists, match="CATALOG_ALREADY_EXISTS"):
        catalog.create_catalog("demo")
    catalog.create_catalog("demo", if_not_exists=True)


def test_not_found_suggests_close_match(catalog):
    catalog.create_catalog("demo")
    catalog.create_schema("demo", "media")
    catalog.create_volume("demo", "media", "scans")
    with pytest.raises(NotFound) as e:
        catalog.get_object("demo", "media", "scan")
    assert str(e.value) == "[TABLE_OR_VIEW_NOT_FOUND] demo.media.scan — did you mean demo.media.scans?"
    with pytest.raises(NotFound, match=r"\[SCHEMA_NOT_FOUND\] demo.medai — did you mean demo.media"):
        catalog.get_schema("demo", "medai")
    with pytest.raises(NotFound, match=r"\[CATALOG_NOT_FOUND\] dmeo — did you mean demo"):
        catalog.get_catalog("dmeo")


def test_drop_non_empty_schema_needs_cascade(catalog, tmp_path):
    catalog.create_schema("main", "s")
    vol = catalog.create_volume("main", "s", "v")
    with pytest.raises(NotEmpty, match="SCHEMA_NOT_EMPTY"):
        catalog.drop_schema("main", "s")
    assert catalog.get_schema("main", "s")
    catalog.drop_schema("main", "s", cascade=True)
    with pytest.raises(NotFound):
        catalog.get_schema("main", "s")
    # Its volume waits in the recycle bin with its files; purging it deletes them.
    (entry,) = catalog.dropped("main", "s")
    assert entry["info"].name == "v" and (tmp_path / "wh" / "volumes" / vol.storage_key).exists()
    catalog.purge_dropped([entry["drop_id"]])
    assert not (tmp_path / "wh" / "volumes" / vol.storage_key).exists()


def test_reserved_table_is_invisible_until_committed_and_abort_removes_files(catalog, tmp_path):
    info = catalog.reserve_table("main", "default", "t", fmt="delta", location=None, storage_key="k1")
    with pytest.raises(NotFound):
        catalog.get_object("main", "default", "t")
    assert catalog.list_objects("main", "default") == []
    # the name is taken while the write runs
    with pytest.raises(AlreadyExists):
        catalog.reserve_table("main", "default", "t", fmt="delta", location=None, storage_key="k2")
    (tmp_path / "wh" / "tables" / "k1").mkdir(parents=True)
    (tmp_path / "wh" / "tables" / "k1" / "part-0.parquet").write_bytes(b"x")
    catalog.abort_table(info)
    assert not (tmp_path / "wh" / "tables" / "k1").exists()
    info = catalog.reserve_table("main", "default", "t", fmt="delta", location=None, storage_key="k3")
    catalog.commit_table(info.id, [Column("id", "int")])
    assert catalog.get_object("main", "default", "t").columns == (Column("id", "int"),)


def test_two_processes_creating_the_same_name_one_wins(tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    catalogs = [Catalog(url, tmp_path / "wh") for _ in range(4)]
    outcomes = []
    barrier = threading.Barrier(len(catalogs))

    def create(c):
        barrier.wait()
        try:
            c.reserve_table("main", "default", "same", fmt="delta", location=None, storage_key=c.new_storage_key())
            outcomes.append("won")
        except AlreadyExists as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=create, args=(c,)) for c in catalogs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1
    assert all("TABLE_OR_VIEW_ALREADY_EXISTS" in o for o in outcomes if o != "won")


def test_rename_keeps_storage_and_lineage_is_recorded(catalog):
    info = catalog.reserve_table("main", "default", "a", fmt="delta", location=None, storage_key="k")
    catalog.commit_table(info.id, [])
    info = catalog.get_object("main", "default", "a")
    renamed = catalog.update_object(info, rename_to="b")
    assert renamed.location == info.location and renamed.name == "b"
    catalog.record_lineage(["main.default.src"], "main.default.b", "INSERT", "u",
                           columns=[("main.default.src", "x", "y", None)])
    assert catalog.lineage_of("main.default.b") == {"upstream": ["main.default.src"], "downstream": []}
    # Lineage is kept by name: it follows a rename, and goes with a drop, so that a later
    # object of the same name neither inherits nor shows another's history.
    moved = catalog.update_object(catalog.get_object("main", "default", "b"), rename_to="c")
    assert catalog.lineage_of("main.default.c") == {"upstream": ["main.default.src"], "downstream": []}
    assert [r["target_table_full_name"] for r in catalog.column_lineage_rows()] == ["main.default.c"]
    catalog.drop_object(moved)
    assert catalog.lineage_rows() == [] and catalog.column_lineage_rows() == []


def test_postgresql_metastore(postgres_url, tmp_path):
    c = Catalog(postgres_url, tmp_path / "wh")
    c.create_catalog("pg_demo", if_not_exists=True)
    c.create_schema("pg_demo", "media", if_not_exists=True)
    c.create_volume("pg_demo", "media", "scans", if_not_exists=True)
    other = Catalog(postgres_url, tmp_path / "wh")  # a second process's view
    assert [o.name for o in other.list_objects("pg_demo", "media")] == ["scans"]
    with pytest.raises(AlreadyExists):
        other.create_volume("pg_demo", "media", "scans")
    c.record_lineage([("pg_demo.media.scans", "VOLUME", "/Volumes/pg_demo/media/scans")], "pg_demo.media.t",
                     "CREATE TABLE AS SELECT", "u", columns=[("pg_demo.media.scans", "content", "text", "ocr")])
    assert ("pg_demo.media.scans", "VOLUME", "pg_demo.media.t") in {
        (r["source_table_full_name"], r["source_type"], r["target_table_full_name"]) for r in other.lineage_rows()}
    assert ("content", "text", "ocr") in {
        (r["source_column_name"], r["target_column_name"], r["function_name"]) for r in other.column_lineage_rows()}
    c.drop_catalog("pg_demo", cascade=True)
    assert "pg_demo" not in [x.name for x in other.list_catalogs()]
