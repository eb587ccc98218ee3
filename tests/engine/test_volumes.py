"""Volumes: files as rows through Spark, LIST/PUT/GET/REMOVE, path safety."""

from __future__ import annotations

import pytest

from lakelens.catalog import AlreadyExists, InvalidPath, LakelensError, NotFound

from ..conftest import rows


@pytest.fixture
def vol(fresh, files_dir):
    (files_dir / "a.png").write_bytes(b"\x89PNG fake a")
    (files_dir / "sub").mkdir()
    (files_dir / "sub" / "b.png").write_bytes(b"\x89PNG fake bb")
    (files_dir / "sub" / "c.txt").write_text("hello")
    fresh.sql("CREATE VOLUME media")
    cat = fresh.current_catalog
    fresh.sql(f"PUT '{files_dir}/' INTO '/Volumes/{cat}/default/media/'")
    return fresh, f"/Volumes/{cat}/default/media"


def test_volume_rows_have_volume_paths_and_sizes(vol):
    s, root = vol
    out = s.sql("SELECT path, name, size FROM media ORDER BY path")
    assert rows(out) == [(f"{root}/a.png", "a.png", 11), (f"{root}/sub/b.png", "b.png", 12),
                         (f"{root}/sub/c.txt", "c.txt", 5)]
    content = s.sql("SELECT content FROM media WHERE name = 'c.txt'").column("content").to_pylist()
    assert content == [b"hello"]
    assert s.sql("SELECT modification_time FROM media").schema.field(0).type.tz == "UTC"


def test_listing_only_never_reads_file_bytes(vol):
    s, _ = vol
    plan = rows(s.sql("EXPLAIN SELECT name, size FROM media"))[0][0]
    read_schema = plan.split("ReadSchema:")[1]
    assert "content" not in read_schema and "length" in read_schema


def test_read_files_glob_and_recursion(vol):
    s, root = vol
    top = s.sql(f"SELECT name FROM read_files('{root}')")
    assert rows(top) == [("a.png",)]
    pngs = s.sql(f"SELECT name FROM read_files('{root}', glob => '*.png', recursive => true) ORDER BY name")
    assert rows(pngs) == [("a.png",), ("b.png",)]
    text = s.sql(f"SELECT value FROM read_files('{root}/sub', format => 'text', glob => '*.txt')")
    assert rows(text) == [("hello",)]


def test_list_put_get_remove(vol, tmp_path):
    s, root = vol
    listing = rows(s.sql(f"LIST '{root}'"))
    assert [(r[1], r[2]) for r in listing] == [("a.png", 11), ("sub/", 0)]
    with pytest.raises(AlreadyExists, match="OVERWRITE"):
        s.sql(f"PUT '{tmp_path / 'local' / 'a.png'}' INTO '{root}/a.png'")
    s.sql(f"GET '{root}/sub/c.txt' TO '{tmp_path}/out.txt'")
    assert (tmp_path / "out.txt").read_text() == "hello"
    s.sql(f"REMOVE '{root}/a.png'")
    with pytest.raises(NotFound, match="PATH_NOT_FOUND"):
        s.sql(f"LIST '{root}/a.png'")


@pytest.mark.parametrize("path", ["/Volumes/{c}/default/media/../../x", "/Volumes/{c}/default/media/./a.png",
                                  "/Volumes/{c}/default/media/sub/../../../etc"])
def test_paths_cannot_escape_the_volume(vol, path):
    s, _ = vol
    with pytest.raises(InvalidPath):
        s.sql(f"LIST '{path.format(c=s.current_catalog)}'")


def test_external_volume_and_drop_keeps_external_files(fresh, tmp_path):
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "x.bin").write_bytes(b"123")
    fresh.sql(f"CREATE EXTERNAL VOLUME raw LOCATION '{ext}'")
    assert rows(fresh.sql("SELECT name, size FROM raw")) == [("x.bin", 3)]
    assert rows(fresh.sql("DESCRIBE VOLUME raw"))[0][5] == "EXTERNAL"
    fresh.sql("DROP VOLUME raw")
    assert (ext / "x.bin").exists()


def test_overwritten_and_removed_files_come_back(vol, tmp_path):
    s, root = vol
    new = tmp_path / "a.png"
    new.write_bytes(b"\x89PNG new a, longer")
    s.sql(f"PUT '{new}' INTO '{root}/a.png' OVERWRITE")
    s.sql(f"REMOVE '{root}/sub' RECURSIVE")
    # Kept versions are outside the volume: its rows are the live files only.
    assert rows(s.sql(f"SELECT name, size FROM {s.current_catalog}.default.media")) == [("a.png", 18)]
    versions = s.sql(f"LIST VERSIONS '{root}'").to_pylist()
    assert [(v["path"][len(root):], v["version"], v["status"]) for v in versions] == [
        ("/a.png", 1, "OVERWRITTEN"), ("/a.png", 2, "CURRENT"), ("/sub/b.png", 1, "REMOVED"),
        ("/sub/c.txt", 1, "REMOVED")]
    assert rows(s.sql(f"SELECT name, content FROM read_files('{root}/a.png', version => 1)")) == \
        [("a.png", b"\x89PNG fake a")]
    assert rows(s.sql(f"SELECT value FROM read_files('{root}/sub/c.txt', format => 'text', version => 1)")) == \
        [("hello",)]
    assert sorted(rows(s.sql(f"RESTORE '{root}/sub/'"))) == [(f"{root}/sub/b.png", 1), (f"{root}/sub/c.txt", 1)]
    assert rows(s.sql(f"RESTORE '{root}/a.png' TO VERSION 1")) == [(f"{root}/a.png", 1)]
    assert sorted(rows(s.sql(f"SELECT name, size FROM {s.current_catalog}.default.media"))) == \
        [("a.png", 11), ("b.png", 12), ("c.txt", 5)]
    with pytest.raises(NotFound, match=r"version 7 \(versions kept: 1, 2, 3\)"):
        s.sql(f"SELECT * FROM read_files('{root}/a.png', version => 7)")
    assert rows(s.sql(f"PURGE '{root}/a.png'")) == [(f"{root}/a.png", 2)]
    assert [v["status"] for v in s.sql(f"LIST VERSIONS '{root}/a.png'").to_pylist()] == ["CURRENT"]


def test_an_external_volume_comes_back_only_if_its_storage_is_still_free(fresh, tmp_path):
    ext = tmp_path / "raw"
    ext.mkdir()
    (ext / "x.bin").write_bytes(b"123")
    fresh.sql(f"CREATE EXTERNAL VOLUME raw LOCATION '{ext}'")
    fresh.sql("DROP VOLUME raw")
    assert (ext / "x.bin").exists()  # external files are never deleted
    fresh.sql(f"CREATE EXTERNAL VOLUME other LOCATION '{ext}'")  # the directory was free again
    with pytest.raises(LakelensError, match="overlaps the storage of"):
        fresh.sql("UNDROP VOLUME raw")
    fresh.sql("DROP VOLUME other PURGE")
    fresh.sql("UNDROP VOLUME raw")
    assert rows(fresh.sql("SELECT name, size FROM raw")) == [("x.bin", 3)]
