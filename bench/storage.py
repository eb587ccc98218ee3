"""Local disk vs an S3-compatible server on loopback, side by side in one run, same data.

Two homes in one process (one Spark JVM): `local` keeps its warehouse on disk, `s3` on a
Versity Gateway server started here (engine/devstore.py, `make s3-server`). For each
operation: median time, requests the S3 server logged (its access log, by operation) and
the ratio to local disk. Targets (issue 14): listing and metadata-only scans within 3x of
local disk, content reads within 2x.

    python bench/storage.py [--objects 10000,100000] [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import collections
import io
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import median_ms, report, timed  # noqa: E402

import lakelens  # noqa: E402
from lakelens.engine.devstore import S3Server  # noqa: E402


class Requests:
    """Counts of the S3 server's logged requests by operation since the last `take`."""

    def __init__(self, log: Path):
        self.log, self.offset = log, 0

    def take(self) -> collections.Counter:
        text = self.log.read_text() if self.log.exists() else ""
        new, self.offset = text[self.offset:], len(text)
        return collections.Counter(m.group(1) for m in re.finditer(r" s3_(\w+) ", new))


def _png(i: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (160, 120), (i % 255, 80, 160))
    ImageDraw.Draw(img).text((10, 50), f"image {i}", fill="white")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _fill(s, volume: str, n: int, payload: bytes) -> None:
    """`n` small objects in a volume (100 directories), written through the volume's files."""
    files, _ = s.catalog.open_volume(f"/Volumes/main/default/{volume}")
    with tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: files.put(f.name, f"d{i % 100:03d}/f{i:06d}.bin"), range(n)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", default="10000,100000", help="volume sizes to list (comma-separated)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(x) for x in args.objects.split(",") if x]

    base = Path(tempfile.mkdtemp(prefix="lakelens-bench-storage-"))
    server = S3Server(base / "s3-data", access_log=base / "access.log").start()
    server.create_bucket("bench")
    conf = "".join(f'"{k}" = "{v}"\n' for k, v in server.s3a_conf(prefix="hadoop.").items())
    homes = {}
    for name, warehouse in (("local", ""), ("s3", 's3://bench/warehouse')):
        home = base / f"home-{name}"
        home.mkdir()
        (home / "lakelens.toml").write_text(f'[warehouse]\npath = "{warehouse}"\n[storage]\ns3 = "on"\n'
                                            f'[spark]\n{conf}')
        homes[name] = lakelens.connect(home=home, user="bench")
    requests = Requests(base / "access.log")
    results: dict[str, dict[str, float]] = collections.defaultdict(dict)
    counts: dict[str, collections.Counter] = {}

    def measure(op: str, fn, repeat: int = args.repeat, setup=None):
        for where, s in homes.items():
            if setup:
                setup(where, s)
            if repeat > 1:
                fn(s)  # warm-up (JIT, Delta's snapshot, Hadoop's filesystem), not counted
            requests.take()
            samples = timed(lambda: fn(s), repeat)
            results[op][where] = median_ms(samples)
            if where == "s3":
                c = requests.take()
                counts[op] = collections.Counter({k: round(v / repeat, 1) for k, v in c.items()})
            print(f"{op:<40} {where:<6} {results[op][where]:10.1f} ms", flush=True)

    # Delta: write once, then full scans.
    for s in homes.values():
        s.sql(f"CREATE TABLE big AS SELECT id, id % 97 AS k, cast(id AS STRING) AS s, rand(1) AS r, "
              f"date_add(DATE'2020-01-01', cast(id % 1000 AS INT)) AS d FROM range({args.rows})")
    measure(f"Delta scan {args.rows:,} rows (sum, count distinct)",
            lambda s: s.sql("SELECT sum(id), count(DISTINCT k), max(s), avg(r), max(d) FROM big"))

    # Images: PUT 1,000 files, then metadata-only and content scans.
    images = base / "images"
    images.mkdir()
    for i in range(args.images):
        (images / f"img{i:05d}.png").write_bytes(_png(i))
    for s in homes.values():
        s.sql("CREATE VOLUME imgs")
    round_ = iter(range(1000))

    def put(s):
        s.sql(f"PUT '{images}/' INTO '/Volumes/main/default/imgs/r{next(round_)}/'")
    measure(f"PUT {args.images:,} files (SQL PUT of a directory)", put, repeat=1)
    measure(f"SELECT name, size over {args.images:,} images",
            lambda s: s.sql("SELECT name, size FROM imgs").num_rows)
    measure(f"SELECT content over {args.images:,} images",
            lambda s: s.sql("SELECT sum(length(content)) FROM imgs").num_rows)

    # Listing at scale.
    for n in sizes:
        vol = f"many{n}"

        def setup(where, s, vol=vol, n=n):
            s.sql(f"CREATE VOLUME {vol}")
            _fill(s, vol, n, b"x")
            requests.take()
        measure(f"LIST one directory of {n // 100:,} ({n:,} objects)",
                lambda s, vol=vol: s.sql(f"LIST '/Volumes/main/default/{vol}/d000'"), setup=setup)
        measure(f"Spark listing: count(*) of {n:,} objects",
                lambda s, vol=vol: s.sql(f"SELECT count(*) FROM {vol}"))

    rows = []
    for op, by in results.items():
        c = counts.get(op, collections.Counter())
        rows.append({"operation": op, "local ms": by["local"], "s3 ms": by["s3"],
                     "ratio": by["s3"] / by["local"] if by["local"] else float("nan"),
                     "s3 requests (per run)": ", ".join(f"{k} {v:g}" for k, v in c.most_common(4)) or "-"})
    report("storage", rows)
    server.stop()


if __name__ == "__main__":
    main()
