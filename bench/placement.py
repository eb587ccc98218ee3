"""GPU-class functions: Spark placement vs Ray actor pools vs a plain loop, and memory.

Run `python bench/placement.py` (or `make bench`). One run, same workload for each variant:

* (a) `spark`: `udf.<fn>.placement = spark` — the model runs in Spark's Python workers;
* (b) `ray`: `udf.<fn>.placement = ray` — Spark's workers feed a Ray actor pool (defaults:
  CPU actors here, one per core, `batch_size` rows per actor call);
* (c) `loop`: a plain Python loop over the same inputs with the same model and batch size.

Workloads: `embed_text` over generated sentences (default 20,000; `--sentences 50000` for the
issue's size) and `transcribe` over espeak-ng clips (default 100). Each variant runs in its
own process (a clean process tree: the JVM, Spark's Python workers, Ray's processes), is
warmed on a small slice first (models loaded), then timed. Reported: rows/s, (b)/(c) (target
≥ 0.9) and (b)/(a).

Memory: the peak resident memory of the whole process tree while `embed_text` runs with
`--tasks` Spark tasks at once (`local[N]`, N partitions), (a) against (b) with one actor:
Spark loads one model per Python worker, the pool one per actor.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PeakTreeMemory, report  # noqa: E402

SPOKEN = ["please send the report by friday", "open the window and turn on the light",
          "the weather is sunny and warm today", "hello and welcome to the demo"]


def sentence_sql(n: int, partitions: int) -> str:
    return (f"SELECT concat('sentence ', id, ' about ', element_at(array('lakes', 'tables', 'models', 'images'), "
            f"CAST(id % 4 + 1 AS INT)), ' and rows of data') AS s FROM range(0, {n}, 1, {partitions})")


def sentences(n: int) -> list[str]:
    topics = ["lakes", "tables", "models", "images"]
    return [f"sentence {i} about {topics[i % 4]} and rows of data" for i in range(n)]


def _process_counts() -> dict:
    """Spark Python workers and Ray model actors alive in this process tree."""
    import os

    names = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                names.append(Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                pass
    return {"spark_workers": max(0, sum("pyspark.daemon" in n for n in names) - 1),
            "ray_actors": sum(n.startswith("ray::ModelActor") for n in names)}


# ----------------------------------------------------------------------------- child process
def child(args) -> dict:
    """One variant, one workload, in this (fresh) process: warm up, then time it."""
    if args.variant == "loop":
        return child_loop(args)
    import lakelens

    conf = {f"udf.{args.function}.placement": args.variant, "spark.master": f"local[{args.tasks}]"}
    if args.max_actors:
        conf[f"udf.{args.function}.max_actors"] = str(args.max_actors)
    home = tempfile.mkdtemp(prefix="bench-placement-")
    s = lakelens.connect(home=home, conf=conf)
    if args.function == "embed_text":
        def query(n):
            return (f"SELECT sum(size(embed_text(s))) FROM ({sentence_sql(n, args.tasks)})")
        warm, n = 256, args.rows
    else:
        s.sql("CREATE VOLUME main.default.clips")
        s.sql(f"PUT '{args.clips}/' INTO '/Volumes/main/default/clips/'")
        s.sql("CREATE VOLUME main.default.warm")
        s.sql(f"PUT '{args.clips}/00000.wav' INTO '/Volumes/main/default/warm/'")

        def query(n):
            table = "warm" if n == 1 else "clips"
            return f"SELECT sum(length(transcribe(content))) FROM main.default.{table}"
        warm, n = 1, args.rows
    s.sql(query(warm))  # models loaded (Spark's workers or the pool's actors)
    with PeakTreeMemory() as mem:
        start = time.perf_counter()
        s.sql(query(n))
        seconds = time.perf_counter() - start
        counts = _process_counts()
    out = {"seconds": seconds, "rows": n, "peak_rss_gib": mem.peak / 2**30, **counts}
    if args.variant == "ray":
        loads = s.sql(f"SELECT sum(model_loads) FROM system.runtime.udf_pools WHERE function = '{args.function}'")
        out["model_loads"] = loads.column(0)[0].as_py()
    return out


def child_loop(args) -> dict:
    from bench.functions import LoopEmbedText, LoopTranscribe

    if args.function == "embed_text":
        model, items = LoopEmbedText(), sentences(args.rows)
        model(items[:256])
    else:
        model, items = LoopTranscribe(), [p.read_bytes() for p in sorted(Path(args.clips).iterdir())][:args.rows]
        model(items[:1])
    with PeakTreeMemory() as mem:
        start = time.perf_counter()
        model(items)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(items), "peak_rss_gib": mem.peak / 2**30}


def run_child(variant: str, function: str, rows: int, tasks: int, clips: Path, max_actors: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", variant, "--function", function, "--rows", str(rows),
           "--tasks", str(tasks), "--clips-dir", str(clips), "--max-actors", str(max_actors)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} {function} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_clips(folder: Path, n: int) -> Path:
    from lakelens.engine.cli.demo import speak_wav

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        speak_wav(SPOKEN[i % len(SPOKEN)], folder / f"{i:05d}.wav")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=20_000)
    ap.add_argument("--clips", type=int, default=100)
    ap.add_argument("--tasks", type=int, default=4, help="Spark tasks at once in the memory comparison")
    ap.add_argument("--child", choices=["spark", "ray", "loop"], help=argparse.SUPPRESS)
    ap.add_argument("--function", help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--max-actors", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--clips-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.variant, args.clips = args.child, Path(args.clips_dir)
        print(json.dumps(child(args)))
        return

    import os

    cores = os.cpu_count() or 1
    root = Path(tempfile.mkdtemp(prefix="bench-placement-"))
    clips = make_clips(root / "clips", args.clips)
    rows = []
    for function, n in (("embed_text", args.sentences), ("transcribe", args.clips)):
        got = {v: run_child(v, function, n, cores, clips) for v in ("spark", "ray", "loop")}
        rate = {v: r["rows"] / r["seconds"] for v, r in got.items()}
        rows.append({"function": function, "rows": n, "spark_rows_s": rate["spark"], "ray_rows_s": rate["ray"],
                     "loop_rows_s": rate["loop"], "ray/loop": rate["ray"] / rate["loop"],
                     "ray/spark": rate["ray"] / rate["spark"], "ray_model_loads": got["ray"].get("model_loads")})
        print(rows[-1], flush=True)
    report("placement_throughput", rows)

    n = max(2_000, args.sentences // 4)
    memory = []
    for variant, max_actors in (("spark", 0), ("ray", 1)):
        r = run_child(variant, "embed_text", n, args.tasks, clips, max_actors)
        memory.append({"variant": variant, "spark_tasks": args.tasks, "rows": n, "rows_s": n / r["seconds"],
                       "peak_tree_rss_gib": r["peak_rss_gib"], "spark_python_workers": r["spark_workers"],
                       "ray_model_actors": r["ray_actors"], "model_loads": r.get("model_loads")})
    loop = run_child("loop", "embed_text", n, args.tasks, clips)
    memory.append({"variant": "loop", "spark_tasks": 0, "rows": n, "rows_s": n / loop["seconds"],
                   "peak_tree_rss_gib": loop["peak_rss_gib"]})
    report("placement_memory", memory)


if __name__ == "__main__":
    main()
