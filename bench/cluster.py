"""Scale-out with the warehouse on object storage, tried for real on one machine.

Starts an S3 server (Versity Gateway), a Spark standalone master and one worker (from the pip
package's `spark-class`), and a two-node Ray cluster (a head and a second node), every worker
with its own working directory and its own LAKELENS_HOME, and *no shared local directory*
for data: the warehouse is `s3://lake/cluster`. Then, as a client would:

1. a driver process runs a Delta CTAS from a volume with `ocr(content)` (Spark's Python
   workers) and `embed_text` (placed on the Ray actor pool), and an Iceberg INSERT;
2. `lakelens serve` on the same home, and PyHive reads the results back through the gateway.

It prints what each step returned and where the data is, and exits non-zero when a check
fails. Needs `make s3-server`, Tesseract, and ~6 GB of memory.

    python bench/cluster.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
SPARK_CLASS = Path(__import__("pyspark").__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str) -> None:
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


def env_for(home: Path, cwd: Path) -> dict:
    """The environment of one process of the cluster: a LAKELENS_HOME of its own. A multi-node
    Ray cluster uses Ray's defaults (not the loopback-only local mode) with token auth."""
    cwd.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    env.update(LAKELENS_HOME=str(home), PYSPARK_PYTHON=sys.executable, RAY_AUTH_MODE="token",
               RAY_USAGE_STATS_ENABLED="0", SPARK_HOME=str(SPARK_CLASS.parent.parent))
    return env


DRIVER = r'''
import json, sys
import lakelens
s = lakelens.connect()
out = {}
def q(name, sql):
    t = s.sql(sql)
    out[name] = t.to_pylist() if t.num_rows < 50 else t.num_rows
q("volume", "CREATE VOLUME IF NOT EXISTS scans")
q("put", "PUT '%(scans)s/' INTO '/Volumes/main/default/scans/' OVERWRITE")
q("ctas", "CREATE OR REPLACE TABLE scanned AS SELECT name, ocr(content) AS text, "
          "embed_text(ocr(content)) AS embedding FROM scans")
q("rows", "SELECT name, text, size(embedding) AS dims FROM scanned ORDER BY name")
q("iceberg", "CREATE TABLE IF NOT EXISTS words (name STRING, words INT) USING iceberg")
q("insert", "INSERT INTO words SELECT name, size(split(text, ' ')) FROM scanned")
q("pools", "SELECT function, node, actors, rows FROM system.runtime.udf_pools")
q("grant", "GRANT USE SCHEMA, SELECT ON SCHEMA main.default TO `account users`")
q("executors", "SELECT 1")
print("RESULT " + json.dumps(out, default=str))
'''


