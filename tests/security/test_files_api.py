"""The Files API on the gateway's HTTP port (engine/gateway/files.py), over real HTTP.

An in-process gateway with `--auth plain` (users made by the real CLI) answers; no Spark. The
clients are http.client, raw sockets (to stop mid-body), curl and `lakelens cp --server`.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.clients.conftest import LAKELENS, govern, in_process_gateway

USERS = {"alice": "s3cret!", "bob": "hunter2"}
VOL = "/Volumes/main/default/files"
SECRET_BYTES = b"TOP-SECRET-OUTSIDE-THE-VOLUME-4242"


def _auth(user="alice", password=None) -> dict:
    password = USERS.get(user, "") if password is None else password
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    home = tmp_path_factory.mktemp("files-home")
    for name, password in USERS.items():
        done = subprocess.run([str(LAKELENS), "--home", str(home), "user", "add", name, "--password-stdin"]
                             + (["--admin"] if name == "alice" else []),
                              input=password + "\n", capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    server = in_process_gateway(home, auth="plain")
    server.catalog.create_volume("main", "default", "files")
    # alice is an administrator; bob may use the volume `files` and nothing else.
    govern(home, "GRANT USE CATALOG ON CATALOG main TO bob", "GRANT USE SCHEMA ON SCHEMA main.default TO bob",
           "GRANT READ VOLUME, WRITE VOLUME ON VOLUME main.default.files TO bob", admins=())
    # An external volume with a symlink planted in it, pointing at a file outside.
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_bytes(SECRET_BYTES)
    ext = tmp_path_factory.mktemp("external-volume")
    (ext / "ok.txt").write_bytes(b"fine")
    (ext / "leak.txt").symlink_to(outside / "secret.txt")
    (ext / "leakdir").symlink_to(outside)
    server.catalog.create_volume("main", "default", "ext", location=str(ext))
    server.outside, server.home = outside, home
    yield server
    server.shutdown()


@pytest.fixture
def fresh(gw):
    """Another gateway on the same home, for tests that fail to sign in: failed sign-ins
    throttle the client's address (transport.LoginThrottle) on the gateway that saw them."""
    server = in_process_gateway(gw.home, auth="plain")
    server.outside = gw.outside
    yield server
    server.shutdown()


def request(gw, method, path, body=None, headers=None, user="alice", password=None, raw=False):
    conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=600)
    hdrs = {**(_auth(user, password) if user is not None else {}), **(headers or {})}
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, (data if raw or not data or resp.getheader("Content-Type") != "application/json"
                  else json.loads(data))


def files_url(path: str, **query) -> str:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return "/api/2.0/fs/files" + path + (f"?{q}" if q else "")


def dirs_url(path: str, **query) -> str:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return "/api/2.0/fs/directories" + path + (f"?{q}" if q else "")


def physical(gw, volume_path: str) -> Path:
    files, rel = gw.catalog.open_volume(volume_path)
    return files.physical(rel)


