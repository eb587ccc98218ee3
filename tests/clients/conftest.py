"""Real clients against real gateways.

`server` is `lakelens serve` started as a subprocess (its own Spark JVM), shared by the whole
run; the auth and TLS tests start small in-process gateways on other homes, which answer
catalog statements without Spark.
"""

from __future__ import annotations

import gc
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import s3_toml

PYSPARK_HOME = Path(__import__("pyspark").__file__).parent
BEELINE = PYSPARK_HOME / "bin" / "beeline"
LAKELENS = Path(sys.executable).parent / "lakelens"


@pytest.fixture(autouse=True)
def _collect_dropped_clients():
    """Client objects a test dropped are finalised here, in the test's own thread: an impyla
    cursor closes its session over the network in `__del__`, and when the garbage collector ran
    it inside an in-process server's thread that held the session registry's lock, the server
    deadlocked waiting for itself (seen once, in test_tls_on_both_transports)."""
    yield
    gc.collect()


@dataclass
class Gateway:
    host: str
    port: int
    http_port: int | None
    home: Path
    log: Path | None = None
    process: subprocess.Popen | None = None
    flight_port: int | None = None
    console_url: str | None = None

    @property
    def flight_uri(self) -> str:
        return f"grpc://{self.host}:{self.flight_port}"

    def log_text(self) -> str:
        return self.log.read_text() if self.log else ""

    def wait_for_log(self, pattern: str, hang_guard_s: float = 600) -> str:
        """Until the server logs `pattern`. Fails at once if the server exits; the guard only
        stops a wait for a line that can no longer come from hanging the suite."""
        guard = time.monotonic() + hang_guard_s
        while time.monotonic() < guard:
            m = re.search(pattern, self.log_text())
            if m:
                return m.group(0)
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} never appeared in the server log:\n{self.log_text()[-3000:]}")


