"""A client of a running gateway, for `lakelens shell --connect host:port`.

It speaks HiveServer2 through impyla, like any other client, and offers the same
`run_script` / `current_catalog` / `current_schema` surface the shell uses for an embedded
session.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import time
from pathlib import Path

import pyarrow as pa

from lakelens.errors import LakelensError, strip_class

from lakelens.engine.execution import StatementResult


class RemoteError(LakelensError):
    """An error the gateway reported."""


class RemoteSession:
    """`PUT '<local>' INTO '/Volumes/...'` and `GET '/Volumes/...' TO '<local>'` name this
    machine's files: the client runs them through the server's Files API (on `http_port`),
    like the Databricks SQL connector's staging operations. Everything else goes over Thrift."""

    def __init__(self, address: str, config, user: str | None = None, password: str | None = None, *,
                 http_port: int | None = 10001, use_ssl: bool = False, ca_cert: str | None = None,
                 workspace: str | None = None):
        from impala.dbapi import connect

        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise SystemExit(f"--connect expects HOST:PORT, got {address!r}")
        self.config = config
        self.address = address
        user = user or config.user
        self.files = (FilesClient(f"{'https' if use_ssl or ca_cert else 'http'}://{host}:{http_port}", user,
                                  password or "x", ca_cert) if http_port else None)
        kw = dict(auth_mechanism="PLAIN", user=user, password=password or "x")
        if use_ssl or ca_cert:
            kw.update(use_ssl=True, ca_cert=ca_cert)
        try:
            self._conn = connect(host, int(port), **kw)
            # impyla opens the session with the cursor: the workspace travels in OpenSession's configuration.
            self._cursor = self._conn.cursor(configuration={"lakelens.workspace": workspace} if workspace else None)
        except Exception as e:
            raise RemoteError(f"cannot connect to lakelens at {address}: {e}", error_class="CONNECTION_FAILED",
                              sqlstate="08001") from None
        self.current_catalog, self.current_schema = "?", "?"
        self._refresh_names()

    def _refresh_names(self) -> None:
        self._cursor.execute("SELECT current_catalog(), current_database()")
        self.current_catalog, self.current_schema = self._cursor.fetchall()[0]

    def run_script(self, text: str):
        from lakelens.sql import split_statements

        for statement in split_statements(text):
            start = time.perf_counter()
            local = self._file_transfer(statement)
            if local is not None:
                yield StatementResult(local, statement, time.perf_counter() - start)
                continue
            try:
                self._cursor.execute(statement)
                table = self._table() if self._cursor.description else pa.table({})
            except LakelensError:
                raise
            except Exception as e:
                raise remote_error(e) from None
            yield StatementResult(table, statement, time.perf_counter() - start)
            if re.match(r"\s*USE\b", statement, re.I):
                self._refresh_names()

    def _file_transfer(self, statement: str) -> pa.Table | None:
        return file_transfer(self.files, statement)

    def _table(self) -> pa.Table:
        names = [d[0] for d in self._cursor.description]
        rows = self._cursor.fetchall()
        columns = list(zip(*rows)) if rows else [[] for _ in names]
        return pa.Table.from_arrays([pa.array(list(c)) for c in columns], names=names)

    def close(self) -> None:
        self._conn.close()


def file_transfer(files: "FilesClient | None", statement: str) -> pa.Table | None:
    """PUT/GET run here, between this machine's disk and the Files API; None for the rest."""
    if not re.match(r"\s*(PUT|GET)\s+'", statement, re.I):
        return None
    from lakelens.sql import parse_statement
    from lakelens.sql.dialect import GetFile, PutFile

    stmt = parse_statement(statement)
    if not isinstance(stmt, (PutFile, GetFile)):
        return None
    if files is None:
        raise RemoteError("PUT and GET move files through the server's Files API: give --http-port",
                          error_class="UNSUPPORTED_FEATURE", sqlstate="0A000")
    overwrite = bool(stmt.args.get("overwrite"))
    if isinstance(stmt, PutFile):
        written = files.put(stmt.this, stmt.args["target"], overwrite=overwrite)
        return pa.table({"path": pa.array(written, pa.string())})
    written = files.get(stmt.this, stmt.args["target"], overwrite=overwrite)
    return pa.table({"local_path": pa.array(written, pa.string())})