def test_upload_list_download_delete_round_trip(gw):
    payload = os.urandom(3 * (1 << 20) + 17)
    resp, _ = request(gw, "PUT", files_url(f"{VOL}/rt/deep/data.bin"), body=payload)
    assert resp.status == 204
    resp, listing = request(gw, "GET", dirs_url(f"{VOL}/rt/deep"))
    assert resp.status == 200
    [entry] = listing["contents"]
    assert entry["path"] == f"{VOL}/rt/deep/data.bin" and entry["name"] == "data.bin"
    assert entry["is_directory"] is False and entry["file_size"] == len(payload)
    assert abs(entry["last_modified"] / 1000 - time.time()) < 3600
    resp, listing = request(gw, "GET", dirs_url(f"{VOL}/rt"))
    assert listing["contents"][0]["is_directory"] is True and listing["contents"][0]["path"] == f"{VOL}/rt/deep"

    resp, data = request(gw, "GET", files_url(f"{VOL}/rt/deep/data.bin"), raw=True)
    assert resp.status == 200 and data == payload
    assert resp.getheader("Content-Type") == "application/octet-stream"
    assert int(resp.getheader("Content-Length")) == len(payload) and resp.getheader("Last-Modified")
    resp, data = request(gw, "HEAD", files_url(f"{VOL}/rt/deep/data.bin"), raw=True)
    assert resp.status == 200 and data == b"" and int(resp.getheader("Content-Length")) == len(payload)
    resp, data = request(gw, "GET", files_url(f"{VOL}/rt/deep/data.bin"), headers={"Range": "bytes=10-99"}, raw=True)
    assert resp.status == 206 and data == payload[10:100]
    assert resp.getheader("Content-Range") == f"bytes 10-99/{len(payload)}"
    resp, data = request(gw, "GET", files_url(f"{VOL}/rt/deep/data.bin"), headers={"Range": "bytes=-5"}, raw=True)
    assert resp.status == 206 and data == payload[-5:]
    resp, _ = request(gw, "GET", files_url(f"{VOL}/rt/deep/data.bin"), headers={"Range": f"bytes={len(payload)}-"})
    assert resp.status == 416

    resp, _ = request(gw, "DELETE", files_url(f"{VOL}/rt/deep/data.bin"))
    assert resp.status == 204
    resp, err = request(gw, "GET", files_url(f"{VOL}/rt/deep/data.bin"))
    assert resp.status == 404 and err["error_code"] == "NOT_FOUND"
    resp, err = request(gw, "DELETE", files_url(f"{VOL}/rt/deep/data.bin"))
    assert resp.status == 404


def test_names_are_percent_decoded_once(gw):
    resp, _ = request(gw, "PUT", files_url(f"{VOL}/names/a%20b%25252e%25252e%C3%A9.txt"), body=b"x")
    assert resp.status == 204
    assert (physical(gw, f"{VOL}/names") / "a b%252e%252eé.txt").read_bytes() == b"x"
    resp, listing = request(gw, "GET", dirs_url(f"{VOL}/names"))
    assert [e["name"] for e in listing["contents"]] == ["a b%252e%252eé.txt"]


