"""The Files API against a plain copy: upload and download throughput, and the server's memory.

A file of SIZE MiB goes up (chunked, from a file read in 1 MiB pieces) and comes back down
through an in-process gateway's Files API (no Spark), over loopback HTTP; the baseline is
`shutil.copyfile` of the same file on the same disk, in the same run. The server's Python
allocation peak during the upload (tracemalloc) shows the body is streamed, not held.

    python bench/files_api.py [SIZE_MIB]      (default 512)
"""

from __future__ import annotations

import hashlib
import base64
import http.client
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_admin, report  # noqa: E402

CHUNK = 1 << 20
AUTH = "Basic " + base64.b64encode(b"bench:").decode()  # --auth none: the name is trusted


def _upload(port: int, path: str, source: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("PUT", f"/api/2.0/fs/files{path}?overwrite=true")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Authorization", AUTH)
    conn.endheaders()
    with open(source, "rb") as f:
        while piece := f.read(CHUNK):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    conn.send(b"0\r\n\r\n")
    resp = conn.getresponse()
    assert resp.status == 204, resp.read()
    conn.close()


def _download(port: int, path: str, target: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", f"/api/2.0/fs/files{path}", headers={"Authorization": AUTH})
    resp = conn.getresponse()
    assert resp.status == 200
    with open(target, "wb") as f:
        while piece := resp.read(CHUNK):
            f.write(piece)
    conn.close()


def main() -> None:
    from lakelens.engine.config import Config
    from lakelens.engine.gateway import GatewayServer

    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    work = Path(tempfile.mkdtemp(prefix="lakelens-files-bench-"))
    try:
        source = work / "source.bin"
        with open(source, "wb") as f:
            block = hashlib.sha256(b"seed").digest() * (CHUNK // 32)
            for _ in range(size_mib):
                f.write(block)
        cfg = Config.load(work / "home")
        bench_admin(work / "home")
        server = GatewayServer(cfg, host="127.0.0.1", port=0, http_port=0, warm_spark=False).start()
        server.catalog.create_volume("main", "default", "bench")
        path = "/Volumes/main/default/bench/source.bin"

        rows = []
        start = time.perf_counter()
        shutil.copyfile(source, work / "copy.bin")
        base = time.perf_counter() - start
        rows.append({"operation": "shutil.copyfile (baseline)", "MiB": size_mib, "seconds": base,
                     "MiB/s": size_mib / base, "ratio to baseline": 1.0, "server peak MiB": None})

        tracemalloc.start()
        start = time.perf_counter()
        _upload(server.http_port, path, source)
        up = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
        tracemalloc.stop()
        rows.append({"operation": "Files API PUT (chunked)", "MiB": size_mib, "seconds": up, "MiB/s": size_mib / up,
                     "ratio to baseline": up / base, "server peak MiB": peak})

        start = time.perf_counter()
        _download(server.http_port, path, work / "back.bin")
        down = time.perf_counter() - start
        rows.append({"operation": "Files API GET", "MiB": size_mib, "seconds": down, "MiB/s": size_mib / down,
                     "ratio to baseline": down / base, "server peak MiB": None})
        with open(source, "rb") as a, open(work / "back.bin", "rb") as b:
            assert hashlib.file_digest(a, "sha256").digest() == hashlib.file_digest(b, "sha256").digest()
        server.shutdown()
        report("files_api", rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