def remote_error(e: Exception, message: str | None = None) -> RemoteError:
    """A client library's error (or the server's `message` in it) as a RemoteError with the
    server's error class."""
    message = _message(e) if message is None else message
    m = re.match(r"\[([A-Z][A-Z0-9_]+)(?:\.[A-Z0-9_]+)*\]|([A-Z][A-Z_]+):", message)
    return RemoteError(strip_class(message), error_class=(m.group(1) or m.group(2)) if m else "REMOTE_ERROR")


# ---------------------------------------------------------------------- the Files API client
FS = "/api/2.0/fs"
CHUNK = 1 << 20


class FilesClient:
    """A client of the gateway's Files API (engine/gateway/files.py) with the standard
    library's http.client: files stream in 1 MiB pieces both ways, never whole in memory."""

    def __init__(self, server: str, user: str | None = None, password: str | None = None,
                 ca_cert: str | None = None, timeout: float | None = None):
        import ssl
        from urllib.parse import urlsplit

        url = urlsplit(server if "://" in server else f"http://{server}")
        if url.scheme not in ("http", "https") or not url.hostname or url.port is None:
            raise SystemExit(f"--server expects http(s)://HOST:PORT, got {server!r}")
        self.server = f"{url.scheme}://{url.hostname}:{url.port}"
        self.host, self.port, self.timeout = url.hostname, url.port, timeout
        self.context = None
        if url.scheme == "https" or ca_cert:
            if url.scheme != "https":
                raise SystemExit("--ca-cert needs an https:// server")
            self.context = ssl.create_default_context(cafile=ca_cert)
        self.headers = {}
        if user is not None or password is not None:
            token = base64.b64encode(f"{user or ''}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    # ------------------------------------------------------------------ HTTP
    def _connection(self):
        if self.context is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context,
                                               blocksize=CHUNK)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout, blocksize=CHUNK)

    @staticmethod
    def _url(kind: str, volume_path: str, query: dict | None = None) -> str:
        from urllib.parse import quote, urlencode

        url = f"{FS}/{kind}{quote(volume_path, safe='/')}"
        return url + ("?" + urlencode(query) if query else "")

    def _request(self, method: str, kind: str, volume_path: str, *, query=None, body=None, headers=None,
                 expect=(200, 204)):
        conn = self._connection()
        try:
            try:
                conn.request(method, self._url(kind, volume_path, query), body=body,
                             headers={**self.headers, **(headers or {})})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered (401, 409, 413) before taking the whole body: read why
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise RemoteError(f"cannot reach the Files API at {self.server}: {e}", error_class="CONNECTION_FAILED",
                              sqlstate="08001") from None
        if resp.status not in expect:
            text = resp.read(64 * 1024) if method != "HEAD" else b""
            conn.close()
            raise _files_error(resp.status, text, volume_path)
        return conn, resp

    # ------------------------------------------------------------------ operations
    def kind(self, volume_path: str) -> str | None:
        """"file", "directory" or None (nothing there)."""
        for kind, answer in (("files", "file"), ("directories", "directory")):
            try:
                conn, resp = self._request("HEAD", kind, volume_path, expect=(200,))
            except RemoteError as e:
                if e.error_class in ("NOT_FOUND", "INVALID_PARAMETER_VALUE"):
                    continue
                raise
            resp.read()
            conn.close()
            return answer
        return None

    def list(self, volume_path: str) -> list[dict]:
        out, token = [], None
        while True:
            conn, resp = self._request("GET", "directories", volume_path,
                                       query={"page_token": token} if token else None, expect=(200,))
            try:
                page = json.loads(resp.read())
            finally:
                conn.close()
            out += page.get("contents", [])
            token = page.get("next_page_token")
            if not token:
                return out

    def walk(self, volume_path: str):
        """Every file under a directory of a volume: (volume path, path relative to it)."""
        stack = [(volume_path.rstrip("/"), "")]
        while stack:
            directory, rel = stack.pop()
            for entry in self.list(directory):
                child = f"{rel}/{entry['name']}".lstrip("/")
                if entry["is_directory"]:
                    stack.append((entry["path"], child))
                else:
                    yield entry["path"], child

    def upload(self, local: str | os.PathLike, volume_path: str, *, overwrite: bool = False) -> None:
        with open(local, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            conn, resp = self._request("PUT", "files", volume_path,
                                       query={"overwrite": "true" if overwrite else "false"}, body=f,
                                       headers={"Content-Length": str(size),
                                                "Content-Type": "application/octet-stream"}, expect=(204, 200))
        resp.read()
        conn.close()

    def download(self, volume_path: str, local: str | os.PathLike, *, overwrite: bool = False) -> None:
        """To `local` through a hidden temporary file beside it, renamed when complete."""
        import tempfile

        dest = Path(local)
        if dest.exists() and not overwrite:
            raise RemoteError(f"{dest} already exists (use OVERWRITE to replace it)", error_class="ALREADY_EXISTS")
        conn, resp = self._request("GET", "files", volume_path, expect=(200,))
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    expected, got = resp.getheader("Content-Length"), 0
                    while chunk := resp.read(CHUNK):
                        out.write(chunk)
                        got += len(chunk)
                if expected is not None and got != int(expected):
                    raise RemoteError(f"download of {volume_path} ended after {got} of {expected} bytes",
                                      error_class="CONNECTION_FAILED", sqlstate="08006")
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        finally:
            conn.close()

    def mkdir(self, volume_path: str) -> None:
        conn, resp = self._request("PUT", "directories", volume_path, body=b"")
        resp.read()
        conn.close()

    # ------------------------------------------------------------------ copies (cp, PUT, GET)
    def put(self, local: str, dest: str, *, overwrite: bool = False, recursive: bool = True) -> list[str]:
        """Like `VolumeFiles.put` (SQL PUT): a file or directory tree from this machine into a
        volume; into `dest` when it ends with '/' or is a directory. Returns the paths written."""
        src = Path(local).expanduser()
        if not src.exists():
            raise RemoteError(f"{src} does not exist", error_class="PATH_NOT_FOUND", sqlstate="42K03")
        if src.is_dir() and not recursive:
            raise RemoteError(f"{src} is a directory (use -r)", error_class="INVALID_ARGUMENT", sqlstate="22023")
        base = dest.rstrip("/")
        contents_only = src.is_dir() and str(local).endswith("/")
        if (dest.endswith("/") or self.kind(base) == "directory") and not contents_only:
            base = f"{base}/{src.name}"
        pairs = [(src, base)] if src.is_file() else [
            (f, f"{base}/{f.relative_to(src).as_posix()}") for f in sorted(src.rglob("*")) if f.is_file()]
        if not overwrite:
            for _, remote in pairs:
                if self.kind(remote) is not None:
                    raise RemoteError(f"path {remote} already exists (use OVERWRITE to replace it)",
                                      error_class="PATH_ALREADY_EXISTS", sqlstate="42K04")
        written = []
        for f, remote in pairs:
            self.upload(f, remote, overwrite=overwrite)
            written.append(remote)
        return written

    def get(self, src: str, local: str, *, overwrite: bool = False, recursive: bool = True) -> list[str]:
        """Like `VolumeFiles.get` (SQL GET): a file or directory of a volume to this machine."""
        kind = self.kind(src.rstrip("/"))
        if kind is None:
            raise RemoteError(f"{src} does not exist", error_class="PATH_NOT_FOUND", sqlstate="42K03")
        if kind == "directory" and not recursive:
            raise RemoteError(f"{src} is a directory (use -r)", error_class="INVALID_ARGUMENT", sqlstate="22023")
        name = src.rstrip("/").rsplit("/", 1)[-1]
        dest = Path(local).expanduser()
        if dest.is_dir():
            dest = dest / name
        pairs = [(src, dest)] if kind == "file" else [(p, dest / rel) for p, rel in sorted(self.walk(src))]
        if not overwrite:
            for _, d in pairs:
                if d.exists():
                    raise RemoteError(f"{d} already exists (use OVERWRITE to replace it)",
                                      error_class="PATH_ALREADY_EXISTS", sqlstate="42K04")
        out = []
        for remote, d in pairs:
            self.download(remote, d, overwrite=overwrite)
            out.append(str(d))
        return out


def _files_error(status: int, text: bytes, path: str) -> RemoteError:
    by_status = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 409: "ALREADY_EXISTS", 413: "RESOURCE_EXHAUSTED", 429: "REQUEST_LIMIT_EXCEEDED"}
    try:
        payload = json.loads(text)
        code, message = payload.get("error_code") or "REMOTE_ERROR", payload.get("message") or ""
    except ValueError:  # HEAD answers have no body
        code, message = by_status.get(status, "REMOTE_ERROR"), text.decode("utf-8", "replace")[:500]
    if status == 401:
        message = "wrong user name or password for the Files API"
    return RemoteError(strip_class(message) or f"HTTP {status} for {path}", error_class=code)


def _message(e: Exception) -> str:
    text = str(e)
    # impyla wraps the server's message; keep the server's part.
    m = re.search(r"errorMessage='(.*?)'(?:,|\))", text, re.S)
    return m.group(1).encode().decode("unicode_escape") if m else text
