"""TPC-H through the gateway against plain Spark and Spark's own Thrift server, in one run.

The 22 TPC-H queries of tests/conformance/tpch (the specification's validation parameters)
over the same Delta tables: the data is generated once per scale factor with tpchgen-cli
(cached in bench/results/tpch-data/sf<N>/ and reused) and loaded by lakelens, with CTAS,
into `main.tpch` of a fresh home. Three systems then read those tables' files:

  (a) lakelens: `lakelens serve` on that home, each query sent through PyHive (NOSASL) after
      `USE main.tpch`, every row fetched
  (b) plain Spark: a SparkSession in this process with temporary views over the tables' Delta
      directories, each query `.collect()`ed
  (c) Spark's Thrift server, the tables registered in its own metastore over the same
      directories (`CREATE TABLE tpch.<t> USING delta LOCATION …`), queried like (a)

All three run Spark 4.1 with the same settings (local[*], 2 GiB driver, 8 shuffle partitions,
UTC, Delta 4.4.0 with lakelens' `snapshotPartitions`; `lakelens serve` adds Spark's FAIR
scheduler, as it always does) one after the other, so only one JVM is busy at a time. Each
query runs once as a warm-up, then `--runs` times (the median counts). Alongside: lakelens'
planning time for each query, the lakelens planner alone (`Session.plan`: parse + resolve +
plan, as bench/planning.py measures it), median of 20 after 5 warm-ups, in this process
without Spark.

Reported per query and as a geometric mean over the queries: seconds in each system,
lakelens / plain Spark, lakelens / Spark Thrift server, planning ms and its share of the
lakelens time. Row counts must agree across the three systems.

Targets (geometric means): lakelens / plain Spark ≤ 1.05 (planning and rewriting add under
5 %); lakelens / Spark Thrift server ≤ 1.0.

    python bench/tpch.py [--scale 1] [--queries 1,3,18-22] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, report  # noqa: E402
import gateway  # noqa: E402
from gateway import SPARK_CONF, connect, run, start_lakelens  # noqa: E402

QUERIES = Path(__file__).resolve().parent.parent / "tests" / "conformance" / "tpch"
TABLES = ["lineitem", "orders", "customer", "part", "partsupp", "supplier", "nation", "region"]
TPCHGEN = Path(sys.executable).parent / "tpchgen-cli"
# Delta as lakelens runs it (conf/lakelens.toml, engine/spark.py), for (b) and (c): the same
# jars from the same Ivy cache, and the same Delta log parallelism.
DELTA_CONF = {
    "spark.jars.packages": "io.delta:delta-spark_4.1_2.13:4.4.0",
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.jars.ivy": str(Path(os.environ.get("LAKELENS_IVY_HOME", "~/.ivy2.5.2")).expanduser()),
    "spark.databricks.delta.snapshotPartitions": "2",
}
PLAN_WARMUP, PLAN_RUNS = 5, 20


def query_numbers(spec: str | None) -> list[int]:
    """`1,3,18-22` (or `q01,q03`) → [1, 3, 18, 19, 20, 21, 22]; None: all 22."""
    if not spec:
        return list(range(1, 23))
    out: list[int] = []
    for part in spec.replace(" ", "").lower().split(","):
        lo, _, hi = part.replace("q", "").partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    if not all(1 <= q <= 22 for q in out):
        raise SystemExit(f"--queries: TPC-H has queries 1 to 22, got {spec!r}")
    return sorted(set(out))


def query_text(q: int) -> str:
    return (QUERIES / f"q{q:02d}.sql").read_text()


def tpch_data(scale: float) -> Path:
    """The 8 tables as Parquet files at `scale`, generated once and kept under bench/results/."""
    out = RESULTS / "tpch-data" / f"sf{scale:g}"
    if all((out / f"{t}.parquet").is_file() for t in TABLES):
        return out
    print(f"generating TPC-H SF{scale:g} with tpchgen-cli into {out} …", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".sf{scale:g}-", dir=out.parent))
    try:
        subprocess.run([str(TPCHGEN), "parquet", "-s", f"{scale:g}", "-o", str(tmp)], check=True)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------- loading
def load_tables(home: Path, data: Path) -> dict[str, str]:
    """Load the tables into lakelens (`main.tpch`) from a child process, which takes its Spark
    JVM with it when it exits (the server then opens the same home); returns each table's
    Delta directory."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--load-into", str(home),
                           "--data", str(data)], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"loading the tables into lakelens failed (exit {done.returncode}); "
                           f"see {home / 'logs' / 'spark.log'}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load_child(home: Path, data: Path) -> None:
    import lakelens

    s = lakelens.connect(home=home, user="bench")
    s.sql("CREATE SCHEMA main.tpch")
    # read_files reads volumes only: the generated files become an external volume (not copied).
    s.sql(f"CREATE EXTERNAL VOLUME main.tpch.tpch_files LOCATION '{data.resolve()}'")
    locations = {}
    for t in TABLES:
        start = time.perf_counter()
        s.sql(f"CREATE TABLE main.tpch.{t} USING delta AS "
              f"SELECT * FROM read_files('/Volumes/main/tpch/tpch_files/{t}.parquet', format => 'parquet')")
        print(f"  loaded main.tpch.{t} in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        described = s.sql(f"DESCRIBE TABLE EXTENDED main.tpch.{t}").to_pylist()
        locations[t] = next(r["data_type"] for r in described if r["col_name"] == "Location")
    s.sql("DROP VOLUME main.tpch.tpch_files")  # external: the files stay
    print(json.dumps(locations), flush=True)


# ---------------------------------------------------------------------------------- systems
def planning_ms(home: Path, queries: list[int]) -> dict[int, float]:
    """The lakelens planner alone on each query (reads the catalog; Spark is not started)."""
    import lakelens

    s = lakelens.connect(home=home, user="bench", conf={"session.catalog": "main", "session.schema": "tpch"})
    out = {}
    for q in queries:
        text = query_text(q)
        for _ in range(PLAN_WARMUP):
            s.plan(text)
        samples = []
        for _ in range(PLAN_RUNS):
            start = time.perf_counter()
            s.plan(text)
            samples.append(time.perf_counter() - start)
        out[q] = statistics.median(samples) * 1000
    assert not s.runtime.spark_started, "planning must not start Spark"
    return out


def timed_runs(fn, runs: int) -> tuple[float, int]:
    """One warm-up call, then the median seconds of `runs` calls; `fn` returns a row count."""
    rows = fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        n = fn()
        samples.append(time.perf_counter() - start)
        assert n == rows, (n, rows)
    return statistics.median(samples), rows


def bench_plain_spark(locations: dict[str, str], queries: list[int], runs: int, work: Path) -> dict:
    """(b) in this process; its JVM is shut down before returning, so the servers run alone."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("tpch-plain-spark")
    for k, v in {**SPARK_CONF, **DELTA_CONF, "spark.sql.warehouse.dir": str(work / "warehouse"),
                 "spark.ui.showConsoleProgress": "false"}.items():
        builder = builder.config(k, v)
    # The JVM inherits stdout/stderr at launch: send its chatter (Ivy, log4j) to a file.
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(work / "spark.log", "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            spark = builder.getOrCreate()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for t, location in locations.items():
            spark.read.format("delta").load(location).createOrReplaceTempView(t)
        out = {}
        for q in queries:
            text = query_text(q)
            out[q] = timed_runs(lambda: len(spark.sql(text).collect()), runs)
            print(f"  plain Spark   Q{q:02d} {out[q][0]:8.3f} s  {out[q][1]} rows", flush=True)
        return out
    finally:
        gateway = SparkContext._gateway
        spark.stop()
        if gateway is not None:  # the JVM outlives SparkSession.stop(); end it too
            gateway.shutdown()
            gateway.proc.terminate()
            try:
                gateway.proc.wait(60)
            except subprocess.TimeoutExpired:
                gateway.proc.kill()
            SparkContext._gateway = None
            SparkContext._jvm = None


def bench_over_pyhive(name: str, port: int, setup: list[str], queries: list[int], runs: int) -> dict:
    """The queries through PyHive, in one session that first runs `setup` (as one client would:
    closing a session of Spark's Thrift server closes the class loader holding the
    `spark.jars.packages` jars, and Delta classes not loaded yet are then missing)."""
    conn = connect(port)
    cur = conn.cursor()
    for statement in setup:
        cur.execute(statement)
    out = {}
    try:
        for q in queries:
            text = query_text(q)
            out[q] = timed_runs(lambda: run(cur, text), runs)
            print(f"  {name:13s} Q{q:02d} {out[q][0]:8.3f} s  {out[q][1]} rows", flush=True)
    finally:
        conn.close()
    return out


def start_spark_thrift(work: Path, port: int) -> subprocess.Popen:
    """Spark's Thrift server with the settings of bench/gateway.py plus Delta."""
    return gateway.start_spark_thrift(work, port, DELTA_CONF)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    from socket import socket

    with socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- report
def geomean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def table_rows(queries, ll, spark, sts, plan) -> list[dict]:
    rows = []
    for q in queries:
        counts = {ll[q][1], spark[q][1], sts[q][1]}
        same = len(counts) == 1
        rows.append({
            "query": f"Q{q:02d}", "rows": ll[q][1] if same else f"DIFFER {ll[q][1]}/{spark[q][1]}/{sts[q][1]}",
            "lakelens_s": ll[q][0], "spark_s": spark[q][0], "spark_thrift_s": sts[q][0],
            "lakelens/spark": ll[q][0] / spark[q][0], "lakelens/thrift": ll[q][0] / sts[q][0],
            "planning_ms": plan[q], "planning_%": 100 * plan[q] / 1000 / ll[q][0],
        })
    mean = {"query": "geomean", "rows": ""}
    for key in ("lakelens_s", "spark_s", "spark_thrift_s", "lakelens/spark", "lakelens/thrift", "planning_ms",
                "planning_%"):
        mean[key] = geomean(r[key] for r in rows)
    rows.append(mean)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1, help="TPC-H scale factor (default 1)")
    parser.add_argument("--queries", default=None, help="a subset, e.g. 1,3,18-22 (default: all 22)")
    parser.add_argument("--runs", type=int, default=1, help="timed runs per query, after one warm-up (default 1)")
    parser.add_argument("--load-into", type=Path, help=argparse.SUPPRESS)  # the loading child process
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_into:
        _load_child(args.load_into, args.data)
        return
    queries = query_numbers(args.queries)
    data = tpch_data(args.scale)
    work = Path(tempfile.mkdtemp(prefix="bench-tpch-"))
    for d in ("lakelens", "spark", "sts"):
        (work / d).mkdir()
    home = work / "lakelens"
    procs: list[subprocess.Popen] = []
    try:
        print(f"loading SF{args.scale:g} into lakelens (main.tpch, Delta) …", flush=True)
        start = time.perf_counter()
        locations = load_tables(home, data)
        print(f"  loaded in {time.perf_counter() - start:.0f} s", flush=True)
        print("lakelens planning …", flush=True)
        plan = planning_ms(home, queries)
        print("(b) plain Spark …", flush=True)
        spark = bench_plain_spark(locations, queries, args.runs, work / "spark")
        print("(a) lakelens serve …", flush=True)
        proc, port = start_lakelens(home)
        procs.append(proc)
        ll = bench_over_pyhive("lakelens", port, ["USE main.tpch"], queries, args.runs)
        stop(procs.pop())
        print("(c) Spark Thrift Server …", flush=True)
        port = free_port()
        procs.append(start_spark_thrift(work / "sts", port))
        setup = ["CREATE DATABASE tpch"] + [f"CREATE TABLE tpch.{t} USING delta LOCATION '{location}'"
                                            for t, location in locations.items()] + ["USE tpch"]
        sts = bench_over_pyhive("spark_thrift", port, setup, queries, args.runs)
        stop(procs.pop())
        rows = table_rows(queries, ll, spark, sts, plan)
        report(f"tpch_sf{args.scale:g}", rows)
        mean = rows[-1]
        print(f"SF{args.scale:g}, {len(queries)} queries, {args.runs} run(s) each after a warm-up — targets: "
              f"lakelens/spark {mean['lakelens/spark']:.3f} ≤ 1.05 "
              f"{'met' if mean['lakelens/spark'] <= 1.05 else 'NOT met'}; "
              f"lakelens/thrift {mean['lakelens/thrift']:.3f} ≤ 1.0 "
              f"{'met' if mean['lakelens/thrift'] <= 1.0 else 'NOT met'}")
        if any(isinstance(r["rows"], str) and r["rows"].startswith("DIFFER") for r in rows):
            raise SystemExit("row counts differ between the systems (see the rows column)")
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
