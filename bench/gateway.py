"""The gateway against Spark's own Thrift server, side by side in one run.

Both servers run on this machine with the same Spark settings (local[*], 2 GiB driver,
8 shuffle partitions, UTC) and are driven by the same clients (PyHive over NOSASL, beeline,
and a raw Thrift client for the metadata calls):

  (a) latency of `SELECT 1` and of a small aggregate, median of 50 (PyHive)
  (b) fetch throughput of a 1,000,000-row, 5-column result (PyHive, beeline)
  (c) GetTables / GetColumns over a schema of 1,000 tables (raw Thrift client)
  (d) 16 concurrent sessions each running 20 small queries: queries/s and p99 latency

Targets: lakelens ≥ 1.0× Spark Thrift Server on (b) and (d), ≤ 1.0× on (a) and (c).

With `--baseline PATH` (the `lakelens` command of another build, e.g. the last release in
its own virtualenv) that build's server runs beside the two for (a) and (b) with PyHive, and
the table gains its column and the ratio of this build to it, measured in the same run.

    python bench/gateway.py [--tables 1000] [--baseline /path/to/old/venv/bin/lakelens] [--skip-beeline]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_admin, report  # noqa: E402

import pyspark  # noqa: E402

PYSPARK = Path(pyspark.__file__).parent
BEELINE = PYSPARK / "bin" / "beeline"
LAKELENS = Path(sys.executable).parent / "lakelens"
FETCH_QUERY = ("SELECT id, id * 2 AS twice, CAST(id AS DOUBLE) AS d, concat('row-', id) AS s, id % 7 = 0 AS b "
               "FROM range(1000000)")
AGG_QUERY = "SELECT id % 10 AS k, count(*) AS n, sum(id) AS s FROM range(100000) GROUP BY id % 10"
SPARK_CONF = {"spark.master": "local[*]", "spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "8",
              "spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false"}


def start_lakelens(home: Path, command: Path = LAKELENS) -> tuple[subprocess.Popen, int]:
    if command == LAKELENS:  # a baseline build from before grants has no administrators
        bench_admin(home)
    log = open(home / "serve.log", "w")
    proc = subprocess.Popen([str(command), "--home", str(home), "serve", "--port", "0", "--no-http"],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    for line in proc.stdout:
        m = re.search(r"jdbc:hive2://[\d.]+:(\d+)/default", line)
        if m:
            port = int(m.group(1))
            break
    else:
        raise RuntimeError("lakelens serve did not start")
    deadline = time.time() + 300
    while "Spark is ready" not in (home / "serve.log").read_text():
        if time.time() > deadline:
            raise RuntimeError("lakelens: Spark did not start")
        time.sleep(0.5)
    return proc, port


def serve(home: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`lakelens serve` on `home` (`--port 0` and `args`), once it printed its banner and Spark
    is ready: the process and the banner, whose connection strings name the ports."""
    proc = subprocess.Popen([str(LAKELENS), "--home", str(home), "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=open(home / "serve.log", "w"), text=True)
    banner = ""
    for line in proc.stdout:
        banner += line
        if line.startswith("Ctrl-C"):
            break
    while "Spark is ready" not in (home / "serve.log").read_text():
        if proc.poll() is not None:
            raise RuntimeError("lakelens serve stopped:\n" + (home / "serve.log").read_text()[-3000:])
        time.sleep(0.5)
    return proc, banner


def start_spark_thrift(work: Path, port: int, extra_conf: dict | None = None) -> subprocess.Popen:
    """Spark's own Thrift server with SPARK_CONF (plus `extra_conf`), NOSASL on 127.0.0.1."""
    cmd = [str(PYSPARK / "bin" / "spark-submit"), "--class",
           "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"]
    for k, v in {**SPARK_CONF, **(extra_conf or {}), "spark.sql.warehouse.dir": str(work / "warehouse")}.items():
        cmd += ["--conf", f"{k}={v}"]
    cmd += ["spark-internal", "--hiveconf", f"hive.server2.thrift.port={port}", "--hiveconf",
            "hive.server2.thrift.bind.host=127.0.0.1", "--hiveconf", "hive.server2.authentication=NOSASL"]
    log = work / "sts.log"
    proc = subprocess.Popen(cmd, cwd=work, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env=dict(os.environ, SPARK_HOME=str(PYSPARK)))
    deadline = time.time() + 300
    while "HiveThriftServer2 started" not in log.read_text():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("Spark Thrift Server did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.5)
    return proc


def connect(port: int):
    from pyhive import hive

    return hive.connect("127.0.0.1", port, username="bench", auth="NOSASL")


def run(cur, sql: str, arraysize=10000) -> int:
    cur.arraysize = arraysize
    cur.execute(sql)
    n = 0
    while True:
        page = cur.fetchmany(arraysize)
        if not page:
            return n
        n += len(page)


def latency_ms(port: int, sql: str, n=50) -> float:
    conn = connect(port)
    cur = conn.cursor()
    for _ in range(20):  # warm both JVMs' JIT on this statement
        run(cur, sql)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        run(cur, sql)
        samples.append(time.perf_counter() - start)
    conn.close()
    return statistics.median(samples) * 1000


def pyhive_rows_per_s(port: int, runs=3) -> float:
    conn = connect(port)
    cur = conn.cursor()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert run(cur, FETCH_QUERY) == 1_000_000
        times.append(time.perf_counter() - start)
    conn.close()
    return 1_000_000 / statistics.median(times)


def beeline_s(port: int, sql: str, runs=3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(BEELINE), "-u", f"jdbc:hive2://127.0.0.1:{port}/default;auth=noSasl", "-n",
                               "bench", "--silent=true", "--outputformat=csv2", "--incremental=true", "-e", sql],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, SPARK_HOME=str(PYSPARK)))
        assert done.returncode == 0, done.stderr[-2000:]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def metadata_s(port: int, schema: str, runs=3) -> tuple[float, float, int, int]:
    from impala_thrift_gen.TCLIService import TCLIService
    from impala_thrift_gen.TCLIService import ttypes as T
    from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
    from thrift.transport.TSocket import TSocket
    from thrift.transport.TTransport import TBufferedTransport

    trans = TBufferedTransport(TSocket("127.0.0.1", port))
    client = TCLIService.Client(TBinaryProtocolAccelerated(trans))
    trans.open()
    session = client.OpenSession(T.TOpenSessionReq(
        client_protocol=T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8, username="bench")).sessionHandle

    def drain(handle) -> int:
        n = 0
        while True:
            rs = client.FetchResults(T.TFetchResultsReq(operationHandle=handle, maxRows=10000,
                                                        orientation=T.TFetchOrientation.FETCH_NEXT)).results
            rows = len(rs.columns[0].stringVal.values) if rs.columns else len(rs.rows)
            if not rows:
                client.CloseOperation(T.TCloseOperationReq(operationHandle=handle))
                return n
            n += rows

    def once(call) -> tuple[float, int]:
        start = time.perf_counter()
        resp = call()
        assert resp.status.statusCode == 0, resp.status
        rows = drain(resp.operationHandle)
        return time.perf_counter() - start, rows

    tables = [once(lambda: client.GetTables(T.TGetTablesReq(sessionHandle=session, schemaName=schema,
                                                            tableName="%"))) for _ in range(runs)]
    columns = [once(lambda: client.GetColumns(T.TGetColumnsReq(sessionHandle=session, schemaName=schema,
                                                               tableName="%", columnName="%"))) for _ in range(runs)]
    trans.close()
    return (statistics.median(t for t, _ in tables), statistics.median(t for t, _ in columns), tables[0][1],
            columns[0][1])


def concurrent(port: int, sessions=16, queries=20) -> tuple[float, float]:
    """Queries/s and p99 latency of `sessions` clients running `queries` each, after one
    warm-up round (the first burst after a start pays JIT and code generation)."""
    conns = [connect(port) for _ in range(sessions)]

    def round_(n: int) -> tuple[float, list[float]]:
        latencies: list[float] = []
        lock = threading.Lock()

        def worker(conn, i):
            cur = conn.cursor()
            mine = []
            for q in range(n):
                start = time.perf_counter()
                run(cur, f"SELECT {i} * {q} AS v, count(*) AS n FROM range({100 + q})")
                mine.append(time.perf_counter() - start)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=worker, args=(c, i)) for i, c in enumerate(conns)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start, sorted(latencies)

    round_(10)
    wall, latencies = round_(queries)
    for c in conns:
        c.close()
    return sessions * queries / wall, latencies[int(0.99 * (len(latencies) - 1))] * 1000


