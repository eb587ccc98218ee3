"""A real PostgreSQL server for the metastore tests, started from Debian's binaries."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    if os.environ.get("LAKELENS_TEST_PG_URL"):
        yield os.environ["LAKELENS_TEST_PG_URL"]
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL is not installed: `make test` installs it (Debian package postgresql)")
    bindir = os.path.dirname(bins[-1])
    # Not under pytest's tmp dir: that is private to root and the server runs as `postgres`.
    data = Path(tempfile.mkdtemp(prefix="lakelens-pg-"))
    data.chmod(0o755)
    port = _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(run_as + [f"{bindir}/initdb", "-D", str(data / "db"), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", str(data / "db"), "-o", opts, "-w", "-l",
                             str(data / "log"), "start"], check=True, capture_output=True)
    try:
        subprocess.run(run_as + [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                 "lakelens"], check=True, capture_output=True)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/lakelens"
    finally:
        subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", str(data / "db"), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
