"""Arrow Flight SQL against the Thrift path, side by side in one run.

One `lakelens serve` (HiveServer2 and Flight SQL ports, the same Spark) and Spark's own Thrift
server (the yardstick of bench/gateway.py, same Spark settings) on this machine:

  (a) N rows × 5 columns (bigint, bigint, double, string, boolean) into a pandas DataFrame and
      into an Arrow table: ADBC over Flight SQL vs PyHive over lakelens' HiveServer2 vs PyHive
      over Spark's Thrift server (N = 1M and 10M; PyHive's rows go through `fetchmany` pages
      of 10,000 into `DataFrame.from_records`);
  (b) a volume of `--images` PNG files, `SELECT name, content`: MB/s with ADBC and with PyHive
      over lakelens (Spark's Thrift server cannot read volumes);
  (c) time to the first batch of `SELECT 1`: ADBC vs PyHive over lakelens' HiveServer2, median
      of 30 after 10 warm-up runs;
  (d) peak memory of the lakelens server's process tree (JVM, Python) during each of (a) and (b).

Spark's Thrift server runs with `spark.sql.thriftServer.incrementalCollect=true` (at its default
it collects the whole result in the driver and ran out of its 2 GiB heap at 10M rows).

Targets (issue 16): ≥ 10× Spark Thrift Server's rows/s into pandas at 10M rows; (c) at or
below HiveServer2's; server memory bounded.

    python bench/flight.py [--rows 1000000,10000000] [--images 1000]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import PeakTreeMemory, bench_admin, report  # noqa: E402
from gateway import connect, serve, start_spark_thrift  # noqa: E402

GIB = 1 << 30


def query(n: int) -> str:
    # 16 partitions, as a table read in file splits has: `range(n)` alone makes as many as the
    # cores (2 here), 5M rows per task result at 10M, which ran the 2 GiB driver out of heap.
    return ("SELECT id, id * 2 AS twice, CAST(id AS DOUBLE) AS d, concat('row-', id) AS s, id % 7 = 0 AS b "
            f"FROM range(0, {n}, 1, 16)")


def start_lakelens(home: Path) -> tuple[subprocess.Popen, int, int]:
    bench_admin(home)  # conf/lakelens.toml's Spark settings are SPARK_CONF's
    proc, banner = serve(home, "--no-http", "--flight-port", "0")
    port = int(re.search(r"jdbc:hive2://[\d.]+:(\d+)/default", banner).group(1))
    return proc, port, int(re.search(r"grpc://[\d.]+:(\d+)", banner).group(1))


def adbc(flight_port: int):
    import adbc_driver_flightsql.dbapi as flightsql

    return flightsql.connect(f"grpc://127.0.0.1:{flight_port}", db_kwargs={"username": "bench", "password": "x"},
                             autocommit=True)


def adbc_seconds(flight_port: int, sql: str, into: str) -> tuple[float, int]:
    with adbc(flight_port) as conn, conn.cursor() as cur:
        start = time.perf_counter()
        cur.execute(sql)
        result = cur.fetch_df() if into == "pandas" else cur.fetch_arrow_table()
        return time.perf_counter() - start, len(result)


def pyhive_seconds(port: int, sql: str, into: str) -> tuple[float, int]:
    import pandas as pd

    conn = connect(port)
    cur = conn.cursor()
    cur.arraysize = 10000
    start = time.perf_counter()
    cur.execute(sql)
    rows = []
    while page := cur.fetchmany(10000):
        rows.extend(page)
    names = [d[0] for d in cur.description]
    result = pd.DataFrame.from_records(rows, columns=names) if into == "pandas" else rows
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, len(result)


def best(fn, runs: int) -> tuple[float, int]:
    """The median time of `runs` (each returns (seconds, rows)), and the rows."""
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), results[0][1]


def first_batch_ms(fn, n=30) -> float:
    for _ in range(10):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def make_images(home: Path, count: int, work: Path) -> int:
    """`count` PNGs of photo-like noise (about 60 KB each) in volume main.default.photos."""
    import numpy as np
    from PIL import Image

    folder = work / "photos"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i in range(count):
        base = rng.integers(0, 255, (1, 1, 3))
        noise = rng.normal(0, 40, (160, 160, 3))
        Image.fromarray(np.clip(base + noise, 0, 255).astype("uint8")).save(folder / f"img{i:05d}.png")
    total = sum(p.stat().st_size for p in folder.iterdir())
    import lakelens

    s = lakelens.connect(home=home)
    s.sql("CREATE VOLUME IF NOT EXISTS main.default.photos")
    s.sql(f"PUT '{folder}/' INTO '/Volumes/main/default/photos/'")
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="1000000,10000000")
    ap.add_argument("--images", type=int, default=1000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-flight-"))
    (work / "lakelens").mkdir()
    (work / "sts").mkdir()
    image_bytes = make_images(work / "lakelens", args.images, work) if args.images else 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        sts_port = s.getsockname()[1]
    ours, port, flight_port = start_lakelens(work / "lakelens")
    # Spark's Thrift server collects a whole result in its driver unless told to fetch it a
    # partition at a time: at 10M rows its 2 GiB driver ran out of heap (measured).
    sts = start_spark_thrift(work / "sts", sts_port, {"spark.sql.thriftServer.incrementalCollect": "true"})
    rows = []
    try:
        for n in [int(x) for x in args.rows.split(",")]:
            runs = 3 if n <= 1_000_000 else 1
            for into in ("pandas", "arrow"):
                adbc_fn = (lambda: adbc_seconds(flight_port, query(n), into))
                adbc_fn()  # warm: the statement's code generation, the client's first connection
                with PeakTreeMemory(root=ours.pid) as mem:
                    flight_s, got = best(adbc_fn, runs)
                assert got == n, (got, n)
                row = {"rows": n, "into": into, "flight_s": flight_s, "flight_rows_per_s": n / flight_s,
                       "server_peak_rss_gib": mem.peak / GIB, "server_peak_pss_gib": mem.peak_pss / GIB}
                if into == "pandas":  # PyHive hands out Python tuples: only the pandas leg is theirs
                    hs2_s, got = best(lambda: pyhive_seconds(port, query(n), into), runs)
                    assert got == n
                    sts_s, got = best(lambda: pyhive_seconds(sts_port, query(n), into), runs)
                    assert got == n
                    row.update({"pyhive_lakelens_s": hs2_s, "pyhive_spark_thrift_s": sts_s,
                                "flight_vs_spark_thrift": sts_s / flight_s, "flight_vs_hs2": hs2_s / flight_s})
                rows.append(row)
                print(row, flush=True)
        if args.images:
            sql = "SELECT name, content FROM main.default.photos"
            with PeakTreeMemory(root=ours.pid) as mem:
                flight_s, got = best(lambda: adbc_seconds(flight_port, sql, "arrow"), 3)
            hs2_s, got2 = best(lambda: pyhive_seconds(port, sql, "rows"), 3)
            assert got == got2 == args.images
            rows.append({"rows": args.images, "into": f"binary ({image_bytes / 1e6:.0f} MB)", "flight_s": flight_s,
                         "flight_rows_per_s": args.images / flight_s, "flight_mb_per_s": image_bytes / 1e6 / flight_s,
                         "pyhive_lakelens_s": hs2_s, "hs2_mb_per_s": image_bytes / 1e6 / hs2_s,
                         "flight_vs_hs2": hs2_s / flight_s, "server_peak_rss_gib": mem.peak / GIB,
                         "server_peak_pss_gib": mem.peak_pss / GIB})
            print(rows[-1], flush=True)

        def flight_one():
            with adbc(flight_port) as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetch_arrow_table()

        with adbc(flight_port) as conn, conn.cursor() as cur:
            def flight_one_open():  # the same connection: the statement alone, like PyHive's
                cur.execute("SELECT 1")
                cur.fetch_arrow_table()

            flight_ms = first_batch_ms(flight_one_open)
        hs2_conn = connect(port)
        hs2_cur = hs2_conn.cursor()

        def hs2_one():
            hs2_cur.execute("SELECT 1")
            hs2_cur.fetchall()

        hs2_ms = first_batch_ms(hs2_one)
        hs2_conn.close()
        rows.append({"rows": 1, "into": "SELECT 1 (ms, median of 30)", "flight_s": flight_ms / 1000,
                     "pyhive_lakelens_s": hs2_ms / 1000, "flight_vs_hs2": hs2_ms / flight_ms,
                     "flight_connect_and_query_s": statistics.median(timed_once(flight_one) for _ in range(5))})
    finally:
        ours.terminate()
        sts.terminate()
        ours.wait(60)
        sts.wait(60)
    report("flight", rows)


def timed_once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
