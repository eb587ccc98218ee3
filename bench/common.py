"""Helpers shared by the benchmarks: timing, a results table, JSON output."""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def report(name: str, rows: list[dict]) -> None:
    from tabulate import tabulate

    print(tabulate(rows, headers="keys", tablefmt="psql", floatfmt=".3f"))
    RESULTS.mkdir(exist_ok=True)
    payload = {"benchmark": name, "machine": platform.node(), "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "rows": rows}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2))
    print(f"wrote {path}")
