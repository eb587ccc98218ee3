"""Time to first result in the web console against beeline, side by side in one run.

One `lakelens serve` on a fresh demo lakehouse (`lakelens demo`), Spark warm. The statement is
`SELECT name, content FROM demo.media.photos` (9 pictures, 17 KB), what a user runs to look at
a volume:

  console   a signed-in page in headless Chromium (Debian's, driven by Playwright): from the
            click on Run to the first row in the grid, and to every thumbnail decoded;
  beeline   `beeline -u jdbc:hive2://… -e '<statement>'` as a user types it: from the command's
            start (its JVM included) to the first result row on its output, and to its exit;
  beeline, connected   the same statement again inside one beeline process (`-f` with it
            `--runs` times): beeline's own "rows selected (x seconds)" for the later runs.

Medians of `--runs` (default 5) after one warm-up each.

    python bench/console.py [--runs 5]
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import report  # noqa: E402
from gateway import BEELINE, LAKELENS, PYSPARK, serve  # noqa: E402

QUERY = "SELECT name, content FROM demo.media.photos"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def start_server(home: Path) -> tuple[subprocess.Popen, int, str]:
    subprocess.run([str(LAKELENS), "--home", str(home), "demo"], check=True, stdout=subprocess.DEVNULL)
    proc, banner = serve(home, "--http-port", "0", "--no-flight", "--console-port", "0")
    port = int(re.search(r"jdbc:hive2://[\d.]+:(\d+)/default", banner).group(1))
    return proc, port, re.search(r"web console (http\S+)", banner).group(1)


def console_times(url: str, runs: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import expect, sync_playwright

    first_row, all_images = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.fill("#login-form input[name=user]", "bench")
        page.click("#login-form button[type=submit]")
        expect(page.get_by_test_id("current-user")).to_have_text("bench", timeout=120_000)
        page.evaluate("sql => window.lakelensConsole.setSql(sql)", QUERY)
        for i in range(runs + 1):
            start = time.perf_counter()
            page.get_by_test_id("run").click()
            page.wait_for_function("""() => {
                const s = document.querySelector('[data-testid=statement-state]');
                return s && s.textContent.includes('FINISHED') &&
                       document.querySelector('[data-testid=results] tbody tr') !== null; }""", timeout=120_000)
            shown = time.perf_counter() - start
            page.wait_for_function("""() => {
                const imgs = [...document.querySelectorAll('[data-testid=results] img.cell-image')];
                return imgs.length === 9 && imgs.every(i => i.complete && i.naturalWidth > 0); }""", timeout=120_000)
            decoded = time.perf_counter() - start
            if i:  # the first run warms the session's Spark state and the browser's caches
                first_row.append(shown)
                all_images.append(decoded)
        browser.close()
    return first_row, all_images


def beeline_cold(port: int, runs: int) -> tuple[list[float], list[float]]:
    first, done = [], []
    env = dict(os.environ, SPARK_HOME=str(PYSPARK))
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen([str(BEELINE), "-u", f"jdbc:hive2://127.0.0.1:{port}/default", "-n", "bench",
                                 "--silent=true", "--incremental=true", "-e", QUERY],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        seen = None
        for line in proc.stdout:
            if seen is None and "photo_" in line:
                seen = time.perf_counter() - start
        proc.wait()
        if proc.returncode != 0 or seen is None:
            raise RuntimeError("beeline failed")
        if i:
            first.append(seen)
            done.append(time.perf_counter() - start)
    return first, done


def beeline_connected(port: int, runs: int, work: Path) -> list[float]:
    script = work / "photos.sql"
    script.write_text((QUERY + ";\n") * (runs + 1))
    out = subprocess.run([str(BEELINE), "-u", f"jdbc:hive2://127.0.0.1:{port}/default", "-n", "bench",
                          "-f", str(script)], capture_output=True, text=True,
                         env=dict(os.environ, SPARK_HOME=str(PYSPARK)))
    times = [float(t) for t in re.findall(r"rows? selected \(([\d.]+) seconds\)", out.stdout + out.stderr)]
    if len(times) != runs + 1:
        raise RuntimeError(f"beeline printed {len(times)} timings:\n{(out.stdout + out.stderr)[-2000:]}")
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        home = Path(tmp)
        proc, port, url = start_server(home)
        try:
            shown, decoded = console_times(url, args.runs)
            cold_first, cold_done = beeline_cold(port, args.runs)
            connected = beeline_connected(port, args.runs, home)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    rows = []
    for client, measured, samples in [
        ("web console", "Run clicked → first row in the grid", shown),
        ("web console", "Run clicked → all 9 thumbnails decoded", decoded),
        ("beeline (new process)", "command start → first row printed", cold_first),
        ("beeline (new process)", "command start → exit", cold_done),
        ("beeline (connected)", "its own 'rows selected (x seconds)'", connected),
    ]:
        rows.append({"client": client, "measured": measured, "median_s": statistics.median(samples),
                     "runs": len(samples), "min_s": min(samples), "max_s": max(samples)})
    report("console", rows)


if __name__ == "__main__":
    main()