def make_tables_lakelens(home: Path, schema: str, n: int) -> None:
    """Metadata calls read only the catalog: register the tables there directly."""
    from lakelens.catalog import Column
    from lakelens.engine.config import Config
    from lakelens.engine.session import catalog_for

    catalog = catalog_for(Config.load(home))
    catalog.create_schema("main", schema)
    cols = [Column(f"c{j}", "int" if j % 2 else "string", True, None) for j in range(10)]
    for i in range(n):
        info = catalog.reserve_table("main", schema, f"t{i:04d}", fmt="delta", location=None,
                                     storage_key=catalog.new_storage_key(), comment=None, properties={},
                                     owner="bench", partitioned_by=[])
        catalog.commit_table(info.id, cols)


def make_tables_spark_thrift(port: int, schema: str, n: int, work: Path) -> None:
    cols = ", ".join(f"c{j} {'INT' if j % 2 else 'STRING'}" for j in range(10))
    script = work / "tables.sql"
    script.write_text(f"CREATE DATABASE {schema};\n" + "".join(
        f"CREATE TABLE {schema}.t{i:04d} ({cols}) USING parquet;\n" for i in range(n)))
    done = subprocess.run([str(BEELINE), "-u", f"jdbc:hive2://127.0.0.1:{port}/default;auth=noSasl", "-n", "bench",
                           "--silent=true", "-f", str(script)], capture_output=True, text=True,
                          env=dict(os.environ, SPARK_HOME=str(PYSPARK)))
    assert done.returncode == 0, done.stderr[-2000:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, default=None, help="`lakelens` command of another build")
    parser.add_argument("--skip-beeline", action="store_true", help="leave out (b) with beeline (minutes per server)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    (work / "lakelens").mkdir()
    (work / "sts").mkdir()
    (work / "baseline").mkdir()
    from socket import socket

    with socket() as s:
        s.bind(("127.0.0.1", 0))
        sts_port = s.getsockname()[1]
    procs = []
    try:
        print("starting lakelens serve and Spark Thrift Server …", flush=True)
        schema = "s1000"
        make_tables_lakelens(work / "lakelens", schema, args.tables)
        ll_proc, ll_port = start_lakelens(work / "lakelens")
        procs.append(ll_proc)
        procs.append(start_spark_thrift(work / "sts", sts_port))
        print(f"creating {args.tables} tables in Spark Thrift Server's metastore …", flush=True)
        make_tables_spark_thrift(sts_port, schema, args.tables, work / "sts")
        servers = {"lakelens": ll_port, "spark_thrift": sts_port}
        if args.baseline:
            base_proc, base_port = start_lakelens(work / "baseline", args.baseline)
            procs.append(base_proc)
        results: dict[str, dict[str, float]] = {name: {} for name in servers}
        results["baseline"] = {}
        # Interleave the servers measure by measure so that machine noise hits both alike.
        measures = [
            ("(a) SELECT 1 latency, median ms", lambda p: latency_ms(p, "SELECT 1")),
            ("(a) small aggregate latency, median ms", lambda p: latency_ms(p, AGG_QUERY)),
            ("(b) 1M x 5 fetch, PyHive rows/s", pyhive_rows_per_s),
            # One run each: Hive JDBC 2.3 (beeline) asks GetOperationStatus before every row, so
            # this takes a minute or more per server; beeline's start-up is subtracted.
            ("(b) 1M x 5 fetch, beeline rows/s",
             lambda p: 1_000_000 / max(beeline_s(p, FETCH_QUERY, runs=1) - beeline_s(p, "SELECT 1", runs=1), 1e-3)),
        ]
        if args.skip_beeline:
            measures = [m for m in measures if "beeline" not in m[0]]
        for label, fn in measures:
            on_baseline = args.baseline and (label.startswith("(a)") or "PyHive" in label)
            for name, port in (dict(servers, baseline=base_port) if on_baseline else servers).items():
                print(f"  {label} — {name}", flush=True)
                results[name][label] = fn(port)
        for name, port in servers.items():
            print(f"  (d) 16 sessions x 20 queries — {name}", flush=True)
            qps, p99 = concurrent(port)
            results[name]["(d) 16 sessions x 20 queries, queries/s"] = qps
            results[name]["(d) 16 sessions x 20 queries, p99 ms"] = p99
        for name, port in servers.items():
            t, c, nt, nc = metadata_s(port, schema)
            assert nt == args.tables and nc == args.tables * 10, (name, nt, nc)
            results[name][f"(c) GetTables {args.tables} tables, ms"] = t * 1000
            results[name][f"(c) GetColumns {args.tables} tables, ms"] = c * 1000
        rows = []
        for label in results["lakelens"]:
            ll, sts = results["lakelens"][label], results["spark_thrift"][label]
            higher_is_better = label.startswith("(b)") or "queries/s" in label
            target = "≥ 1.0" if higher_is_better else "≤ 1.0"
            ratio = ll / sts
            ok = ratio >= 1.0 if higher_is_better else ratio <= 1.0
            row = {"measure": label, "lakelens": ll, "spark_thrift": sts, "ratio": ratio, "target": target,
                   "met": "yes" if ok else "NO"}
            if args.baseline:
                base = results["baseline"].get(label)
                row["baseline"] = base
                row["baseline_ratio"] = base / sts if base is not None else None
                row["lakelens/baseline"] = ll / base if base is not None else None
            rows.append(row)
        report("gateway", rows)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