def _start_serve(home: Path, *args: str, log_name="serve.log") -> Gateway:
    log = home / log_name
    proc = subprocess.Popen([str(LAKELENS), "--home", str(home), "serve", "--port", "0", "--http-port", "0",
                             "--flight-port", "0", "--console-port", "0", *args],
                            stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    # The banner ends with "Ctrl-C"; a server that exits first closes stdout and ends the loop.
    # Only a server hung before printing it (never seen) would block: the guard kills it.
    guard = threading.Timer(900, proc.kill)
    guard.daemon = True
    guard.start()
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C"):
            break
    guard.cancel()
    text = "".join(lines)
    m = re.search(r"jdbc:hive2://([\d.]+):(\d+)/default", text)
    mh = re.search(r"jdbc:hive2://[\d.]+:(\d+)/default;transportMode=http", text)
    mf = re.search(r"grpc(?:\+tls)?://[\d.]+:(\d+)", text)
    mc = re.search(r"web console (https?://\S+)", text)
    if not m:
        proc.kill()
        raise RuntimeError(f"lakelens serve did not start:\n{text}\n{log.read_text()}")
    return Gateway(m.group(1), int(m.group(2)), int(mh.group(1)) if mh else None, home, log, proc,
                   int(mf.group(1)) if mf else None, mc.group(1).rstrip("/") if mc else None)


def stop_serve(gw: Gateway) -> None:
    """SIGTERM, as an operator stops it: the server must exit 0 having closed everything."""
    gw.process.send_signal(signal.SIGTERM)
    try:
        code = gw.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        gw.process.kill()
        raise AssertionError("lakelens serve did not stop on SIGTERM")
    assert code == 0, gw.log_text()[-2000:]
    assert "gateway stopped" in gw.log_text()


def govern(home: Path, *statements: str, admins: tuple[str, ...] = ("tester",)) -> None:
    """Set up a server's home as its administrator would before serving: `admins` become
    administrators (on `--auth none` servers the name a client sends is trusted, as in
    HiveServer2), then `statements` run as the local user (GRANT …)."""
    import lakelens

    s = lakelens.connect(home=home)
    for name in admins:
        s.catalog.create_user(name, "an-admin-password", admin=True, if_not_exists=True)
    for statement in statements:
        s.sql(statement)


@pytest.fixture(scope="session")
def server(tmp_path_factory, s3):
    """`lakelens serve` (auth none, binary + HTTP) on its own home, stopped with SIGTERM at the end.

    Its administrator lets remote sessions PUT from this run's temporary directories
    (`gateway.local_paths`), so the tests can stage files with SQL as a server-side job would,
    and create external storage under s3://lake/gateway on the run's S3 server."""
    home = tmp_path_factory.mktemp("gateway-home")
    # Remote users may put external volumes and tables under s3://lake/gateway (the run's S3 server).
    (home / "lakelens.toml").write_text(f'[gateway]\nlocal_paths = ["{tmp_path_factory.getbasetemp()}"]\n'
                                        + s3_toml(s3, storage='external_roots = ["s3://lake/gateway"]'))
    # `tester` administers it; everyone else (dbt, analysts) works in catalog main.
    # dbt's grants tests grant to DBT_TEST_USER_1..3 (tests/clients/test_dbt_adapter.py).
    govern(home, "GRANT ALL PRIVILEGES ON CATALOG main TO `account users`",
           *(f"CREATE USER IF NOT EXISTS dbt_test_user_{i}" for i in (1, 2, 3)))
    gw = _start_serve(home)
    yield gw
    stop_serve(gw)


def hive_connect(gw: Gateway, auth="NONE", user="tester", **kw):
    from pyhive import hive

    return hive.connect(gw.host, gw.port, username=user, auth=auth, **kw)


@pytest.fixture(scope="session")
def shop(server, tmp_path_factory):
    """A catalog `gw` with a Delta table of every common type and a volume of PNGs, made through
    the gateway itself. Returns the local files put into the volume."""
    from PIL import Image, ImageDraw

    files = tmp_path_factory.mktemp("pngs")
    for i, text in enumerate(["alpha", "beta", "gamma"]):
        img = Image.new("RGB", (120, 40), "white")
        ImageDraw.Draw(img).text((5, 10), text, fill="black")
        img.save(files / f"{text}.png")
    conn = hive_connect(server)
    cur = conn.cursor()
    for stmt in [
        "CREATE CATALOG gw",
        "CREATE SCHEMA gw.shop COMMENT 'test shop'",
        "CREATE TABLE gw.shop.items (id INT, name STRING, price DECIMAL(10,2), tags ARRAY<STRING>, "
        "added DATE, seen TIMESTAMP, payload BINARY, score DOUBLE, big BIGINT, ok BOOLEAN) "
        "USING delta COMMENT 'items for sale'",
        "INSERT INTO gw.shop.items VALUES "
        "(1, 'pen', 1.50, array('office','blue'), DATE'2026-01-02', TIMESTAMP'2026-01-02 03:04:05.120', "
        "X'00FF10', 0.5, 9000000000, true), "
        "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
        "(3, 'ünïcødé ✓', 99999999.99, array(), DATE'1999-12-31', TIMESTAMP'1999-12-31 23:59:59', X'', -1e300, -1, false)",
        "CREATE VIEW gw.shop.cheap AS SELECT id, name FROM gw.shop.items WHERE price < 10",
        "CREATE VOLUME gw.shop.images COMMENT 'png files'",
        f"PUT '{files}/' INTO '/Volumes/gw/shop/images/'",
        # The shop is open to every user for reading (beeline's tests sign in as `analyst`).
        "GRANT USE CATALOG, USE SCHEMA, SELECT, READ VOLUME ON CATALOG gw TO `account users`",
    ]:
        cur.execute(stmt)
    conn.close()
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_process_gateway(home: Path, **kw):
    """A GatewayServer in this process on its own home (no Spark warm-up)."""
    from lakelens.engine.config import Config
    from lakelens.engine.gateway import GatewayServer

    cfg = Config.load(home, {"gateway.status_long_poll_s": "1"})
    return GatewayServer(cfg, host="127.0.0.1", port=0, http_port=0, warm_spark=False, **kw).start()


CONSOLE_USERS = {"admin": "admin-password-1", "alice": "alice-password-1"}


@pytest.fixture(scope="session")
def console(tmp_path_factory):
    """`lakelens serve --auth plain` on the demo lakehouse (`lakelens demo`), for the web
    console's tests. `admin` administers it; `alice` reads the demo (as every user may) and
    writes the volume demo.media.uploads; catalog `hr` (a volume of badge photos) is not hers."""
    import lakelens
    from PIL import Image

    from lakelens.engine.cli.demo import build_demo

    home = tmp_path_factory.mktemp("console-home")
    # Small enough that the test of an over-large upload sends little.
    (home / "lakelens.toml").write_text("[gateway.files]\nmax_upload_bytes = 4194304\n")
    s = lakelens.connect(home=home)
    build_demo(s)
    for name, password in CONSOLE_USERS.items():
        s.catalog.create_user(name, password, admin=name == "admin")
    badges = tmp_path_factory.mktemp("badges")
    Image.new("RGB", (64, 64), "navy").save(badges / "ceo.png")
    for statement in ["CREATE VOLUME demo.media.uploads COMMENT 'files users upload'",
                      "GRANT READ VOLUME, WRITE VOLUME ON VOLUME demo.media.uploads TO alice",
                      "CREATE CATALOG hr COMMENT 'people data'", "CREATE SCHEMA hr.staff",
                      "CREATE VOLUME hr.staff.badges", f"PUT '{badges}/ceo.png' INTO '/Volumes/hr/staff/badges/ceo.png'"]:
        s.sql(statement)
    gw = _start_serve(home, "--auth", "plain", log_name="console-serve.log")
    yield gw
    stop_serve(gw)
