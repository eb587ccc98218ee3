"""Tables and volumes on S3-compatible object storage: a real Versity Gateway server on
loopback (tests/conftest.py `s3`), reached by Spark through s3a and by lakelens' Python side
through pyarrow's S3FileSystem, configured once with Hadoop's s3a keys."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil

import pytest

import lakelens
from lakelens.catalog import AccessPolicy, InvalidArgument, LakelensError, NotFound, PermissionDenied, Principal

from ..conftest import rows, s3_toml


def _objects(s3, prefix: str) -> list[str]:
    """Keys stored on the server under `lake/<prefix>` (its posix backend keeps objects as files)."""
    root = s3.data_dir / "lake" / prefix
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _gets(s3, key_part: str, op: str = "GetObject") -> int:
    """`op` requests (GetObject, HeadObject, …) the server logged for keys containing `key_part`."""
    log = s3.access_log.read_text() if s3.access_log.exists() else ""
    return sum(1 for line in log.splitlines() if f" s3_{op} " in line and key_part in line)


def _wait_for(check, what: str, tries: int = 10_000):
    import time

    for _ in range(tries):  # a state, not a deadline: the access log is written as requests end
        if check():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def _no_java(e: BaseException) -> None:
    text = str(e)
    assert "at org.apache" not in text and "java." not in text and "Exception" not in text, text


@pytest.fixture
def s3vol(fresh, s3, files_dir):
    """An external volume at s3://lake/<catalog>/media holding a.png, sub/b.png, sub/c.txt."""
    (files_dir / "a.png").write_bytes(b"\x89PNG fake a")
    (files_dir / "sub").mkdir()
    (files_dir / "sub" / "b.png").write_bytes(b"\x89PNG fake bb")
    (files_dir / "sub" / "c.txt").write_text("hello")
    cat = fresh.current_catalog
    fresh.sql(f"CREATE EXTERNAL VOLUME media LOCATION 's3a://lake/{cat}/media/'")
    fresh.sql(f"PUT '{files_dir}/' INTO '/Volumes/{cat}/default/media/'")
    return fresh, f"/Volumes/{cat}/default/media", f"{cat}/media"


def test_volume_files_live_on_the_object_store(s3vol, s3, tmp_path):
    s, root, prefix = s3vol
    assert _objects(s3, prefix) == ["a.png", "sub/b.png", "sub/c.txt"]
    info = rows(s.sql("DESCRIBE VOLUME media"))[0]
    assert info[4] == f"s3://lake/{prefix}"  # stored canonically as s3://
    assert [(r[1], r[2]) for r in rows(s.sql(f"LIST '{root}'"))] == [("a.png", 11), ("sub/", 0)]
    assert [(r[1], r[2]) for r in rows(s.sql(f"LIST '{root}/sub'"))] == [("b.png", 12), ("c.txt", 5)]
    # Spark reads the same objects through s3a: paths are the volume's, never the bucket's.
    out = s.sql("SELECT path, name, size, content FROM media ORDER BY path")
    assert rows(out) == [(f"{root}/a.png", "a.png", 11, b"\x89PNG fake a"),
                         (f"{root}/sub/b.png", "b.png", 12, b"\x89PNG fake bb"),
                         (f"{root}/sub/c.txt", "c.txt", 5, b"hello")]
    pngs = s.sql(f"SELECT name FROM read_files('{root}', glob => '*.png', recursive => true) ORDER BY name")
    assert rows(pngs) == [("a.png",), ("b.png",)]
    assert rows(s.sql(f"SELECT value FROM read_files('{root}/sub', format => 'text', glob => '*.txt')")) == [("hello",)]
    s.sql(f"GET '{root}/sub/' TO '{tmp_path}/down'")
    assert (tmp_path / "down" / "b.png").read_bytes() == b"\x89PNG fake bb"
    s.sql(f"REMOVE '{root}/sub' RECURSIVE")
    kept = [k for k in _objects(s3, prefix) if k.startswith(".lakelens-versions/")]
    assert [k for k in _objects(s3, prefix) if k not in kept] == ["a.png"] and len(kept) == 2
    assert rows(s.sql("SELECT name FROM media")) == [("a.png",)]
    with pytest.raises(NotFound, match="PATH_NOT_FOUND"):
        s.sql(f"GET '{root}/sub/c.txt' TO '{tmp_path}/x'")


