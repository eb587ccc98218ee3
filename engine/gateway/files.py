"""The Files API on the gateway's HTTP port, in the shape of Databricks' Files API (2.0).

Remote users move files in and out of volumes with it: SQL `PUT`/`GET` name the server's own
files, so over the gateway they are the wrong tool (a trust boundary, not a shared disk).

    PUT    /api/2.0/fs/files/Volumes/<c>/<s>/<v>/<path>?overwrite=true|false   upload (204)
    GET    /api/2.0/fs/files/Volumes/...        download (Range: bytes=a-b → 206; ?version=n: a
                                                 prior version kept by the recycle bin)
    HEAD   /api/2.0/fs/files/Volumes/...        the download's headers
    DELETE /api/2.0/fs/files/Volumes/...        remove a file (204)
    GET    /api/2.0/fs/directories/Volumes/...  {"contents": [...], "next_page_token": ...}
    PUT    /api/2.0/fs/directories/Volumes/...  create a directory and its parents (204)
    DELETE /api/2.0/fs/directories/Volumes/...  remove an empty directory (204)
    HEAD   /api/2.0/fs/directories/Volumes/...  200 when the directory exists
    GET    /api/2.0/fs/versions/Volumes/...     {"versions": [...]}: LIST VERSIONS of a file or directory

Requests authenticate like Thrift over HTTP (Basic), checked before any body is read. Every
path is percent-decoded once and goes through the catalog's volume resolution
(`Catalog.open_volume` and `VolumeFiles.physical`), which refuses `..`, absolute parts and
symlinks that leave the volume. Uploads stream to a hidden temporary file beside the target
and are renamed into place, so readers never see a partial file and an aborted upload leaves
nothing behind. Errors are JSON: `{"error_code": ..., "message": ...}`.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import re
from urllib.parse import parse_qs, unquote, urlsplit

from lakelens.catalog import AlreadyExists, InvalidPath, LakelensError, NotFound, PermissionDenied

log = logging.getLogger("lakelens.gateway")

PREFIX = "/api/2.0/fs/"
CHUNK = 1 << 20                      # bytes per read and write while streaming
DEFAULT_MAX_UPLOAD = 5 << 30         # gateway.files.max_upload_bytes
MAX_PAGE_SIZE = 1000
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")

_STATUS = {"NOT_FOUND": 404, "ALREADY_EXISTS": 409, "INVALID_PARAMETER_VALUE": 400, "PERMISSION_DENIED": 403,
           "RESOURCE_EXHAUSTED": 413, "UNAUTHENTICATED": 401, "DIRECTORY_NOT_EMPTY": 409,
           "METHOD_NOT_ALLOWED": 405, "INTERNAL_ERROR": 500, "REQUEST_LIMIT_EXCEEDED": 429,
           # the web console's own (engine/console/app.py), which answers with this ApiError too
           "CSRF_TOKEN_MISSING": 403, "CSRF_TOKEN_MISMATCH": 403, "SESSION_LIMIT_REACHED": 429}


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None, headers: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or _STATUS.get(code, 400)
        self.headers = headers or {}


class ClientGone(Exception):
    """The client closed the connection before the request body ended."""


def too_large(limit: int, *, passed: bool = False) -> ApiError:
    """An upload over gateway.files.max_upload_bytes: declared so (refused before its body is
    read), or `passed` it while streaming."""
    said = f"the upload passed the limit of {limit} bytes" if passed else \
        f"the file is larger than the upload limit of {limit} bytes"
    return ApiError("RESOURCE_EXHAUSTED", f"{said} (gateway.files.max_upload_bytes)")


def api_error(e: LakelensError) -> ApiError:
    if e.error_class == "LOGIN_THROTTLED":  # too many failed sign-ins lately (transport.LoginThrottle)
        wait = getattr(e, "retry_after_s", 1)
        return ApiError("REQUEST_LIMIT_EXCEEDED", str(e), 429, {"Retry-After": str(wait)})
    if isinstance(e, NotFound):
        return ApiError("NOT_FOUND", str(e))
    if isinstance(e, AlreadyExists):
        return ApiError("ALREADY_EXISTS", str(e))
    if e.error_class == "DIRECTORY_NOT_EMPTY":
        return ApiError("DIRECTORY_NOT_EMPTY", str(e))
    if isinstance(e, InvalidPath) and "outside" in e.message or isinstance(e, PermissionDenied):
        return ApiError("PERMISSION_DENIED", str(e))
    return ApiError("INVALID_PARAMETER_VALUE", str(e))


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


class _Body:
    """A request body read in pieces: Content-Length or chunked transfer coding."""

    def __init__(self, rfile, length: int | None, chunked: bool):
        self.rfile, self.remaining, self.chunked = rfile, length, chunked
        self.done = length == 0 and not chunked
        self._chunk_left = 0

    def _read(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) < n:
            raise ClientGone(f"request body ended after a short read ({len(data)} of {n} bytes)")
        return data

    def _line(self) -> bytes:
        line = self.rfile.readline(1026)
        if not line.endswith(b"\n"):
            raise ClientGone("malformed or truncated chunked body")
        return line.strip()

    def pieces(self):
        if not self.chunked:
            while self.remaining:
                data = self._read(min(CHUNK, self.remaining))
                self.remaining -= len(data)
                yield data
            self.done = True
            return
        while True:
            if self._chunk_left == 0:
                head = self._line().split(b";", 1)[0]
                try:
                    self._chunk_left = int(head, 16)
                except ValueError:
                    raise ClientGone(f"bad chunk size {head[:20]!r}") from None
                if self._chunk_left == 0:
                    while self._line():  # trailers, up to the empty line
                        pass
                    self.done = True
                    return
            data = self._read(min(CHUNK, self._chunk_left))
            self._chunk_left -= len(data)
            if self._chunk_left == 0 and self._line():
                raise ClientGone("chunk not followed by CRLF")
            yield data


def parse_path(raw: str) -> tuple[str, str, dict]:
    """`files`, `directories` or `versions`; the /Volumes/… path, percent-decoded exactly once;
    the query. Refuses what no volume path can be (NUL, backslashes, anything outside /Volumes/)."""
    parts = urlsplit(raw)
    kind, _, rest = parts.path[len(PREFIX):].partition("/")
    if kind not in ("files", "directories", "versions"):
        raise ApiError("NOT_FOUND", f"no such endpoint: {PREFIX}{kind} "
                                    f"(use {PREFIX}files, {PREFIX}directories or {PREFIX}versions)")
    try:
        path = "/" + unquote(rest, errors="strict")  # decoded exactly once
    except UnicodeDecodeError:
        raise ApiError("INVALID_PARAMETER_VALUE", "the path is not valid UTF-8") from None
    if "\x00" in path or "\\" in path:
        raise ApiError("INVALID_PARAMETER_VALUE", "the path contains NUL or backslash characters")
    if not path.startswith("/Volumes/"):
        raise ApiError("INVALID_PARAMETER_VALUE",
                       f"paths start with /Volumes/<catalog>/<schema>/<volume>/, not {path[:200]!r}")
    try:
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True, strict_parsing=False).items()}
    except ValueError:
        raise ApiError("INVALID_PARAMETER_VALUE", "malformed query string") from None
    return kind, path, query


def entry_json(e) -> dict:
    """One listing row of a FileEntry."""
    row = {"path": e.path.rstrip("/"), "is_directory": e.is_dir, "name": e.name.rstrip("/"),
           "last_modified": int(e.modification_time.timestamp() * 1000)}
    if not e.is_dir:
        row["file_size"] = e.size
    return row


def version_json(v: dict) -> dict:
    """One kept version of a file (LIST VERSIONS' row)."""
    return {"path": v["path"], "version": v["version"], "file_size": v["size"], "status": v["status"],
            "last_modified": int(v["modification_time"].timestamp() * 1000), "changed_by": v["changed_by"],
            "expires": int(v["expires_at"].timestamp() * 1000) if v["expires_at"] else None}


def require_directory(files, rel: str) -> None:
    st = files.stat(rel)
    if st is None:
        raise NotFound("path", f"{files.info.volume_path}/{rel}".rstrip("/"))
    if not st.is_dir:
        raise ApiError("NOT_FOUND", f"{files.info.volume_path}/{rel.rstrip('/')} is not a directory")


def list_directory(files, rel: str, query: dict) -> dict:
    """A page of a volume directory's entries (`page_size`, `page_token`), as the Files API lists them."""
    require_directory(files, rel)
    try:
        page_size = int(query.get("page_size") or MAX_PAGE_SIZE)
    except ValueError:
        raise ApiError("INVALID_PARAMETER_VALUE", "page_size must be an integer") from None
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    after = ""
    if query.get("page_token"):
        try:
            after = base64.urlsafe_b64decode(query["page_token"].encode()).decode()
        except Exception:
            raise ApiError("INVALID_PARAMETER_VALUE", "bad page_token") from None
    # `list` shows neither links leaving the volume, uploads in progress nor lakelens' own
    # hidden prefixes (volumes.py, object_volumes.py).
    entries = sorted((e for e in files.list(rel.rstrip("/")) if e.name.rstrip("/") > after),
                     key=lambda e: e.name.rstrip("/"))
    contents = [entry_json(e) for e in entries[:page_size]]
    payload: dict = {"contents": contents}
    if len(entries) > page_size:
        payload["next_page_token"] = base64.urlsafe_b64encode(contents[-1]["name"].encode()).decode()
    return payload


UNSATISFIABLE = (-1, -1)


def byte_range(wanted: str | None, size: int):
    """The (start, end) of one `Range: bytes=a-b` header within `size` bytes; None to send the
    whole file (no header, or several ranges); UNSATISFIABLE when it lies outside the file."""
    m = _RANGE.fullmatch(wanted.strip()) if wanted else None
    if not (m and (m.group(1) or m.group(2))):
        return None
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:
        start = max(size - int(m.group(2)), 0)
        end = size - 1
    if start >= size or start > end or (not m.group(1) and int(m.group(2)) == 0):
        return UNSATISFIABLE
    return start, end


class FilesApi:
    """The `/api/2.0/fs/` endpoints, one method per HTTP verb, each given the request handler."""

    def __init__(self, config, catalog, requires_password: bool = False):
        self.config, self.catalog, self.requires_password = config, catalog, requires_password
        self.max_upload = config.number("gateway.files.max_upload_bytes", DEFAULT_MAX_UPLOAD, int, 1)

    # ------------------------------------------------------------------ verbs
    def do_GET(self, h) -> None:
        self._serve(h, "GET")

    def do_HEAD(self, h) -> None:
        self._serve(h, "HEAD")

    def do_PUT(self, h) -> None:
        self._serve(h, "PUT")

    def do_DELETE(self, h) -> None:
        self._serve(h, "DELETE")

    # ------------------------------------------------------------------ plumbing
    def _serve(self, h, verb: str) -> None:
        has_body = bool(h.headers.get("Content-Length", "0").strip() not in ("", "0")
                        or "chunked" in (h.headers.get("Transfer-Encoding") or "").lower())
        user = kind = volume_path = None
        try:
            user = h.server.gateway.http_user(h.headers.get("Authorization"), h.client_address[0])
            if user is None:
                raise ApiError("UNAUTHENTICATED", "wrong user name or password")
            kind, volume_path, query = parse_path(h.path)
            handler = getattr(self, f"_{verb.lower()}_{kind}", None)
            if handler is None:
                raise ApiError("METHOD_NOT_ALLOWED", f"{verb} is not supported on /api/2.0/fs/{kind}")
            if verb != "PUT" and has_body:
                h.close_connection = True  # a body nobody reads must not be taken for the next request
            handler(h, user, volume_path, query)
            self._audit(h, user, verb, kind, volume_path, 200, None)
        except ApiError as e:
            self._audit(h, user, verb, kind, volume_path, e.status, e.message)
            self._error(h, e, has_body, head=verb == "HEAD")
        except LakelensError as e:
            api = api_error(e)
            self._audit(h, user, verb, kind, volume_path, api.status, api.message)
            self._error(h, api, has_body, head=verb == "HEAD")
        except ClientGone as e:
            h.close_connection = True
            log.info("Files API %s %s from %s: client went away: %s", verb, h.path[:200], h.client_address[0], e)
        except (ConnectionError, TimeoutError):
            h.close_connection = True
        except Exception as e:
            log.exception("Files API %s %s failed", verb, h.path[:200])
            self._error(h, ApiError("INTERNAL_ERROR", f"{type(e).__name__}"), has_body, head=verb == "HEAD")

    def open_file(self, user: str, volume_path: str, query: dict):
        """A file of a volume (or with `version` in `query`, a kept version of it) opened for
        reading, and its stat; READ VOLUME is needed."""
        files, rel = self.open(user, volume_path, "READ VOLUME")
        if not rel:
            raise ApiError("INVALID_PARAMETER_VALUE", f"{volume_path} is a volume; use {PREFIX}directories")
        if query.get("version"):
            if not (query["version"].isascii() and query["version"].isdecimal()):
                raise ApiError("INVALID_PARAMETER_VALUE", "version must be a positive integer")
            return self.catalog.storage.open_input(self.catalog.version_path(files, rel, int(query["version"])))
        return files.open_read(rel)

    def _audit(self, h, user, verb: str, kind, path, status: int, error: str | None) -> None:
        """One audit event per Files API call of a signed-in user (failed sign-ins are audited
        by the authenticator)."""
        if user is None:
            return
        self.catalog.audit(user, f"{kind or 'files'}.{verb.lower()}", status=status, error=error,
                           params={"path": (path or h.path)[:2000]}, securables=[path] if path else [],
                           address=h.client_address[0], client="files-api")

    def open(self, user: str, volume_path: str, privilege: str):
        """The volume's files and the path inside it, once `user` holds `privilege` on it."""
        files, rel = self.catalog.open_volume(volume_path, by=user)
        self._authorize(user, files.info, privilege)
        return files, rel

    def _authorize(self, user: str, volume, privilege: str) -> None:
        """`user` holds `privilege` ("READ VOLUME" or "WRITE VOLUME") on `volume` (an ObjectInfo)
        and USE on its parents, as SQL's LIST/GET/PUT/REMOVE need; else PERMISSION_DENIED (403).
        A password user removed since their credentials were remembered is refused too."""
        access = self.catalog.access(user)
        if self.requires_password and not access.exists:
            raise PermissionDenied(f"user {user} no longer exists")
        access.require_object(volume, privilege)

    @staticmethod
    def _send(h, status: int, headers: dict, body: bytes | None = b"", *, head: bool = False) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        if status != 204 and "Content-Length" not in headers:
            h.send_header("Content-Length", str(len(body or b"")))
        h.end_headers()
        if body and not head:
            h.wfile.write(body)

    def _json(self, h, status: int, payload: dict, head: bool = False) -> None:
        self._send(h, status, {"Content-Type": "application/json"}, json.dumps(payload).encode(), head=head)

    def _error(self, h, e: ApiError, has_body: bool, head: bool = False) -> None:
        if has_body:
            h.close_connection = True  # the unread body must not be taken for the next request
        extra = {"WWW-Authenticate": 'Basic realm="lakelens"'} if e.status == 401 else {}
        extra.update(e.headers)
        body = json.dumps({"error_code": e.code, "message": e.message}).encode()
        try:
            self._send(h, e.status, {"Content-Type": "application/json", **extra}, body, head=head)
        except (ConnectionError, TimeoutError, ValueError):
            h.close_connection = True

    @staticmethod
    def flag(query: dict, name: str) -> bool:
        value = query.get(name, "false").lower()
        if value not in ("true", "false"):
            raise ApiError("INVALID_PARAMETER_VALUE", f"{name} must be true or false, not {value[:20]!r}")
        return value == "true"

    # ------------------------------------------------------------------ files
    def _get_files(self, h, user, volume_path, query, head: bool = False) -> None:
        f, st = self.open_file(user, volume_path, query)
        with f:
            size = st.st_size
            start, end, status = 0, size - 1, 200
            headers = {"Content-Type": "application/octet-stream", "Last-Modified": _http_date(st.st_mtime),
                       "Accept-Ranges": "bytes"}
            wanted = h.headers.get("Range")
            asked = byte_range(wanted, size)
            if asked is not None:
                if asked is UNSATISFIABLE:
                    self._send(h, 416, {"Content-Range": f"bytes */{size}", "Content-Type": "application/json"},
                               json.dumps({"error_code": "INVALID_PARAMETER_VALUE",
                                           "message": f"range {wanted[:40]!r} is outside the file"}).encode(),
                               head=head)
                    return
                start, end = asked
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            length = max(end - start + 1, 0)
            headers["Content-Length"] = str(length)
            self._send(h, status, headers, None, head=head)
            if head or not length:
                return
            f.seek(start)
            left = length
            while left:
                data = f.read(min(CHUNK, left))
                if not data:  # truncated under us: the client sees a short body
                    h.close_connection = True
                    return
                h.wfile.write(data)
                left -= len(data)

    def _head_files(self, h, user, volume_path, query) -> None:
        self._get_files(h, user, volume_path, query, head=True)

    def _put_files(self, h, user, volume_path, query) -> None:
        overwrite = self.flag(query, "overwrite")
        chunked = "chunked" in (h.headers.get("Transfer-Encoding") or "").lower()
        length = None
        if not chunked:
            raw = h.headers.get("Content-Length")
            if raw is None:
                raise ApiError("INVALID_PARAMETER_VALUE", "a Content-Length or Transfer-Encoding: chunked is required",
                               411)
            try:
                length = int(raw)
            except ValueError:
                raise ApiError("INVALID_PARAMETER_VALUE", "bad Content-Length") from None
            if length < 0:
                raise ApiError("INVALID_PARAMETER_VALUE", "bad Content-Length")
            if length > self.max_upload:
                raise too_large(self.max_upload)
        files, rel = self.open(user, volume_path, "WRITE VOLUME")
        writer = files.open_write(rel, overwrite=overwrite)  # conflicts answered before the body is read
        body = _Body(h.rfile, length, chunked)
        try:
            with writer:
                for piece in body.pieces():
                    if writer.size + len(piece) > self.max_upload:
                        raise too_large(self.max_upload, passed=True)
                    writer.write(piece)
        except ApiError:
            h.close_connection = True
            raise
        log.info("Files API: %s uploaded %s (%d bytes)", user, writer.path, writer.size)
        self._send(h, 204, {})

    def _delete_files(self, h, user, volume_path, query) -> None:
        files, rel = self.open(user, volume_path, "WRITE VOLUME")
        files.delete_file(rel)
        log.info("Files API: %s deleted %s", user, volume_path)
        self._send(h, 204, {})

    # ------------------------------------------------------------------ directories
    def _get_directories(self, h, user, volume_path, query) -> None:
        files, rel = self.open(user, volume_path, "READ VOLUME")
        self._json(h, 200, list_directory(files, rel, query))

    def _get_versions(self, h, user, volume_path, query) -> None:
        files, rel = self.open(user, volume_path, "READ VOLUME")
        versions = [version_json(v) for v in self.catalog.list_versions(files, rel)]
        self._json(h, 200, {"versions": versions})

    def _head_directories(self, h, user, volume_path, query) -> None:
        files, rel = self.open(user, volume_path, "READ VOLUME")
        require_directory(files, rel)
        self._send(h, 200, {}, head=True)

    def _put_directories(self, h, user, volume_path, query) -> None:
        files, rel = self.open(user, volume_path, "WRITE VOLUME")
        files.mkdir(rel)
        self._send(h, 204, {})

    def _delete_directories(self, h, user, volume_path, query) -> None:
        files, rel = self.open(user, volume_path, "WRITE VOLUME")
        files.rmdir(rel)
        log.info("Files API: %s removed directory %s", user, volume_path)
        self._send(h, 204, {})
