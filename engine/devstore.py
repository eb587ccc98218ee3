"""A local S3-compatible server for the tests, the benchmarks and the demo: Versity Gateway.

Versity Gateway (Apache 2.0) is a real S3 server, not a mock: objects are plain files under
one directory per bucket. `make s3-server` builds it once with `go install` (~2.5 min here)
into ~/.cache/lakelens/bin; `lakelens s3-server` runs it on loopback and prints the
configuration lakelens (and Spark) need to use it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

MODULE = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"
DEFAULT_BINARY = Path("~/.cache/lakelens/bin/versitygw").expanduser()


def binary() -> str:
    """The versitygw executable: $LAKELENS_VERSITYGW, the cached build, or one on PATH."""
    for candidate in (os.environ.get("LAKELENS_VERSITYGW"), str(DEFAULT_BINARY), shutil.which("versitygw")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(f"no versitygw binary: run `make s3-server` (GOBIN=~/.cache/lakelens/bin go install {MODULE})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """One versitygw process serving `data_dir` on 127.0.0.1 (each subdirectory a bucket)."""

    def __init__(self, data_dir: str | os.PathLike, *, port: int = 0, access_key: str = "lakelens",
                 secret_key: str | None = None, access_log: str | os.PathLike | None = None):
        self.data_dir = Path(data_dir)
        self.port = port or _free_port()
        self.access_key = access_key
        self.secret_key = secret_key or secrets.token_hex(16)
        self.access_log = Path(access_log) if access_log else None
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def s3a_conf(self, prefix: str = "spark.hadoop.") -> dict[str, str]:
        """The s3a settings that point Spark (and lakelens' Python side) at this server."""
        return {f"{prefix}fs.s3a.endpoint": self.endpoint, f"{prefix}fs.s3a.access.key": self.access_key,
                f"{prefix}fs.s3a.secret.key": self.secret_key, f"{prefix}fs.s3a.path.style.access": "true",
                f"{prefix}fs.s3a.endpoint.region": "us-east-1"}

    def start(self) -> "S3Server":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [binary(), "--access", self.access_key, "--secret", self.secret_key,
                "--port", f"127.0.0.1:{self.port}", "--quiet"]
        if self.access_log:
            args += ["--access-log", str(self.access_log)]
        args += ["posix", str(self.data_dir)]
        log = open(self.data_dir.parent / f".versitygw-{self.port}.log", "ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        log.close()
        atexit.register(self.stop)  # its own session survives us otherwise
        # Ready when it accepts connections (however long a busy machine takes); a process
        # that exits first is an error at once.
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"versitygw exited with code {self.process.returncode} "
                                   f"(log: {self.data_dir.parent / f'.versitygw-{self.port}.log'})")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)

    def create_bucket(self, name: str) -> str:
        """A new bucket (the posix backend's bucket is a directory); its s3:// URL."""
        from pyarrow import fs

        filesystem = fs.S3FileSystem(access_key=self.access_key, secret_key=self.secret_key,
                                     endpoint_override=f"127.0.0.1:{self.port}", scheme="http",
                                     region="us-east-1", allow_bucket_creation=True)
        filesystem.create_dir(name)
        return f"s3://{name}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> "S3Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