def test_metadata_scan_reads_no_object_bodies(s3vol, s3):
    """A query without `content` is answered from one listing: no GET and no per-object HEAD
    (Spark's binaryFile reader would HEAD every object)."""
    s, root, prefix = s3vol
    before, heads = _gets(s3, prefix), _gets(s3, prefix, "HeadObject")
    assert rows(s.sql("SELECT name, size FROM media ORDER BY name")) == [("a.png", 11), ("b.png", 12), ("c.txt", 5)]
    assert rows(s.sql("SELECT count(*) FROM media WHERE size > 0")) == [(3,)]
    assert rows(s.sql("SELECT path, modification_time IS NOT NULL FROM media WHERE name = 'c.txt'")) == [
        (f"{root}/sub/c.txt", True)]
    metadata_gets = _gets(s3, prefix) - before
    metadata_heads = _gets(s3, prefix, "HeadObject") - heads
    # The same scan with content does read the bodies: the log does see GETs.
    s.sql("SELECT name, length(content) FROM media")
    _wait_for(lambda: _gets(s3, prefix) - before >= 3, "three GetObject requests for the bodies")
    assert metadata_gets == 0 and metadata_heads == 0
    # A star may read content: it goes through binaryFile, and rows agree.
    assert rows(s.sql("SELECT * FROM media ORDER BY name"))[0][:3] == (f"{root}/a.png", "a.png", 11)


def test_listing_and_binaryfile_agree_on_what_is_a_row(s3vol, files_dir):
    """Spark hides `.x` and `_x` names but keeps `_metadata*` and partition-like `_k=v`; the
    listing that answers content-free queries must hide the same, and skip empty files."""
    s, root, _ = s3vol
    for rel in ("_metadata/m.bin", "_hidden/h.bin", "_k=1/p.bin", ".dot.bin", "empty.bin"):
        (files_dir / "extra").mkdir(exist_ok=True)
        (files_dir / "extra" / "f").write_bytes(b"" if rel == "empty.bin" else b"xy")
        s.sql(f"PUT '{files_dir}/extra/f' INTO '{root}/{rel}'")
    listed = sorted(r[0] for r in rows(s.sql("SELECT name FROM media")))
    scanned = sorted(r[0] for r in rows(s.sql("SELECT name, length(content) FROM media")))
    assert listed == scanned == ["a.png", "b.png", "c.txt", "m.bin", "p.bin"]


def test_glob_characters_never_reach_spark(s3vol):
    """Hadoop expands globs in the paths Spark is given: `{../..}` would walk out of a volume."""
    s, root, prefix = s3vol
    for statement in (f"SELECT * FROM read_files('{root}/{{../{{../*,q}},r}}')",
                      f"PUT '/tmp/x' INTO '{root}/a[1].png'",
                      "CREATE EXTERNAL VOLUME g LOCATION 's3://lake/ext/*'",
                      "CREATE EXTERNAL VOLUME g LOCATION 's3://lake/{../warehouse,q}'"):
        with pytest.raises(LakelensError, match="glob characters"):
            s.sql(statement)
    with pytest.raises(InvalidArgument, match="carries no credentials") as e:
        s.sql("CREATE EXTERNAL VOLUME g LOCATION 's3a://AKIAEXAMPLE:wJalrSECRET@lake/x'")
    assert "wJalrSECRET" not in str(e.value) and "AKIAEXAMPLE" not in str(e.value)
    files, _ = s.catalog.open_volume(root)
    with pytest.raises(LakelensError, match="a file has that name"):
        with files.open_write("a.png/inside.txt") as w:
            w.write(b"x")


