"""A volume's files on object storage through the catalog alone (no Spark), against two S3
implementations: Versity Gateway (a Go server, tests/conftest.py `s3`) and moto's server
(Python), since S3 servers differ in directory markers, ETags, multipart and listing."""

from __future__ import annotations

import os

import pytest

from lakelens.catalog import AlreadyExists, Catalog, InvalidArgument, LakelensError, NotFound
from lakelens.catalog.storage import Storage


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["versitygw", "moto"])
def store(request, tmp_path):
    """(catalog on a local warehouse, bucket URL) with s3a settings for the chosen server."""
    if request.param == "versitygw":
        s3 = request.getfixturevalue("s3")
        settings = s3.s3a_conf(prefix="")
        bucket = "lake"
    else:
        endpoint = request.getfixturevalue("moto_server")
        settings = {"fs.s3a.endpoint": endpoint, "fs.s3a.access.key": "testing", "fs.s3a.secret.key": "testing",
                    "fs.s3a.path.style.access": "true"}
        from pyarrow import fs

        fs.S3FileSystem(access_key="testing", secret_key="testing", endpoint_override=endpoint.split("//")[1],
                        scheme="http", region="us-east-1", allow_bucket_creation=True).create_dir("motolake")
        bucket = "motolake"
    catalog = Catalog(f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "wh", storage=Storage(settings))
    return catalog, f"s3://{bucket}/{tmp_path.name}"


def test_files_round_trip(store, tmp_path):
    catalog, base = store
    catalog.create_volume("main", "default", "v", location=f"{base}/v")
    files, _ = catalog.open_volume("/Volumes/main/default/v")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(70_000))
    assert files.put(f"{src}/", "") == ["/Volumes/main/default/v/a.txt", "/Volumes/main/default/v/sub/b.bin"]
    assert [(e.name, e.size) for e in files.list("")] == [("a.txt", 5), ("sub/", 0)]
    with pytest.raises(AlreadyExists):
        files.put(src / "a.txt", "a.txt")
    files.mkdir("empty/deeper")
    assert files.is_dir("empty/deeper") and files.stat("empty/deeper").is_dir
    with pytest.raises(InvalidArgument, match="not empty"):
        files.rmdir("empty")
    files.rmdir("empty/deeper")
    out = tmp_path / "out"
    files.get("sub", out)
    assert (out / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    f, st = files.open_read("sub/b.bin")
    with f:
        f.seek(100)
        assert f.read(10) == (src / "sub" / "b.bin").read_bytes()[100:110] and st.size == 70_000
    with pytest.raises(InvalidArgument, match="RECURSIVE"):
        files.remove("sub")
    assert files.remove("sub", recursive=True) == 1
    assert files.stat("sub/b.bin") is None
    with pytest.raises(NotFound):
        files.delete_file("sub/b.bin")
    for bad in ("../x", "a/../../x", ".lakelens-versions/x"):
        with pytest.raises(LakelensError):
            files.physical(bad)


def test_versions_restore_and_purge(store, tmp_path):
    catalog, base = store
    info = catalog.create_volume("main", "default", "v", location=f"{base}/versions")
    files, _ = catalog.open_volume("/Volumes/main/default/v")
    with files.open_write("doc.txt") as w:
        w.write(b"one")
    with files.open_write("doc.txt", overwrite=True) as w:
        w.write(b"two!")
    files.delete_file("doc.txt")
    versions = catalog.list_versions(files, "doc.txt")
    assert [(v["version"], v["size"], v["status"]) for v in versions] == [(1, 3, "OVERWRITTEN"), (2, 4, "REMOVED")]
    assert catalog.restore_file(files, "doc.txt") == [("/Volumes/main/default/v/doc.txt", 2)]
    f, _ = catalog.storage.open_input(catalog.version_path(files, "doc.txt", 1))
    with f:
        assert f.read() == b"one"
    with pytest.raises(RuntimeError):
        with files.open_write("doc.txt", overwrite=True) as w:
            w.write(b"partial")
            raise RuntimeError("client went away")
    f, _ = files.open_read("doc.txt")
    with f:
        assert f.read() == b"two!"
    assert catalog.purge_versions(info) == 2  # the restore replaced nothing: the file was gone
    fs_, key = catalog.storage.filesystem(f"{base}/versions/.lakelens-versions")
    from pyarrow import fs

    assert fs_.get_file_info(fs.FileSelector(key, allow_not_found=True, recursive=True)) == [] or all(
        i.type == fs.FileType.Directory for i in fs_.get_file_info(fs.FileSelector(key, allow_not_found=True,
                                                                                   recursive=True)))
    catalog.drop_object(info, purge=True)  # an external volume: its objects stay
    f, _ = catalog.storage.open_input(f"{base}/versions/doc.txt")
    with f:
        assert f.read() == b"two!"
