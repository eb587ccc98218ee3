"""GPU-class functions on Ray actor pools: same rows as in Spark, one model per actor, faults,
an unreachable cluster, and a real two-node Ray cluster with a Spark standalone cluster.

The suite has no GPU: pools run CPU actors, the same code as GPU ones (placement.py).
Each test gives its pools a batch size of its own, which names them in
`system.runtime.udf_pools`.
"""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import lakelens
from lakelens.catalog import LakelensError

from ..clients.conftest import PYSPARK_HOME, free_port
from ..conftest import rows, s3_toml
from ..media import picture, speak_wav

GPU_CLASS = ("embed_text", "embed_clip_text", "embed_image", "transcribe", "transcribe_segments")


def connect(home, catalog: str | None = None, **conf):
    s = lakelens.connect(home=home, user="tester", conf={k.replace("__", "."): str(v) for k, v in conf.items()})
    if catalog:
        s.sql(f"USE CATALOG {catalog}")
    return s


def pool_rows(s, batch_size: int) -> list[dict]:
    return s.sql(f"SELECT * FROM system.runtime.udf_pools WHERE batch_size = {batch_size}").to_pylist()


def close(a, b, tol=1e-5) -> bool:
    """Equal values, floats within `tol` (batching changes padding, not meaning)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    return a == b


def test_placement_comes_from_the_spec_and_configuration(tmp_path):
    from lakelens.engine.config import Config
    from lakelens.engine.pools.placement import placement_for

    def cfg(**kw):
        return Config.load(tmp_path, {k.replace("__", "."): str(v) for k, v in kw.items()})

    assert placement_for("ocr", cfg()).explain() == "placement=spark device=cpu batch_size=16 actors=-"
    p = placement_for("embed_text", cfg(udf__embed_text__max_actors=3, udf__embed_text__batch_size=128))
    assert (p.where, p.device, p.batch_size, p.min_actors, p.max_actors, p.max_retries) == ("ray", "cpu", 128, 0, 3, 3)
    assert placement_for("ocr", cfg(udf__ocr__placement="ray")).where == "ray"  # any function may go to Ray
    assert placement_for("embed_image", cfg(udf__clip__placement="spark")).where == "spark"  # the shared scope
    for conf, message in [
        ({"udf__embed_text__placement": "gpu"}, r"udf\.embed_text\.placement must be auto, spark or ray, got 'gpu'"),
        ({"udf__embed_text__min_actors": 3, "udf__embed_text__max_actors": 2}, r"min_actors must be <= max_actors \(2\)"),
        ({"udf__embed_text__batch_size": 0}, r"udf\.embed_text\.batch_size must be an integer >= 1, got '0'"),
        ({"udf__transcribe__num_gpus": "half"}, r"udf\.transcribe\.num_gpus must be a number >= 0, got 'half'"),
    ]:
        with pytest.raises(LakelensError, match=message):
            placement_for(next(iter(conf)).split("__")[1], cfg(**conf))


@pytest.fixture
def media(fresh, files_dir):
    pics, talks = files_dir / "pics", files_dir / "talks"
    pics.mkdir()
    talks.mkdir()
    for i in range(5):
        (pics / f"p{i}.png").write_bytes(picture(i))
    for name, text in {"a.wav": "open the window", "b.wav": "the cat sat on the mat"}.items():
        speak_wav(text, talks / name)
    for name, d in (("pics", pics), ("talks", talks)):
        fresh.sql(f"CREATE VOLUME {name}")
        fresh.sql(f"PUT '{d}/' INTO '/Volumes/{fresh.current_catalog}/default/{name}/'")
    return fresh


def test_ray_and_spark_placements_give_the_same_rows_with_one_model_per_actor(media, home, tiny_clip):
    clip = {f"udf__clip__{k}": v for k, v in tiny_clip.items()}
    spark = connect(home, media.current_catalog, **clip, **{f"udf__{f}__placement": "spark" for f in GPU_CLASS})
    on_ray = {f"udf__{f}__placement": "ray" for f in GPU_CLASS}
    # Actors that reserve no CPU never wait for one (nor make other pools give theirs up), so
    # every actor started here is still alive at the end; embed_text may use two of them.
    for i, f in enumerate(GPU_CLASS):
        on_ray.update({f"udf__{f}__num_cpus": 0, f"udf__{f}__max_actors": 1, f"udf__{f}__batch_size": 41 + i})
    on_ray.update({"udf__embed_text__max_actors": 2, "udf__embed_text__batch_size": 7})
    ray = connect(home, media.current_catalog, **clip, **on_ray)
    queries = {
        "embed_text": "SELECT id, embed_text(concat('sentence ', id, ' about a lake')) FROM range(0, 300, 1, 6)",
        "embed_clip_text": "SELECT id, embed_clip_text(concat('a photo of ', id)) FROM range(0, 40, 1, 4)",
        "embed_image": "SELECT name, embed_image(content) FROM pics",
        "transcribe": "SELECT name, transcribe(content) FROM talks",
        "transcribe_segments": "SELECT name, transcribe_segments(content) FROM talks",
    }
    differing = []
    for function, query in queries.items():
        plan = rows(ray.sql(f"EXPLAIN {query}"))[0][0]
        assert f"udf={function} placement=ray device=cpu" in plan
        expected, got = rows(spark.sql(query)), rows(ray.sql(query))
        assert len(got) == len(expected) > 0, function
        if function.startswith("transcribe") and not close(sorted(got), sorted(expected)):
            differing.append((function, sorted(got), sorted(expected)))  # see the xfail below
            continue
        assert close(sorted(got), sorted(expected)), function
    assert "window" in str(rows(ray.sql(queries["transcribe"])))  # real speech came back

    pools = {r["function"]: r for r in ray.sql(
        "SELECT function, sum(actors) AS actors, sum(model_loads) AS loads, sum(rows) AS rows, "
        "sum(failures) AS failures FROM system.runtime.udf_pools WHERE batch_size IN (7, 42, 43, 44, 45) "
        "GROUP BY function").to_pylist()}
    assert set(pools) == set(GPU_CLASS)
    for function, p in pools.items():
        # One model load per actor, however many Spark tasks (6 for embed_text) fed the pool.
        assert p["loads"] == p["actors"] >= 1 and p["failures"] == 0, (function, p)
    assert pools["embed_text"]["loads"] <= 2 and pools["embed_text"]["rows"] == 300  # EXPLAIN ran nothing
    if differing:
        # Known defect, open (2026-11-30, on a machine set up that day: ray 2.60, ctranslate2 4.8.5,
        # faster-whisper 1.2.1, av 18.1): Whisper tiny.en's output for b.wav varies between runs,
        # in Spark workers and Ray actors alike ("Look at that other mat.", or a segment ending at
        # 2.56 s instead of 2.0), while the same model in one plain process gave the same output
        # at 1, 2 and 4 threads. Every other assertion of this test still holds.
        pytest.xfail(f"transcription differs between the Ray and Spark placements: {differing}")


def test_a_statement_mixing_spark_and_ray_placements(media, home):
    s = connect(home, media.current_catalog, udf__embed_text__batch_size=3)
    query = "SELECT name, embed_text(ocr(content)) AS v FROM pics"
    plan = rows(s.sql(f"EXPLAIN {query}"))[0][0]
    assert "udf=ocr placement=spark device=cpu batch_size=16 actors=- as ll_ocr" in plan
    assert re.search(r"udf=embed_text placement=ray device=cpu batch_size=3 actors=0\.\.\d as ll_embed_text", plan)
    assert pool_rows(s, 3) == []  # EXPLAIN starts no pool
    out = rows(s.sql(query))
    assert len(out) == 5 and all(len(v) == 384 for _, v in out)
    assert sum(r["rows"] for r in pool_rows(s, 3)) == 5


def _run_in_thread(s, query):
    box = {}

    def target():
        try:
            box["table"] = s.sql(query)
        except BaseException as e:  # handed to the test
            box["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def _kill_an_actor_once_busy(thread, batch_size: int, after_batches: int) -> None:
    """SIGKILL one model actor of the pool with `batch_size` once it has done some batches
    (polled straight from the pools: fast enough to catch the statement mid-way). Waits for
    that state however long a cold machine takes, while the statement runs."""
    from lakelens.engine.pools.client import pool_pids
    from lakelens.engine.pools.client import pool_rows as live_pools
    from lakelens.engine.runtime import Runtime

    while thread.is_alive():
        pools = [p for p in live_pools() if p["batch_size"] == batch_size] if Runtime.get().ray_started else []
        if pools and sum(p["batches"] for p in pools) >= after_batches:
            os.kill(pool_pids()[pools[0]["pool"]][0], signal.SIGKILL)
            return
        time.sleep(0.05)
    raise AssertionError("the statement ended before an actor could be killed")


LONG = "SELECT id, embed_text(concat('row ', id, ' of a long statement')) AS e FROM range(0, {n}, 1, 2)"


def test_a_killed_actor_is_replaced_and_every_row_comes_back_once(lake, home):
    # num_cpus=0: warm actors (min_actors) of a test must not hold the CPUs later tests need.
    conf = dict(udf__embed_text__placement="ray", udf__embed_text__batch_size=11, udf__embed_text__min_actors=2,
                udf__embed_text__max_actors=2, udf__embed_text__num_cpus=0)
    s = connect(home, **conf)
    thread, box = _run_in_thread(s, LONG.format(n=3000))
    _kill_an_actor_once_busy(thread, 11, after_batches=10)
    thread.join()
    assert "error" not in box, box.get("error")
    table = box["table"]
    assert sorted(table.column("id").to_pylist()) == list(range(3000))  # every row, once
    again = {r["id"]: r["e"] for r in s.sql(LONG.format(n=3000)).to_pylist()}
    assert all(close(r["e"], again[r["id"]]) for r in table.to_pylist())
    pools = pool_rows(lake, 11)
    assert sum(p["failures"] for p in pools) == 1
    assert sum(p["rows"] for p in pools) == 6000  # both runs; the retried batch counted once


def test_a_batch_whose_actor_keeps_dying_fails_the_statement_clearly(lake, home):
    s = connect(home, udf__embed_text__placement="ray", udf__embed_text__batch_size=12,
                udf__embed_text__min_actors=1, udf__embed_text__max_actors=1, udf__embed_text__num_cpus=0,
                udf__embed_text__max_retries=0)
    thread, box = _run_in_thread(s, LONG.format(n=20000))
    _kill_an_actor_once_busy(thread, 12, after_batches=5)
    thread.join()
    error = box.get("error")
    assert isinstance(error, LakelensError), box
    assert error.sqlstate == "58000"
    assert re.search(r"\[UDF_POOL_ERROR\] embed_text: the Ray actor running a batch of \d+ rows died 1 time\(s\)", str(error))
    assert "udf.embed_text.max_retries = 0" in str(error)
    assert rows(s.sql("SELECT upper('still here')")) == [("STILL HERE",)]


def test_an_unreachable_ray_address_fails_at_first_use_and_spark_keeps_working(lake, home):
    port = free_port()
    s = connect(home, ray__address=f"127.0.0.1:{port}")
    with pytest.raises(LakelensError, match=rf"\[RAY_UNAVAILABLE\] cannot reach Ray at 127\.0\.0\.1:{port} \(ray\.address\)"):
        s.sql("SELECT embed_text('hello')")
    assert rows(s.sql("SELECT upper('ok'), clean_text('  a   b ')")) == [("OK", "a b")]
    s = connect(home, ray__address=f"127.0.0.1:{port}", udf__embed_text__placement="spark")
    assert len(rows(s.sql("SELECT embed_text('hello')"))[0][0]) == 384


# ---------------------------------------------------------------------- real clusters
BIN = Path(sys.executable).parent
SUM_QUERY = ("SELECT count(*) AS n, count(DISTINCT id) AS ids, round(sum(aggregate(e, 0D, (a, x) -> a + x)), 3) AS total "
             "FROM (SELECT id, embed_text(concat('sentence ', id)) AS e FROM range(0, 1500, 1, 4))")


def _wait_port(port: int, process: subprocess.Popen) -> None:
    """Until `process` listens on `port` (however long it takes to start), or fail if it exits."""
    while process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the process meant to listen on port {port} exited with {process.returncode}")


def _kill_matching(text: str) -> None:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass


@pytest.mark.slow
def test_a_statement_runs_across_a_spark_standalone_cluster_and_a_two_node_ray_cluster(home, tmp_path, s3):
    """Spark's worker and both Ray nodes run with their own working directory and LAKELENS_HOME;
    the driver's warehouse is on the S3 server, so the data they read and write (a volume of
    scans, a Delta CTAS with ocr and Ray-placed embed_text, an Iceberg INSERT) is reached only
    through object storage, never through the driver's disk."""
    from lakelens.engine.cli.demo import render_text_png

    # The suite's own local Ray is loopback-only; a multi-node cluster needs Ray's defaults.
    env = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    env.update(RAY_AUTH_MODE="token", RAY_USAGE_STATS_ENABLED="0", SPARK_HOME=str(PYSPARK_HOME))

    def own(name: str) -> dict:
        """`env` for one cluster process: a LAKELENS_HOME and working directory of its own."""
        (tmp_path / name / "cwd").mkdir(parents=True)
        return {**env, "LAKELENS_HOME": str(tmp_path / name / "home")}

    scans = tmp_path / "scans"
    scans.mkdir()
    for name, text in (("one.png", "INVOICE 7 TOTAL 12 EUR"), ("two.png", "MEET AT NOON")):
        render_text_png(text, scans / name)
    driver_home = tmp_path / "home"
    driver_home.mkdir()
    (driver_home / "lakelens.toml").write_text(f'[warehouse]\npath = "s3://lake/cluster-{tmp_path.name}"\n'
                                               + s3_toml(s3))
    temp = tempfile.mkdtemp(prefix="/tmp/llray")  # short: Ray's unix sockets live under it
    port, master_port, worker_port = free_port(), free_port(), free_port()
    logs = open(tmp_path / "cluster.log", "w")
    spark = []
    try:
        head = subprocess.run([BIN / "ray", "start", "--head", f"--port={port}", "--num-cpus=1", "--node-name=head",
                               "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
                              env=own("ray-head"), cwd=tmp_path / "ray-head" / "cwd", capture_output=True, text=True,
                              timeout=180)
        address = re.search(r"--address='([^']+)'", head.stdout + head.stderr)
        assert head.returncode == 0 and address, head.stderr[-3000:]
        address = address.group(1)
        second = subprocess.run([BIN / "ray", "start", f"--address={address}", "--num-cpus=2", "--node-name=second",
                                 "--disable-usage-stats"], env=own("ray-second"), cwd=tmp_path / "ray-second" / "cwd",
                                capture_output=True, text=True, timeout=180)
        assert second.returncode == 0, second.stderr[-3000:]
        spark_class = str(PYSPARK_HOME / "bin" / "spark-class")
        spark.append(subprocess.Popen([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                       "--port", str(master_port), "--webui-port", str(free_port())],
                                      env=env, stdout=logs, stderr=logs))
        _wait_port(master_port, spark[-1])
        worker_env = own("spark-worker")
        spark.append(subprocess.Popen([spark_class, "org.apache.spark.deploy.worker.Worker", "--cores", "2",
                                       "--memory", "2g", "--port", str(worker_port), "--webui-port", str(free_port()),
                                       "--work-dir", str(tmp_path / "spark-worker" / "work"),
                                       f"spark://127.0.0.1:{master_port}"], env=worker_env,
                                      cwd=tmp_path / "spark-worker" / "cwd", stdout=logs, stderr=logs))
        done = subprocess.run(
            [BIN / "lakelens", "--home", str(tmp_path / "home"), "--conf", f"spark.master=spark://127.0.0.1:{master_port}",
             "--conf", f"ray.address={address}", "--conf", "udf.embed_text.min_actors=2", "--conf",
             "udf.embed_text.max_actors=2", "--conf", "udf.embed_text.batch_size=50", "sql", "--format", "csv",
             f"{SUM_QUERY}; SELECT node, actors, batches FROM system.runtime.udf_pools ORDER BY node; "
             f"CREATE VOLUME scans; PUT '{scans}/' INTO '/Volumes/main/default/scans/'; "
             "CREATE TABLE scanned AS SELECT name, ocr(content) AS text, embed_text(ocr(content)) AS e FROM scans; "
             "CREATE TABLE words (name STRING, n INT) USING iceberg; "
             "INSERT INTO words SELECT name, size(split(text, ' ')) FROM scanned; "
             "SELECT s.name, s.text, w.n, size(s.e) AS dims FROM scanned s JOIN words w ON s.name = w.name "
             "ORDER BY s.name"],
            env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        lines = done.stdout.strip().splitlines()
        scanned = lines[lines.index("name,text,n,dims") + 1:]
        assert scanned == ["one.png,INVOICE 7 TOTAL 12 EUR,5,384", "two.png,MEET AT NOON,3,384"], done.stdout
        lines = lines[:lines.index("path")]
        n, ids, total = lines[1].split(",")
        assert (n, ids) == ("1500", "1500")
        nodes = {line.split(",")[0]: (int(line.split(",")[1]), int(line.split(",")[2])) for line in lines[3:]}
        # The data went to the S3 server only: nothing under the driver's home, and the Spark
        # executors (the worker's own cwd) wrote nothing beside their logs and jars.
        stored = [p.relative_to(s3.data_dir / "lake").as_posix()
                  for p in (s3.data_dir / "lake" / f"cluster-{tmp_path.name}").rglob("*") if p.is_file()]
        assert {k.split("/")[1] for k in stored} >= {"tables", "iceberg", "volumes"}, stored
        assert not (driver_home / "warehouse").exists()
        assert not any(p.suffix == ".parquet" for p in (tmp_path / "spark-worker").rglob("*"))
        assert set(nodes) == {"head", "second"}, done.stdout
        assert all(actors == 1 and batches > 0 for actors, batches in nodes.values()), nodes  # work on both
        # The same statement in this process (local Spark, local Ray) gives the same answer.
        local = rows(connect(home, udf__embed_text__batch_size=50, udf__embed_text__num_cpus=0).sql(SUM_QUERY))[0]
        assert local[:2] == (1500, 1500) and abs(local[2] - float(total)) < 1e-2
    finally:
        for p in spark:
            p.kill()
        _kill_matching(f"Worker@127.0.0.1:{worker_port}")  # its executors
        _kill_matching(temp)
        logs.close()