def test_file_versions_are_kept_beside_the_volume(s3vol, s3, files_dir):
    s, root, prefix = s3vol
    (files_dir / "new.txt").write_text("second")
    s.sql(f"PUT '{files_dir}/new.txt' INTO '{root}/sub/c.txt' OVERWRITE")
    versions = rows(s.sql(f"LIST VERSIONS '{root}/sub/c.txt'"))
    assert [(v[1], v[2], v[4]) for v in versions] == [(1, 5, "OVERWRITTEN"), (2, 6, "CURRENT")]
    kept = [k for k in _objects(s3, prefix) if k.startswith(".lakelens-versions/")]
    assert len(kept) == 1 and kept[0].endswith(".txt")  # a server-side copy under the hidden prefix
    # Hidden from LIST, from the volume's rows and from read_files.
    assert [r[1] for r in rows(s.sql(f"LIST '{root}'"))] == ["a.png", "sub/"]
    assert rows(s.sql("SELECT count(*) FROM media")) == [(3,)]
    old = s.sql(f"SELECT name, content FROM read_files('{root}/sub/c.txt', version => 1)")
    assert rows(old) == [("c.txt", b"hello")]
    s.sql(f"REMOVE '{root}/a.png'")
    s.sql(f"RESTORE '{root}/a.png'")
    s.sql(f"RESTORE '{root}/sub/c.txt' TO VERSION 1")
    assert rows(s.sql("SELECT name, content FROM media ORDER BY name")) == [
        ("a.png", b"\x89PNG fake a"), ("b.png", b"\x89PNG fake bb"), ("c.txt", b"hello")]
    with pytest.raises(LakelensError, match="reserved"):
        s.sql(f"LIST '{root}/.lakelens-versions'")
    s.sql(f"PURGE '{root}/'")
    assert not [k for k in _objects(s3, prefix) if k.startswith(".lakelens-")]
    # A dropped volume comes back with its objects (UNDROP never copies).
    s.sql("DROP VOLUME media")
    s.sql("UNDROP VOLUME media")
    assert rows(s.sql("SELECT count(*) FROM media")) == [(3,)]


def test_warehouse_on_object_storage(s3, tmp_path, files_dir):
    """Managed Delta and Iceberg tables and volumes with `warehouse.path = s3://…`: nothing of
    the data lands in the home."""
    home = tmp_path / "s3-home"
    home.mkdir()
    (home / "lakelens.toml").write_text('[warehouse]\npath = "s3a://lake/wh-test"\n' + s3_toml(s3))
    s = lakelens.connect(home=home, user="tester")
    s.sql("CREATE VOLUME docs")
    for i in range(3):
        (files_dir / f"d{i}.txt").write_text(f"Ｈｅｌｌｏ  number {i}")
    s.sql(f"PUT '{files_dir}/' INTO '/Volumes/main/default/docs/'")
    s.sql("CREATE TABLE cleaned AS SELECT name, clean_text(cast(content AS STRING)) AS text FROM docs")
    assert rows(s.sql("SELECT name, text FROM cleaned ORDER BY name")) == [
        (f"d{i}.txt", f"Hello number {i}") for i in range(3)]
    s.sql("CREATE TABLE ice (id INT, name STRING) USING iceberg")
    s.sql("INSERT INTO ice SELECT 1, name FROM cleaned WHERE name = 'd1.txt'")
    s.sql("INSERT INTO ice VALUES (2, 'two')")
    assert rows(s.sql("SELECT id, name FROM ice ORDER BY id")) == [(1, "d1.txt"), (2, "two")]
    assert rows(s.sql("SELECT count(*) FROM cleaned VERSION AS OF 0")) == [(3,)]
    stored = _objects(s3, "wh-test")
    assert any(k.startswith("tables/") and k.endswith(".parquet") for k in stored)
    assert any(k.startswith("tables/") and "/_delta_log/" in k for k in stored)
    assert any(k.startswith("iceberg/tables/") and k.endswith(".metadata.json") for k in stored)
    assert sum(k.startswith("volumes/") for k in stored) == 3
    assert not (home / "warehouse").exists()
    location = rows(s.sql("DESCRIBE TABLE EXTENDED cleaned"))
    assert any(str(r[1]).startswith("s3://lake/wh-test/tables/") for r in location)
    s.sql("DROP TABLE cleaned PURGE")
    assert not any(k.startswith("tables/") for k in _objects(s3, "wh-test"))