def main() -> int:
    from lakelens.engine.cli.demo import SCANS, render_text_png
    from lakelens.engine.devstore import S3Server

    base = Path(tempfile.mkdtemp(prefix="lakelens-cluster-"))
    procs: list[subprocess.Popen] = []
    server = S3Server(base / "s3-data", access_log=base / "s3-access.log").start()
    server.create_bucket("lake")
    ray_port = free_port()
    try:
        # -- Spark standalone: a master and one worker with its own cwd and LAKELENS_HOME.
        master_port = free_port()
        master = subprocess.Popen([str(SPARK_CLASS), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                   "--port", str(master_port), "--webui-port", str(free_port())],
                                  env=env_for(base / "master-home", base / "master-cwd"), cwd=base / "master-cwd",
                                  stdout=open(base / "master.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(master)
        wait_port(master_port, master, "spark master")
        worker = subprocess.Popen([str(SPARK_CLASS), "org.apache.spark.deploy.worker.Worker",
                                   f"spark://127.0.0.1:{master_port}", "--host", "127.0.0.1", "--cores", "2",
                                   "--memory", "4g", "--work-dir", str(base / "worker-work"),
                                   "--webui-port", str(free_port())],
                                  env=env_for(base / "worker-home", base / "worker-cwd"), cwd=base / "worker-cwd",
                                  stdout=open(base / "worker.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(worker)
        while "Successfully registered with master" not in (base / "worker.log").read_text(errors="replace"):
            if worker.poll() is not None:
                raise SystemExit("spark worker exited")
            time.sleep(0.5)
        print(f"spark: master spark://127.0.0.1:{master_port}, one worker (work dir {base / 'worker-work'})")

        # -- Ray: a head and a second node, each with its own LAKELENS_HOME.
        ray = str(VENV_BIN / "ray")
        temp = tempfile.mkdtemp(prefix="/tmp/llray")  # short: Ray's unix sockets live under it
        head = subprocess.run([ray, "start", "--head", "--port", str(ray_port), "--node-name=head",
                               "--num-cpus", "1", "--include-dashboard=false", "--disable-usage-stats",
                               f"--temp-dir={temp}"],
                              env=env_for(base / "ray-head-home", base / "ray-head-cwd"), cwd=base / "ray-head-cwd",
                              capture_output=True, text=True)
        if head.returncode:
            raise SystemExit(head.stdout + head.stderr)
        address = re.search(r"--address='([^']+)'", head.stdout + head.stderr).group(1)
        node = subprocess.run([ray, "start", f"--address={address}", "--node-name=second",
                               "--num-cpus", "1", "--disable-usage-stats"],
                              env=env_for(base / "ray-node-home", base / "ray-node-cwd"), cwd=base / "ray-node-cwd",
                              capture_output=True, text=True)
        if node.returncode:
            raise SystemExit(node.stdout + node.stderr)
        print(f"ray: head and a second node at {address}")

        # -- The driver's home: warehouse on S3, Spark and Ray clusters.
        home = base / "driver-home"
        home.mkdir()
        conf = "".join(f'"{k}" = "{v}"\n' for k, v in server.s3a_conf(prefix="hadoop.").items())
        (home / "lakelens.toml").write_text(
            f'[warehouse]\npath = "s3://lake/cluster"\n[ray]\naddress = "{address}"\n'
            f'[udf.embed_text]\nplacement = "ray"\nmin_actors = 2\nmax_actors = 2\nnum_cpus = 1\n'
            f'[spark]\nmaster = "spark://127.0.0.1:{master_port}"\n"executor.memory" = "2g"\n'
            f'"cores.max" = "2"\n{conf}')
        scans = base / "scans"
        scans.mkdir()
        for name, text, _ in SCANS:
            render_text_png(text, scans / name)
        started = time.time()
        run = subprocess.run([sys.executable, "-c", DRIVER % {"scans": scans}], env=env_for(home, base / "driver-cwd"),
                             cwd=base / "driver-cwd", capture_output=True, text=True)
        line = next((l for l in run.stdout.splitlines() if l.startswith("RESULT ")), None)
        if run.returncode or line is None:
            print(run.stdout[-3000:], run.stderr[-5000:])
            return 1
        result = json.loads(line[len("RESULT "):])
        print(f"driver ({time.time() - started:.0f} s):")
        for r in result["rows"]:
            print(f"  {r['name']:<18} {r['text']!r:<32} embedding dims {r['dims']}")
        print("  udf pools:", result["pools"])

        # -- Read back through the gateway.
        gw = subprocess.Popen([str(VENV_BIN / "lakelens"), "serve", "--port", "0", "--no-http"],
                              env=env_for(home, base / "gateway-cwd"), cwd=base / "gateway-cwd",
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(gw)
        port = None
        for out in gw.stdout:
            m = re.search(r"HiveServer2 .*?127\.0\.0\.1:(\d+)", out) or re.search(r"jdbc:hive2://127\.0\.0\.1:(\d+)", out)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            raise SystemExit("lakelens serve did not start")
        from pyhive import hive

        cur = hive.connect("127.0.0.1", port, username="reader").cursor()
        cur.execute("SELECT s.name, s.text, w.words FROM main.default.scanned s JOIN main.default.words w "
                    "ON s.name = w.name ORDER BY s.name")
        back = cur.fetchall()
        print("read back through the gateway (PyHive):")
        for r in back:
            print("  ", r)

        # -- Where the data is.
        stored = sorted(p.relative_to(base / "s3-data" / "lake").as_posix()
                        for p in (base / "s3-data" / "lake").rglob("*") if p.is_file())
        print(f"objects on the S3 server: {len(stored)} "
              f"(tables/ {sum(k.startswith('cluster/tables/') for k in stored)}, "
              f"iceberg/ {sum(k.startswith('cluster/iceberg/') for k in stored)}, "
              f"volumes/ {sum(k.startswith('cluster/volumes/') for k in stored)})")
        print("driver home holds a warehouse directory:", (home / "warehouse").exists())
        app_dirs = list((base / "worker-work").glob("app-*/*"))
        print("executor work directories:", [str(p.relative_to(base)) for p in app_dirs])
        ok = (len(back) == len(SCANS) and all(r[1] for r in back) and not (home / "warehouse").exists()
              and all(r["dims"] == 384 for r in result["rows"]))
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        for pid in os.listdir("/proc"):  # this run's Ray processes (their temp dir names them)
            try:
                if pid.isdigit() and str(base) in Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace"):
                    os.kill(int(pid), 9)
            except OSError:
                pass
        server.stop()
        shutil.rmtree(base, ignore_errors=True) if os.environ.get("KEEP") is None else print("kept", base)


if __name__ == "__main__":
    sys.exit(main())