def test_directories_create_page_and_remove(gw):
    resp, _ = request(gw, "PUT", dirs_url(f"{VOL}/tree/a/b"))
    assert resp.status == 204
    resp, _ = request(gw, "PUT", dirs_url(f"{VOL}/tree/a/b"))  # idempotent, like Databricks
    assert resp.status == 204
    resp, _ = request(gw, "HEAD", dirs_url(f"{VOL}/tree/a/b"))
    assert resp.status == 200
    resp, _ = request(gw, "HEAD", dirs_url(f"{VOL}/tree/nope"))
    assert resp.status == 404
    for i in range(5):
        assert request(gw, "PUT", files_url(f"{VOL}/tree/a/f{i}"), body=b"%d" % i)[0].status == 204
    names, token = [], None
    while True:
        resp, page = request(gw, "GET", dirs_url(f"{VOL}/tree/a", page_size=2,
                                                 **({"page_token": token} if token else {})))
        assert resp.status == 200 and len(page["contents"]) <= 2
        names += [e["name"] for e in page["contents"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert names == ["b", "f0", "f1", "f2", "f3", "f4"]
    resp, err = request(gw, "DELETE", dirs_url(f"{VOL}/tree/a"))
    assert resp.status == 409 and err["error_code"] == "DIRECTORY_NOT_EMPTY"
    resp, _ = request(gw, "DELETE", dirs_url(f"{VOL}/tree/a/b"))
    assert resp.status == 204 and not physical(gw, f"{VOL}/tree/a").joinpath("b").exists()
    resp, err = request(gw, "PUT", dirs_url(f"{VOL}/tree/a/f0"))
    assert resp.status == 409 and err["error_code"] == "ALREADY_EXISTS"
    resp, err = request(gw, "GET", dirs_url("/Volumes/main/default/novolume"))
    assert resp.status == 404 and err["error_code"] == "NOT_FOUND"


def test_overwrite_false_conflicts_and_true_replaces(gw):
    path = files_url(f"{VOL}/ow/x.txt")
    assert request(gw, "PUT", path, body=b"first")[0].status == 204
    resp, err = request(gw, "PUT", path, body=b"second")
    assert resp.status == 409 and err["error_code"] == "ALREADY_EXISTS"
    resp, err = request(gw, "PUT", files_url(f"{VOL}/ow/x.txt", overwrite="false"), body=b"second")
    assert resp.status == 409
    assert physical(gw, f"{VOL}/ow/x.txt").read_bytes() == b"first"
    assert request(gw, "PUT", files_url(f"{VOL}/ow/x.txt", overwrite="true"), body=b"second")[0].status == 204
    assert physical(gw, f"{VOL}/ow/x.txt").read_bytes() == b"second"
    resp, err = request(gw, "PUT", files_url(f"{VOL}/ow/x.txt", overwrite="maybe"), body=b"third")
    assert resp.status == 400 and err["error_code"] == "INVALID_PARAMETER_VALUE"
    resp, err = request(gw, "PUT", files_url(f"{VOL}/ow"), body=b"onto a directory")
    assert resp.status == 400
    assert sorted(p.name for p in physical(gw, f"{VOL}/ow").iterdir()) == ["x.txt"]  # no temporary left


def _raw(gw, head: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", gw.http_port))
    s.settimeout(600)  # a hang guard only: every read below waits for an answer that must come
    s.sendall(head)
    return s


def _read_response(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_wrong_password_is_401_before_the_body_is_read(fresh):
    gw = fresh
    target = f"{VOL}/auth/never.bin"
    resp, err = request(gw, "PUT", files_url(target), body=b"data", password="wrong")
    assert resp.status == 401 and err["error_code"] == "UNAUTHENTICATED"
    assert resp.getheader("WWW-Authenticate") == 'Basic realm="lakelens"'
    resp, _ = request(gw, "GET", files_url(target), user=None)
    assert resp.status == 401
    resp, _ = request(gw, "GET", dirs_url(VOL), user="mallory", password="s3cret!")
    assert resp.status == 401
    # Announce 100 MiB and send none of it: the 401 comes anyway, so the server never waited
    # for (or read) the body; then it closes the connection rather than parse the body as a request.
    bad = base64.b64encode(b"alice:wrong").decode()
    s = _raw(gw, (f"PUT {files_url(target)} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {bad}\r\n"
                  f"Content-Length: {100 << 20}\r\n\r\n").encode())
    answer = _read_response(s)
    assert answer.startswith(b"HTTP/1.1 401"), answer
    while s.recv(65536):
        pass  # the server closes
    s.close()
    assert not physical(gw, f"{VOL}/auth").exists()


TRAVERSALS = [
    "/Volumes/main/default/files/../../../etc/passwd",
    "/Volumes/main/default/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/Volumes/main/default/files/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/Volumes/main/default/files/..%2f..%2f..%2fetc%2fpasswd",
    "/Volumes/main/default/files/%5c..%5c..%5cetc%5cpasswd",
    "/Volumes/main/default/files/x%00.txt",
    "/Volumes/main/default/files//etc/passwd",
    "/Volumes/main/default/files/./x",
    "/etc/passwd",
    "/Volumes/main/default/../../etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(gw, path):
    passwd = Path("/etc/passwd").read_bytes()[:64] if Path("/etc/passwd").exists() else b"root:"
    for method, url in (("GET", files_url(path)), ("GET", dirs_url(path)), ("HEAD", files_url(path)),
                        ("PUT", files_url(path)), ("DELETE", files_url(path))):
        resp, body = request(gw, method, url, body=b"pwned" if method == "PUT" else None, raw=True)
        assert resp.status in (400, 403, 404), (method, path, resp.status)
        assert passwd not in body and b"root:" not in body
    assert b"pwned" not in Path("/etc/passwd").read_bytes()


def test_symlinks_out_of_an_external_volume_are_refused(gw):
    ext = "/Volumes/main/default/ext"
    resp, data = request(gw, "GET", files_url(f"{ext}/ok.txt"), raw=True)
    assert resp.status == 200 and data == b"fine"
    for url in (files_url(f"{ext}/leak.txt"), files_url(f"{ext}/leakdir/secret.txt"), dirs_url(f"{ext}/leakdir")):
        for method in ("GET", "HEAD"):
            resp, body = request(gw, method, url, raw=True)
            assert resp.status in (400, 403), (method, url, resp.status)
            assert SECRET_BYTES not in body
    resp, body = request(gw, "GET", files_url(f"{ext}/leak.txt"), headers={"Range": "bytes=0-5"}, raw=True)
    assert resp.status == 403 and SECRET_BYTES[:6] not in body
    resp, listing = request(gw, "GET", dirs_url(ext))
    assert [e["name"] for e in listing["contents"]] == ["ok.txt"]  # the links are not shown
    # Nothing is written (or deleted) through a link either.
    resp, _ = request(gw, "PUT", files_url(f"{ext}/leakdir/planted.txt"), body=b"planted")
    assert resp.status in (400, 403)
    resp, _ = request(gw, "PUT", files_url(f"{ext}/leak.txt", overwrite="true"), body=b"overwritten")
    assert resp.status in (400, 403)
    resp, _ = request(gw, "DELETE", files_url(f"{ext}/leakdir/secret.txt"))
    assert resp.status in (400, 403)
    assert sorted(p.name for p in gw.outside.iterdir()) == ["secret.txt"]
    assert (gw.outside / "secret.txt").read_bytes() == SECRET_BYTES


def test_curl_round_trip(gw, tmp_path):
    curl = shutil.which("curl")
    if not curl:
        pytest.skip("curl is not installed")
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(200_000))
    base = f"http://127.0.0.1:{gw.http_port}/api/2.0/fs"
    common = [curl, "-sS", "--path-as-is", "-u", "bob:hunter2"]

    def run(*args):
        return subprocess.run([*common, "-w", "%{http_code}", *args], capture_output=True, timeout=120)

    assert run("-T", str(src), f"{base}/files{VOL}/curl/src.bin").stdout.endswith(b"204")
    assert run("-T", str(src), f"{base}/files{VOL}/curl/src.bin").stdout.endswith(b"409")
    out = tmp_path / "back.bin"
    assert run("-o", str(out), f"{base}/files{VOL}/curl/src.bin").stdout == b"200"
    assert out.read_bytes() == src.read_bytes()
    listing = run(f"{base}/directories{VOL}/curl").stdout
    assert json.loads(listing[:-3])["contents"][0]["file_size"] == 200_000
    # Chunked upload from stdin, as `curl -T -` does.
    piped = subprocess.run([*common, "-w", "%{http_code}", "-T", "-", f"{base}/files{VOL}/curl/piped.bin"],
                           input=src.read_bytes(), capture_output=True, timeout=120)
    assert piped.stdout.endswith(b"204")
    assert physical(gw, f"{VOL}/curl/piped.bin").read_bytes() == src.read_bytes()
    assert run(f"{base}/files{VOL}/../../../etc/passwd").stdout.endswith(b"400")
    assert run("-X", "DELETE", f"{base}/files{VOL}/curl/src.bin").stdout == b"204"


def test_curl_wrong_password(fresh):
    curl = shutil.which("curl")
    if not curl:
        pytest.skip("curl is not installed")
    done = subprocess.run([curl, "-sS", "-u", "bob:nope", "-w", "%{http_code}",
                           f"http://127.0.0.1:{fresh.http_port}/api/2.0/fs/files{VOL}/x"], capture_output=True)
    assert done.stdout.endswith(b"401") and b"UNAUTHENTICATED" in done.stdout


def test_repeated_failures_are_throttled_with_429(fresh):
    codes = [request(fresh, "GET", dirs_url(VOL), user="bob", password=f"wrong{i}")[0].status for i in range(6)]
    assert codes[0] == 401 and 429 in codes
    resp, err = request(fresh, "GET", dirs_url(VOL), user="bob", password="wrong")
    assert resp.status == 429 and err["error_code"] == "REQUEST_LIMIT_EXCEEDED" and resp.getheader("Retry-After")


def _wait_for(predicate, what: str, hang_guard_s: float = 600):
    """Until `predicate()` holds (a state the server reaches by itself); the guard only keeps a
    broken server from hanging the suite."""
    guard = time.monotonic() + hang_guard_s
    while not predicate():
        if time.monotonic() > guard:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def _temporaries(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".lakelens-tmp")] if directory.exists() else []


@pytest.mark.parametrize("chunked", [False, True])
def test_aborted_upload_leaves_nothing(gw, chunked):
    name = f"abort-{'chunked' if chunked else 'length'}"
    directory = physical(gw, f"{VOL}/{name}")
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {64 << 20}"
    s = _raw(gw, (f"PUT {files_url(f'{VOL}/{name}/big.bin')} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: {_auth()['Authorization']}\r\n{framing}\r\n\r\n").encode())
    piece = b"z" * (1 << 20)
    s.sendall((b"%x\r\n" % len(piece) + piece + b"\r\n") if chunked else piece)
    _wait_for(lambda: _temporaries(directory), "the upload's temporary file appears")
    s.close()  # mid-body
    _wait_for(lambda: not _temporaries(directory), "the temporary file is removed")
    assert list(directory.iterdir()) == []
    resp, _ = request(gw, "HEAD", files_url(f"{VOL}/{name}/big.bin"))
    assert resp.status == 404


def test_upload_limit_is_413(tmp_path):
    from lakelens.engine.config import Config
    from lakelens.engine.gateway import GatewayServer

    cfg = Config.load(tmp_path, {"gateway.files.max_upload_bytes": "1000"})
    govern(tmp_path, admins=("alice",))
    server = GatewayServer(cfg, host="127.0.0.1", port=0, http_port=0, warm_spark=False).start()
    try:
        server.catalog.create_volume("main", "default", "small")
        vol = "/Volumes/main/default/small"
        resp, err = request(server, "PUT", files_url(f"{vol}/ok.bin"), body=b"x" * 1000)
        assert resp.status == 204
        resp, err = request(server, "PUT", files_url(f"{vol}/big.bin"), body=b"x" * 1001)
        assert resp.status == 413 and err["error_code"] == "RESOURCE_EXHAUSTED"
        conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=600)
        conn.request("PUT", files_url(f"{vol}/chunked.bin"), body=iter([b"y" * 600, b"y" * 600]), encode_chunked=True,
                     headers=_auth("alice"))
        resp = conn.getresponse()
        assert resp.status == 413 and json.loads(resp.read())["error_code"] == "RESOURCE_EXHAUSTED"
        conn.close()
        files, _ = server.catalog.open_volume(vol)
        assert sorted(p.name for p in files.root.iterdir()) == ["ok.bin"]
    finally:
        server.shutdown()


def test_one_gib_chunked_upload_streams(gw):
    """1 GiB from a generator, chunked: the server's Python memory peak stays far below it."""
    size, block = 1 << 30, 1 << 20
    seed = hashlib.sha256(b"lakelens").digest()
    expected = hashlib.sha256()

    def body():
        for i in range(size // block):
            piece = (seed + i.to_bytes(8, "big")) * (block // 40)
            piece += b"\0" * (block - len(piece))
            expected.update(piece)
            yield piece

    target = f"{VOL}/huge/one-gib.bin"
    tracemalloc.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=600)
        conn.request("PUT", files_url(target), body=body(), headers=_auth(), encode_chunked=True)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    path = physical(gw, target)
    try:
        assert resp.status == 204
        assert peak < 64 << 20, f"peak {peak >> 20} MiB"
        assert path.stat().st_size == size
        got = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(8 << 20):
                got.update(chunk)
        assert got.hexdigest() == expected.hexdigest()
        assert _temporaries(path.parent) == []
    finally:
        path.unlink(missing_ok=True)


def test_concurrent_readers_never_see_a_partial_file(gw):
    """While a file is replaced, every read returns the old or the new bytes, whole."""
    target = f"{VOL}/atomic/f.bin"
    old, new = b"a" * (2 << 20), b"b" * (2 << 20)
    assert request(gw, "PUT", files_url(target), body=old)[0].status == 204
    seen, stop = set(), threading.Event()

    def reader():
        while not stop.is_set():
            resp, data = request(gw, "GET", files_url(target), raw=True)
            seen.add(data if data in (old, new) else b"PARTIAL")

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(6):
            body = new if i % 2 == 0 else old
            assert request(gw, "PUT", files_url(target, overwrite="true"), body=body)[0].status == 204
    finally:
        stop.set()
        t.join()
    assert b"PARTIAL" not in seen


def test_cli_cp_server_round_trip(gw, tmp_path):
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    server = f"http://127.0.0.1:{gw.http_port}"

    def cp(*args, password="hunter2"):
        return subprocess.run([str(LAKELENS), "--home", str(tmp_path / "client-home"), "cp", "--server", server,
                               "--user", "bob", "--password-stdin", *args], input=password + "\n",
                              capture_output=True, text=True, timeout=300)

    up = cp("-r", str(src), f"{VOL}/cp/")
    assert up.returncode == 0, up.stderr
    assert sorted(up.stdout.split()) == [f"{VOL}/cp/tree/a.txt", f"{VOL}/cp/tree/sub/b.bin"]
    again = cp("-r", str(src), f"{VOL}/cp/")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert cp("-r", "--overwrite", str(src), f"{VOL}/cp/").returncode == 0
    one = cp(str(src / "a.txt"), f"{VOL}/cp/single.txt")
    assert one.returncode == 0 and one.stdout.split() == [f"{VOL}/cp/single.txt"]
    assert cp(str(src), f"{VOL}/cp/x/").returncode != 0  # a directory needs -r

    down = tmp_path / "down"
    down.mkdir()
    got = cp("-r", f"{VOL}/cp/tree", str(down))
    assert got.returncode == 0, got.stderr
    assert (down / "tree" / "a.txt").read_bytes() == b"alpha"
    assert (down / "tree" / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    single = cp(f"{VOL}/cp/single.txt", str(tmp_path / "single.txt"))
    assert single.returncode == 0 and (tmp_path / "single.txt").read_bytes() == b"alpha"
    assert cp(f"{VOL}/cp/single.txt", str(tmp_path / "single.txt")).returncode == 1  # exists

    # The client's home was never made into a lakehouse: --server touches no local catalog.
    assert not (tmp_path / "client-home" / "metastore.db").exists()


def test_cli_cp_server_wrong_password(fresh, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"alpha")
    bad = subprocess.run([str(LAKELENS), "--home", str(tmp_path / "client-home"), "cp", "--server",
                          f"http://127.0.0.1:{fresh.http_port}", "--user", "bob", "--password-stdin",
                          str(tmp_path / "a.txt"), f"{VOL}/cp/denied.txt"], input="wrong\n",
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "UNAUTHENTICATED" in bad.stderr and "wrong" in bad.stderr
    assert not physical(fresh, f"{VOL}/cp/denied.txt").exists()


def test_connection_help_shows_no_password_and_names_the_files_api(gw):
    from lakelens.engine.cli.main import connection_help

    text = connection_help(gw)
    assert " -p " not in text and "--password-stdin" in text
    assert "/api/2.0/fs/files/Volumes/" in text and f"lakelens cp --server http://127.0.0.1:{gw.http_port}" in text