def test_bad_locations_fail_at_create_naming_them(fresh, s3):
    cases = {
        "s3://no-such-bucket/v": "bucket 'no-such-bucket' does not exist",
        "s3://locked/v": "access was refused",
        "s3://nowhere/v": "cannot be reached",
    }
    for location, why in cases.items():
        with pytest.raises(LakelensError) as e:
            fresh.sql(f"CREATE EXTERNAL VOLUME v LOCATION '{location}'")
        assert location in str(e.value) and why in str(e.value), str(e.value)
        _no_java(e.value)
        assert "not-the-secret" not in str(e.value) and s3.secret_key not in str(e.value)
        with pytest.raises(LakelensError, match=re.escape(location)):
            fresh.sql(f"CREATE TABLE t (a INT) LOCATION '{location}'")
    assert rows(fresh.sql("SHOW VOLUMES")) == [] and rows(fresh.sql("SHOW TABLES")) == []
    cat = fresh.current_catalog
    with pytest.raises(InvalidArgument, match="whole bucket"):
        fresh.sql("CREATE EXTERNAL VOLUME v LOCATION 's3://lake'")
    with pytest.raises(InvalidArgument, match="'..'"):
        fresh.sql(f"CREATE EXTERNAL VOLUME v LOCATION 's3://lake/{cat}/../etc'")
    fresh.sql(f"CREATE EXTERNAL VOLUME one LOCATION 's3://lake/{cat}/one'")
    for overlapping in (f"s3://lake/{cat}/one/inner", f"s3a://lake/{cat}"):
        with pytest.raises(PermissionDenied, match="overlaps"):
            fresh.sql(f"CREATE EXTERNAL VOLUME two LOCATION '{overlapping}'")
    s3.create_bucket("objects") if not (s3.data_dir / "objects").exists() else None
    (s3.data_dir / "objects" / cat).mkdir(parents=True)
    (s3.data_dir / "objects" / cat / "file").write_bytes(b"x")
    with pytest.raises(InvalidArgument, match="an object, not a prefix"):
        fresh.sql(f"CREATE EXTERNAL VOLUME two LOCATION 's3://objects/{cat}/file'")


def test_remote_users_only_under_object_store_roots(fresh, s3):
    catalog = fresh.catalog
    policy = AccessPolicy(external_roots=("s3://lake/allowed",))
    remote = Principal("bob", auth="password", address="10.0.0.2:5000", remote=True)
    assert catalog.external_location("s3a://lake/allowed/bob/v", remote, policy) == "s3://lake/allowed/bob/v"
    for refused in ("s3://lake/elsewhere", "s3://lake/allowed-not", "/tmp/x"):
        with pytest.raises(PermissionDenied, match="not under an external location"):
            catalog.external_location(refused, remote, policy)


def test_storage_down_during_ctas_leaves_no_table(s3, s3_flaky, tmp_path):
    """The object store stops: the CTAS fails with a clear error, the catalog has no
    half-registered table; after a restart the same statement succeeds."""
    home = tmp_path / "flaky-home"
    home.mkdir()
    (home / "lakelens.toml").write_text('[warehouse]\npath = "s3://flaky/wh"\n' + s3_toml(s3))
    s = lakelens.connect(home=home, user="tester")
    s.sql("CREATE TABLE kept AS SELECT 1 AS id")
    s3_flaky.stop()
    try:
        with pytest.raises(LakelensError) as e:
            s.sql("CREATE TABLE lost AS SELECT id FROM range(1000)")
        _no_java(e.value)
        assert s.sql("SHOW TABLES").column("tableName").to_pylist() == ["kept"]
    finally:
        s3_flaky.start()
    s.sql("CREATE TABLE lost AS SELECT id FROM range(1000)")
    assert rows(s.sql("SELECT count(*) FROM lost")) == [(1000,)]
    assert rows(s.sql("SELECT * FROM kept")) == [(1,)]


