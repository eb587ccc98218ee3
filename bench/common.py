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


def _tree_pids(root: int) -> list[int]:
    """`root` and all its descendants (the JVM, Spark's Python workers)."""
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _tree_memory(root: int) -> tuple[int, int]:
    """(RSS, PSS) of the process tree in bytes. RSS counts a page shared by several processes
    once in each (Spark's Python workers are forked from one daemon and share most of it); PSS
    divides it among them, so the PSS sum is what the tree really holds."""
    import os

    page = os.sysconf("SC_PAGE_SIZE")
    rss = pss = 0
    for pid in _tree_pids(root):
        try:
            with open(f"/proc/{pid}/statm") as f:
                resident = int(f.read().split()[1]) * page
            rss += resident
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    pss += next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
            except (OSError, StopIteration):
                pss += resident
        except (OSError, IndexError, ValueError):
            continue
    return rss, pss


class PeakTreeMemory:
    """Samples the memory of this process tree (or `root`'s: a server's) while the block runs:
    `.peak` (the sum of RSS) and `.peak_pss` (the sum of PSS: shared pages counted once), in bytes."""

    def __init__(self, interval: float = 0.2, root: int | None = None):
        import os
        import threading

        self.interval, self.peak, self.peak_pss, self._root = interval, 0, 0, root or os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self):
        rss, pss = _tree_memory(self._root)
        self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)

    def __enter__(self):
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        return False


def bench_admin(home, name: str = "bench") -> None:
    """Make `name` an administrator of the home a benchmark serves (grants are enforced over the
    gateway; these benchmarks measure speed, not permission checks: bench/planning.py does)."""
    from lakelens.engine.config import Config
    from lakelens.engine.session import catalog_for

    catalog_for(Config.load(home)).create_user(name, "bench-password", admin=True, if_not_exists=True)
