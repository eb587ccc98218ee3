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


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants (the JVM, Spark's Python workers)."""
    import os

    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class PeakTreeMemory:
    """Samples the resident memory of this process tree while the block runs; `.peak` in bytes."""

    def __init__(self, interval: float = 0.2):
        import os
        import threading

        self.interval, self.peak, self._root = interval, 0, os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(self._root))
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = _tree_rss_bytes(self._root)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss_bytes(self._root))
        return False


def bench_admin(home, name: str = "bench") -> None:
    """Make `name` an administrator of the home a benchmark serves (grants are enforced over the
    gateway; these benchmarks measure speed, not permission checks: bench/planning.py does)."""
    from lakelens.engine.config import Config
    from lakelens.engine.session import catalog_for

    catalog_for(Config.load(home)).create_user(name, "bench-password", admin=True, if_not_exists=True)