def test_a_broken_upload_never_shows_a_partial_object(s3vol, s3, files_dir):
    s, root, prefix = s3vol
    files, rel = s.catalog.open_volume(f"{root}/big.bin")
    with pytest.raises(RuntimeError, match="sender went away"):
        with files.open_write(rel) as w:
            w.write(os.urandom(12 << 20))  # past pyarrow's multipart threshold
            raise RuntimeError("sender went away")
    assert files.stat(rel) is None
    assert not [k for k in _objects(s3, prefix) if "big.bin" in k or k.startswith(".lakelens-uploads/")]
    payload = os.urandom(12 << 20)
    with files.open_write(rel) as w:
        w.write(payload[: 7 << 20])
        w.write(payload[7 << 20:])
    assert (s3.data_dir / "lake" / prefix / "big.bin").read_bytes() == payload
    # A large PUT is staged under the hidden uploads prefix and copied into place.
    (files_dir / "large.bin").write_bytes(payload * 2)
    s.sql(f"PUT '{files_dir}/large.bin' INTO '{root}/large.bin'")
    assert (s3.data_dir / "lake" / prefix / "large.bin").read_bytes() == payload * 2
    assert not [k for k in _objects(s3, prefix) if k.startswith(".lakelens-uploads/")]


def test_files_api_on_object_storage(s3, tmp_path):
    """The Files API and `lakelens cp --server` on a gateway whose volume is on S3 (no Spark)."""
    from tests.clients.conftest import LAKELENS, govern, in_process_gateway

    home = tmp_path / "gw-home"
    home.mkdir()
    (home / "lakelens.toml").write_text(s3_toml(s3))
    govern(home, admins=("tester",))
    gw = in_process_gateway(home)
    try:
        gw.catalog.create_volume("main", "default", "shared", location="s3://lake/files-api/shared")
        vol = "/Volumes/main/default/shared"
        payload = os.urandom(3 * (1 << 20) + 5)

        def request(method, path, body=None, headers=None):
            conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=600)
            conn.request(method, path, body=body, headers={
                "Authorization": "Basic " + base64.b64encode(b"tester:x").decode(), **(headers or {})})
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            return resp, data

        resp, _ = request("PUT", f"/api/2.0/fs/files{vol}/in/data.bin", body=payload)
        assert resp.status == 204
        assert (s3.data_dir / "lake" / "files-api" / "shared" / "in" / "data.bin").read_bytes() == payload
        resp, data = request("GET", f"/api/2.0/fs/files{vol}/in/data.bin", headers={"Range": "bytes=10-19"})
        assert resp.status == 206 and data == payload[10:20]
        resp, data = request("GET", f"/api/2.0/fs/directories{vol}/in")
        listing = json.loads(data)["contents"]
        assert [(e["name"], e["file_size"]) for e in listing] == [("data.bin", len(payload))]
        resp, _ = request("PUT", f"/api/2.0/fs/files{vol}/in/data.bin?overwrite=true", body=b"v2")
        resp, data = request("GET", f"/api/2.0/fs/files{vol}/in/data.bin?version=1")
        assert resp.status == 200 and data == payload
        src = tmp_path / "tree"
        src.mkdir()
        (src / "a.txt").write_bytes(b"alpha")
        up = __import__("subprocess").run(
            [str(LAKELENS), "--home", str(tmp_path / "client"), "cp", "--server", f"http://127.0.0.1:{gw.http_port}",
             "-r", str(src), f"{vol}/cp/"], capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, up.stderr
        assert (s3.data_dir / "lake" / "files-api" / "shared" / "cp" / "tree" / "a.txt").read_bytes() == b"alpha"
        resp, _ = request("DELETE", f"/api/2.0/fs/files{vol}/cp/tree/a.txt")
        assert resp.status == 204
        assert not (s3.data_dir / "lake" / "files-api" / "shared" / "cp" / "tree" / "a.txt").exists()
    finally:
        gw.shutdown()
        shutil.rmtree(s3.data_dir / "lake" / "files-api", ignore_errors=True)
