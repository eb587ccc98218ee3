"""The web console's HTTP/JSON API and its single-page application, as one Starlette app.

The API is the console's only way in, and scripts may use it too (docs/console.md lists every
endpoint). It translates, like the other frontends: statements run through `Session.submit`
(the engine's one statement path) as the signed-in user's remote principal; the catalog
explorer asks SQL (`SHOW CATALOGS`, `DESCRIBE TABLE`, `SHOW GRANTS` …) the same way, so a user
sees in the tree exactly what they could query; volume files go through the Files API's own
checks (engine/gateway/files.py). Nothing here reads the catalog on a user's behalf with more
power than they have.

Requests are bounded: JSON bodies by `console.max_request_bytes`, uploads by
`gateway.files.max_upload_bytes` (streamed to disk, refused past the limit), result pages by
`console.max_page_rows` and the rows kept per result by `console.max_result_bytes` (and for
every result together by `console.max_kept_bytes`).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from pathlib import Path

import pyarrow as pa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lakelens.catalog import Principal
from lakelens.errors import LakelensError
from lakelens.sql import statement_spans
from lakelens.sql.parameters import bind_parameters

from lakelens.engine.console import results as R
from lakelens.engine.console.sessions import EXPLORER_CLIENT, ConsoleSession, ConsoleStatement
from lakelens.engine.execution import user_error
from lakelens.engine.gateway.files import (CHUNK, PREFIX, UNSATISFIABLE, ApiError, FilesApi, api_error, too_large,
                                           byte_range, list_directory, parse_path, version_json)
from lakelens.engine.state import State

log = logging.getLogger("lakelens.console")

COOKIE = "lakelens_console"
CSRF_HEADER = "x-csrf-token"
STATIC = Path(__file__).parent / "static"
MAX_NAME = 255
MAX_WAIT_S = 10  # the longest long poll of a statement's status
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
SECURITY_HEADERS = {
    # The page's own code only; media from this origin; no framing by other sites.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                               "style-src 'self' 'unsafe-inline'; frame-src 'self'; object-src 'none'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
def quote(name: str) -> str:
    """A name from a URL as one SQL identifier."""
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise ApiError("INVALID_PARAMETER_VALUE", f"not a name: {name[:80]!r}")
    return "`" + name.replace("`", "``") + "`"


class Console:
    """The app's state: the gateway's config, catalog, authenticator and session manager."""

    def __init__(self, config, catalog, authenticator, manager, tls: bool = False):
        self.config, self.catalog, self.authenticator, self.manager = config, catalog, authenticator, manager
        self.tls = tls
        self.files = FilesApi(config, catalog, authenticator.requires_password)
        self.max_request = config.number("console.max_request_bytes", 1 << 20, int, 1024)
        self.max_result = config.number("console.max_result_bytes", 256 << 20, int, 1 << 20)
        self.max_page = config.number("console.max_page_rows", 500, int, 1)
        self.max_statements = config.number("console.max_statements", 32, int, 1)
        self.kept = R.KeptBytes(config.number("console.max_kept_bytes", 2 << 30, int, 1 << 20))
        self.max_age_s = config.number("console.session_max_age_s", 43200.0, float, 1)

    # ------------------------------------------------------------------ sessions
    def session(self, request: Request) -> ConsoleSession:
        """The request's signed-in session; for requests that change something, its CSRF token too."""
        raw = request.cookies.get(COOKIE, "")
        session = None
        if re.fullmatch(r"[0-9a-f]{48}", raw):
            session = self.manager.find(bytes.fromhex(raw))
        if not isinstance(session, ConsoleSession):
            raise ApiError("UNAUTHENTICATED", "your session expired: sign in again" if raw else "sign in first")
        if time.monotonic() - session.opened > self.max_age_s:
            self.manager.close(session, "closed: console session reached console.session_max_age_s")
            raise ApiError("UNAUTHENTICATED", "your session expired: sign in again")
        if request.method not in ("GET", "HEAD"):
            sent = request.headers.get(CSRF_HEADER)
            if not sent:
                raise ApiError("CSRF_TOKEN_MISSING", f"requests that change something need the {CSRF_HEADER} header")
            if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                raise ApiError("CSRF_TOKEN_MISMATCH", f"the {CSRF_HEADER} header is not this session's")
        return session

    def sign_in(self, request: Request, user: str, password: str) -> ConsoleSession:
        address = request.client.host if request.client else None
        if not user or len(user) > MAX_NAME or "\x00" in user:
            raise ApiError("INVALID_PARAMETER_VALUE", f"a user name of 1 to {MAX_NAME} characters is required")
        if self.authenticator.requires_password:
            if not self.authenticator.verify(user, password, address):
                raise ApiError("UNAUTHENTICATED", "wrong user name or password")
            auth = "password"
        else:
            auth = "none"
        principal = Principal(user, auth, f"{address}:{request.client.port if request.client else 0}", remote=True)
        session = self.manager.open_with(principal.name, lambda: ConsoleSession(self.config, principal))
        self.catalog.audit(user, "login", params={"auth": auth}, address=address, client="web-console",
                           session_id=session.key_hex)
        log.info("console session %s opened: user=%s from %s", session.key_hex[:8], user, address)
        return session

    def payload(self, session: ConsoleSession) -> dict:
        access = self.catalog.access(session.user)
        return {"user": session.user, "csrf_token": session.csrf_token, "auth": self.authenticator.mode,
                "catalog": session.engine.current_catalog, "schema": session.engine.current_schema,
                "admin": bool(access.admin)}

    # ------------------------------------------------------------------ statements
    def statement(self, session: ConsoleSession, ident: str) -> ConsoleStatement:
        op = None
        if re.fullmatch(r"[0-9a-f]{32}", ident):
            op = self.manager.find_operation(bytes.fromhex(ident))
        if not isinstance(op, ConsoleStatement) or op.session is not session:
            raise ApiError("NOT_FOUND", "no such statement (closed, timed out, or another session's)")
        return op

    def make_room(self, session: ConsoleSession) -> None:
        """Keep at most console.max_statements results per session (each holds up to
        console.max_result_bytes): the oldest ended one goes; when all still run, refuse."""
        ops = sorted(session.operations.values(), key=lambda op: op.execution.created)
        while len(ops) >= self.max_statements:
            done = next((op for op in ops if op.state.terminal), None)
            if done is None:
                raise ApiError("REQUEST_LIMIT_EXCEEDED", f"this session runs {len(ops)} statements, its limit "
                                                         f"(console.max_statements); cancel one or wait")
            self.manager.close_operation(done)
            ops.remove(done)

    def status(self, op: ConsoleStatement) -> dict:
        ex = op.execution
        progress = ex.progress()
        error = None
        if ex.state == State.ERROR and ex.error is not None:
            error = {"error_class": ex.error.error_class, "sqlstate": ex.error.sqlstate, "message": str(ex.error),
                     **_position(op.sql, ex.statement_index, ex.error)}
        columns = ([{"name": f.name, "type": _type_name(f.type)} for f in ex.schema]
                   if ex.schema is not None and ex.state == State.FINISHED else None)
        return {"id": op.id, "sql": op.sql, "state": ex.state.name, "elapsed_s": op.elapsed_s(),
                "progress": {"fraction": progress.fraction,
                             "stages": [vars(s) for s in progress.stages]},
                "columns": columns, "error": error, "truncated": op.pager.truncated,
                "catalog": op.session.engine.current_catalog, "schema": op.session.engine.current_schema}

    def rows(self, session: ConsoleSession, sql: str) -> list[dict]:
        """A small query's rows for the explorer, run as the user (on the session's explorer
        engine session, so the user's query history is what they ran themselves)."""
        return session.explorer.sql(sql).to_pylist()


def _type_name(t) -> str:
    """An Arrow type in Spark SQL's words, as the editor shows it under a column name."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{_type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{_type_name(f.type)}" for f in t) + ">"
    return {"large_string": "string", "utf8": "string", "large_binary": "binary", "int32": "int",
            "int64": "bigint", "int16": "smallint", "int8": "tinyint", "bool": "boolean"}.get(str(t), str(t))


def _position(script: str, index: int, error: LakelensError) -> dict:
    """A syntax error's line and column in the whole script (the engine reports them within the
    statement that failed)."""
    line, col = getattr(error, "line", None), getattr(error, "col", None)
    if not line:
        return {"line": None, "column": None}
    spans = statement_spans(script)
    start = spans[index][0] if 0 <= index < len(spans) else 0
    base_line = script.count("\n", 0, start)
    base_col = start - (script.rfind("\n", 0, start) + 1)
    return {"line": base_line + line, "column": (col or 1) + (base_col if line == 1 else 0)}


# ---------------------------------------------------------------------- helpers
async def _json_body(request: Request, console: Console) -> dict:
    if "application/json" not in (request.headers.get("content-type") or ""):
        raise ApiError("INVALID_PARAMETER_VALUE", "send the request body as JSON (Content-Type: application/json)", 415)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > console.max_request:
            raise ApiError("RESOURCE_EXHAUSTED", f"the request body is larger than {console.max_request} bytes "
                                                 f"(console.max_request_bytes)")
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError("MALFORMED_REQUEST", f"the request body is not valid JSON: {e}") from None
    except RecursionError:
        raise ApiError("MALFORMED_REQUEST", "the request body nests too deeply") from None
    if not isinstance(value, dict):
        raise ApiError("MALFORMED_REQUEST", "the request body must be a JSON object")
    return value


def _string(body: dict, key: str, *, required: bool = True, default: str = "") -> str:
    value = body.get(key, None if required else default)
    if not isinstance(value, str):
        raise ApiError("INVALID_PARAMETER_VALUE", f"`{key}` must be a string")
    return value


def _int(request: Request, key: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError("INVALID_PARAMETER_VALUE", f"{key} must be an integer, not {raw[:20]!r}") from None
    if not low <= value <= high:
        raise ApiError("INVALID_PARAMETER_VALUE", f"{key} must be between {low} and {high}")
    return value


def _console(request: Request) -> Console:
    return request.app.state.console


def _media_response(request: Request, size: int, mime: str, name: str | None, read, *,
                    cache: str | None = None) -> Response:
    """A cell's or a file's bytes: Range-aware (audio and video elements seek with it) and never
    run as a page of the console. `read(start, end)` yields the bytes from start to end."""
    headers = {"Accept-Ranges": "bytes", "Content-Security-Policy": "sandbox"}
    if cache:
        headers["Cache-Control"] = cache
    if name:
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{_percent(name)}"
    asked = byte_range(request.headers.get("range"), size)
    if asked is UNSATISFIABLE:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = asked if asked is not None else (0, size - 1)
    if asked is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    status = 206 if asked is not None else 200
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=mime)
    return StreamingResponse(read(start, end), status, headers, media_type=mime)


def _bytes_response(request: Request, data: bytes, mime: str, name: str | None = None) -> Response:
    return _media_response(request, len(data), mime, name, lambda start, end: iter([data[start:end + 1]]),
                           cache="private, max-age=300")


def _percent(name: str) -> str:
    from urllib.parse import quote as q

    return q(name, safe="")


# ---------------------------------------------------------------------- session endpoints
async def sign_in(request: Request) -> Response:
    console = _console(request)
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        raise ApiError("PERMISSION_DENIED", "sign-in from another site is refused")
    body = await _json_body(request, console)
    user, password = _string(body, "user").strip(), _string(body, "password", required=False)
    old = request.cookies.get(COOKIE, "")
    session = await run_in_threadpool(console.sign_in, request, user, password)
    if re.fullmatch(r"[0-9a-f]{48}", old):  # a new sign-in replaces the browser's old session
        previous = console.manager.find(bytes.fromhex(old))
        if isinstance(previous, ConsoleSession):
            console.manager.close(previous, "closed: signed in again")
    response = JSONResponse(await run_in_threadpool(console.payload, session))
    response.set_cookie(COOKIE, session.key_hex, httponly=True, samesite="strict", secure=console.tls, path="/")
    return response


def whoami(request: Request) -> Response:
    console = _console(request)
    return JSONResponse(console.payload(console.session(request)))


def sign_out(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    console.manager.close(session, "closed: signed out")
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


# ---------------------------------------------------------------------- statements
async def submit(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    sql = _string(await _json_body(request, console), "sql")
    if not sql.strip():
        raise ApiError("INVALID_PARAMETER_VALUE", "there is no SQL to run")

    def start() -> ConsoleStatement:
        console.make_room(session)
        execution = session.engine.submit(sql)
        return console.manager.add(ConsoleStatement(session, sql, execution, console.max_result, console.kept))

    op = await run_in_threadpool(start)
    return JSONResponse({"id": op.id}, status_code=201)


def statement_status(request: Request) -> Response:
    console = _console(request)
    op = console.statement(console.session(request), request.path_params["id"])
    wait = _int(request, "wait_s", 0, 0, MAX_WAIT_S)
    if wait and not op.state.terminal:
        op.execution.wait(wait)
    return JSONResponse(console.status(op))


def statement_rows(request: Request) -> Response:
    console = _console(request)
    op = console.statement(console.session(request), request.path_params["id"])
    offset = _int(request, "offset", 0, 0, 1 << 62)
    limit = _int(request, "limit", 100, 1, console.max_page)
    try:
        table, more = op.pager.page(offset, limit)
    except R.ResultTooLarge as e:
        raise ApiError("RESOURCE_EXHAUSTED", str(e)) from None
    base = f"/api/statements/{op.id}/cells"
    rows = R.encode_page(table, offset, lambda r, c: f"{base}/{r}/{c}")
    return JSONResponse({"columns": [{"name": f.name, "type": _type_name(f.type)} for f in table.schema],
                         "offset": offset, "rows": rows, "has_more": more, "row_count": op.pager.row_count,
                         "truncated": op.pager.truncated})


def statement_cell(request: Request) -> Response:
    console = _console(request)
    op = console.statement(console.session(request), request.path_params["id"])
    row, col = request.path_params["row"], request.path_params["col"]
    try:
        value = op.pager.cell(row, col)
    except IndexError as e:
        raise ApiError("NOT_FOUND", str(e)) from None
    if not isinstance(value, (bytes, bytearray)):
        raise ApiError("INVALID_PARAMETER_VALUE", f"cell ({row}, {col}) is not BINARY")
    names_at = R.name_column(op.execution.schema)
    name = op.pager.cell(row, names_at) if names_at is not None else None
    mime = R.sniff(value, name)
    if request.query_params.get("preview") == "png":
        if mime != "application/pdf":
            raise ApiError("INVALID_PARAMETER_VALUE", "preview=png is for PDF cells")
        return _bytes_response(request, _pdf_preview(bytes(value)), "image/png")
    return _bytes_response(request, bytes(value), mime, name)


def _pdf_preview(data: bytes) -> bytes:
    """The first page of a PDF as a PNG about 330 pixels wide (pdf_render's PDFium)."""
    from lakelens.udfs.documents import _pdf, render_page
    from lakelens.udfs import FunctionError

    try:
        pdf = _pdf(data, "the console's PDF preview")
        try:
            return render_page(pdf[0], 40, "the console's PDF preview")
        finally:
            pdf.close()
    except (FunctionError, IndexError) as e:
        raise ApiError("INVALID_PARAMETER_VALUE", f"the PDF cannot be previewed: {e}") from None


def cancel(request: Request) -> Response:
    console = _console(request)
    op = console.statement(console.session(request), request.path_params["id"])
    op.cancel()
    log.info("console statement %s %s by %s, Spark job group %s cancelled", op.id[:8], op.state.name.lower(),
             op.session.user, op.execution.job_group)
    return JSONResponse(console.status(op))


def close(request: Request) -> Response:
    console = _console(request)
    op = console.statement(console.session(request), request.path_params["id"])
    console.manager.close_operation(op)
    return Response(status_code=204)


def download(request: Request) -> Response:
    console = _console(request)
    op = console.statement(console.session(request), request.path_params["id"])
    fmt = request.query_params.get("format", "csv")
    if fmt not in ("csv", "parquet"):
        raise ApiError("INVALID_PARAMETER_VALUE", f"format must be csv or parquet, not {fmt[:20]!r}")
    op.execution.wait()
    if op.execution.state == State.ERROR:
        raise user_error(op.execution.error)
    if op.execution.schema is None:
        raise ApiError("INVALID_PARAMETER_VALUE", "this statement has no result to download")
    chunks = (R.csv_chunks if fmt == "csv" else R.parquet_chunks)(op.execution.schema, op.pager.all_batches())
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.apache.parquet"
    return StreamingResponse(chunks, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="result.{fmt}"'})


def history(request: Request) -> Response:
    """The user's statements, newest first, from the audit log (every frontend's, so a query
    run in beeline is there too)."""
    console = _console(request)
    session = console.session(request)
    limit = _int(request, "limit", 50, 1, 500)
    out = []
    for row in console.catalog.audit_rows(user=session.user.lower(), limit=limit * 4,
                                          without_clients=[EXPLORER_CLIENT]):
        params = json.loads(row.get("request_params") or "{}")
        if "statement" not in params:  # a sign-in or a Files API call
            continue
        when = row["event_time"]
        out.append({"sql": params["statement"], "state": "FINISHED" if row["status_code"] == 200 else "ERROR",
                    "started_at": when.isoformat() if hasattr(when, "isoformat") else str(when),
                    "client": row.get("client"), "error": row.get("error_message")})
        if len(out) >= limit:
            break
    return JSONResponse({"statements": out})


# ---------------------------------------------------------------------- catalog explorer
def catalogs(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    return JSONResponse({"catalogs": [{"name": r["catalog"]} for r in console.rows(session, "SHOW CATALOGS")]})


def schemas(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    rows = console.rows(session, f"SHOW SCHEMAS IN {quote(request.path_params['catalog'])}")
    return JSONResponse({"schemas": [{"name": r["databaseName"]} for r in rows]})


def objects(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    where = f"{quote(request.path_params['catalog'])}.{quote(request.path_params['schema'])}"
    views = {r["viewName"] for r in console.rows(session, f"SHOW VIEWS IN {where}")}
    tables = [{"name": r["tableName"], "type": "VIEW" if r["tableName"] in views else "TABLE"}
              for r in console.rows(session, f"SHOW TABLES IN {where}") if r.get("isTemporary") in (False, "False")]
    volumes = [{"name": r["volume_name"]} for r in console.rows(session, f"SHOW VOLUMES IN {where}")]
    return JSONResponse({"tables": tables, "volumes": volumes, "functions": []})


def table_detail(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    parts = [request.path_params[k] for k in ("catalog", "schema", "table")]
    name = ".".join(quote(p) for p in parts)
    plain = ".".join(parts)
    described = console.rows(session, f"DESCRIBE TABLE EXTENDED {name}")
    columns, info, section = [], {}, "columns"
    for r in described:
        key = r["col_name"] or ""
        if key.startswith("#"):
            section = key
            continue
        if not key:
            continue
        if section == "columns":
            columns.append({"name": key, "type": r["data_type"], "comment": r["comment"]})
        else:
            info[key] = r["data_type"]
    kind = "VIEW" if (info.get("Type") or "").upper() == "VIEW" else "TABLE"
    properties = {}
    if kind == "TABLE":
        properties = {r["key"]: r["value"] for r in _try_rows(console, session, f"SHOW TBLPROPERTIES {name}")}
    history_rows = [] if kind == "VIEW" else _try_rows(console, session, f"DESCRIBE HISTORY {name}")
    grants = _try_rows(console, session, f"SHOW GRANTS ON TABLE {name}")
    lineage = {"upstream": [], "downstream": []}
    for r in _try_rows(console, session, f"DESCRIBE LINEAGE {name} DEPTH 1"):
        # Each edge as its other end, with the functions the writing statement applied on the way.
        up = str(r["direction"]).lower() == "upstream"
        lineage["upstream" if up else "downstream"].append({
            "name": r["source_table_full_name"] if up else r["target_table_full_name"],
            "type": r["source_type"] if up else r["target_type"],
            "functions": r["functions"], "operation": r["operation"]})
    return JSONResponse({
        "name": plain, "type": kind, "format": (info.get("Provider") or "").lower() or None,
        "comment": info.get("Comment"), "columns": columns, "properties": properties, "details": info,
        "history": [{"version": r["version"], "timestamp": str(r["timestamp"]), "operation": r["operation"],
                     "user": r.get("userName"), "details": _jsonable(r)} for r in history_rows[:100]],
        "grants": [_grant(r) for r in grants], "lineage": lineage,
        "sample_sql": f"SELECT * FROM {name} LIMIT 20"})


def _try_rows(console: Console, session, sql: str) -> list[dict]:
    """Rows of an optional part of a detail page; absent (empty) where the user or the table
    cannot have it (no history on a view, no SHOW GRANTS without MANAGE)."""
    try:
        return console.rows(session, sql)
    except LakelensError as e:
        log.debug("console: %s: %s", sql, e)
        return []


def _grant(r: dict) -> dict:
    """A SHOW GRANTS row (Principal, ActionType, ObjectType, ObjectKey)."""
    return {"principal": r["Principal"], "privilege": r["ActionType"], "object_type": r["ObjectType"],
            "object": r["ObjectKey"]}


def _jsonable(r: dict) -> dict:
    return {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in r.items()}


def volume_detail(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    parts = [request.path_params[k] for k in ("catalog", "schema", "volume")]
    name = ".".join(quote(p) for p in parts)
    info = console.rows(session, f"DESCRIBE VOLUME {name}")[0]
    grants = _try_rows(console, session, f"SHOW GRANTS ON VOLUME {name}")
    path = "/Volumes/" + "/".join(parts)
    try:
        console.files.open(session.user, path, "WRITE VOLUME")
        writable = True
    except LakelensError:
        writable = False
    return JSONResponse({"name": ".".join(parts), "type": info.get("volume_type"), "writable": writable,
                         "comment": info.get("comment"), "owner": info.get("owner"),
                         "details": _jsonable(info), "grants": [_grant(r) for r in grants], "path": path})


def functions(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    rows = console.rows(session, "SHOW FUNCTIONS")
    return JSONResponse({"functions": [{"name": r["function"], "class": r["class"], "modality": r["modality"],
                                        "signature": r["signature"]} for r in rows]})


def function_detail(request: Request) -> Response:
    console = _console(request)
    session = console.session(request)
    name = request.path_params["name"]
    if not _FUNCTION_NAME.fullmatch(name):
        raise ApiError("INVALID_PARAMETER_VALUE", f"not a function name: {name[:80]!r}")
    rows = console.rows(session, f"DESCRIBE FUNCTION EXTENDED {name}")
    return JSONResponse({"name": name, "description": "\n".join(r["function_desc"] for r in rows)})


def completion(request: Request) -> Response:
    """Names for the editor's completion: functions, and every table, view and volume the user
    may see with its columns (the information schema answers only those)."""
    console = _console(request)
    session = console.session(request)
    tables: dict[str, list[str]] = {}
    for r in console.rows(session, "SELECT table_catalog, table_schema, table_name, column_name FROM "
                                   "system.information_schema.columns ORDER BY table_catalog, table_schema, "
                                   "table_name, ordinal_position LIMIT 20000"):
        tables.setdefault(f"{r['table_catalog']}.{r['table_schema']}.{r['table_name']}", []).append(r["column_name"])
    for row in _try_rows(console, session, "SELECT volume_catalog, volume_schema, volume_name FROM "
                                           "system.information_schema.volumes LIMIT 5000"):
        key = f"{row['volume_catalog']}.{row['volume_schema']}.{row['volume_name']}"
        tables[key] = ["path", "name", "size", "modification_time", "content"]
    names = sorted({r["function"] for r in console.rows(session, "SHOW FUNCTIONS")})
    return JSONResponse({"functions": names, "tables": tables})


# ---------------------------------------------------------------------- volume files
def _fs_target(request: Request) -> tuple[str, str, dict]:
    raw = request.scope.get("raw_path", b"").decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return parse_path(raw + ("?" + query if query else ""))


def _audit_files(console: Console, request: Request, session, action: str, path: str, status: int,
                 error: str | None = None) -> None:
    console.catalog.audit(session.user, action, status=status, error=error, params={"path": path[:2000]},
                          securables=[path], address=request.client.host if request.client else None,
                          client="web-console", session_id=session.key_hex)


async def files_endpoint(request: Request) -> Response:
    """The Files API's shape on the console's origin (cookie sign-in, CSRF on writes)."""
    console = _console(request)
    session = console.session(request)
    kind, path, query = _fs_target(request)
    verb = request.method
    action = f"{kind}.{verb.lower()}"
    try:
        if kind == "files" and verb in ("GET", "HEAD"):
            response = await run_in_threadpool(_read_file, console, session, request, path, query)
        elif kind == "files" and verb == "PUT":
            response = await _upload(console, session, request, path, query)
        elif kind == "files" and verb == "DELETE":
            await run_in_threadpool(_delete_file, console, session, path)
            response = Response(status_code=204)
        elif kind == "directories" and verb == "GET":
            def listing():
                files, rel = console.files.open(session.user, path, "READ VOLUME")
                return list_directory(files, rel, query)

            response = JSONResponse(await run_in_threadpool(listing))
        elif kind == "versions" and verb == "GET":
            def versions():
                files, rel = console.files.open(session.user, path, "READ VOLUME")
                return {"versions": [version_json(v) for v in console.catalog.list_versions(files, rel)]}

            response = JSONResponse(await run_in_threadpool(versions))
        else:
            raise ApiError("METHOD_NOT_ALLOWED", f"{verb} is not supported on {PREFIX}{kind}", 405)
    except (ApiError, LakelensError) as e:
        api = e if isinstance(e, ApiError) else api_error(e)
        _audit_files(console, request, session, action, path, api.status, api.message)
        raise api from None
    _audit_files(console, request, session, action, path, response.status_code)
    return response


def _read_file(console: Console, session, request: Request, path: str, query: dict) -> Response:
    f, st = console.files.open_file(session.user, path, query)
    name = path.rsplit("/", 1)[-1]
    try:
        mime = R.sniff(f.read(16), name)
    except BaseException:
        f.close()
        raise

    def read(start: int, end: int):
        with f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(CHUNK, left))
                if not data:  # truncated under us: the client sees a short body
                    return
                left -= len(data)
                yield data

    response = _media_response(request, st.st_size, mime, name, read)
    if not isinstance(response, StreamingResponse):  # HEAD, or a range outside the file
        f.close()
    return response


def _delete_file(console: Console, session, path: str) -> None:
    files, rel = console.files.open(session.user, path, "WRITE VOLUME")
    files.delete_file(rel)
    log.info("console: %s deleted %s", session.user, path)


async def _upload(console: Console, session, request: Request, path: str, query: dict) -> Response:
    overwrite = FilesApi.flag(query, "overwrite")
    limit = console.files.max_upload
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError("INVALID_PARAMETER_VALUE", "bad Content-Length")
        if int(declared) > limit:  # refused before a byte of the body is read
            raise too_large(limit)

    def open_writer():
        files, rel = console.files.open(session.user, path, "WRITE VOLUME")
        writer = files.open_write(rel, overwrite=overwrite)
        writer.__enter__()
        return writer

    writer = await run_in_threadpool(open_writer)
    try:
        async for piece in request.stream():
            if writer.size + len(piece) > limit:
                raise too_large(limit, passed=True)
            if piece:
                await run_in_threadpool(writer.write, piece)
    except BaseException as e:
        await run_in_threadpool(writer.__exit__, type(e), e, e.__traceback__)
        raise
    await run_in_threadpool(writer.__exit__, None, None, None)
    log.info("console: %s uploaded %s (%d bytes)", session.user, writer.path, writer.size)
    return Response(status_code=204)


async def restore(request: Request) -> Response:
    """Put back a removed or overwritten file (SQL RESTORE, run as the user)."""
    console = _console(request)
    session = console.session(request)
    body = await _json_body(request, console)
    path = _string(body, "path")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
        raise ApiError("INVALID_PARAMETER_VALUE", "`version` must be a positive integer")
    parse_path(PREFIX + "files" + path)  # the same checks as any Files API path
    # The path and version as generated literals (as Flight SQL binds parameters), never pasted.
    if version is None:
        sql = bind_parameters("RESTORE ?", [path])
    else:
        sql = bind_parameters("RESTORE ? TO VERSION ?", [path, version])
    await run_in_threadpool(lambda: session.engine.sql(sql))  # the user's own action: in their history
    return JSONResponse({"restored": path})


# ---------------------------------------------------------------------- recipes
def recipes(request: Request) -> Response:
    from lakelens.engine.recipes import recipes as all_recipes

    _console(request).session(request)
    return JSONResponse({"recipes": [
        {"name": r.name, "description": r.description, "sql": r.body,
         "params": [{"name": p.name, "default": p.default, "kind": p.kind, "doc": p.doc} for p in r.params]}
        for r in all_recipes().values()]})


async def render_recipe(request: Request) -> Response:
    from lakelens.engine.recipes import recipes as all_recipes

    console = _console(request)
    console.session(request)
    body = await _json_body(request, console)
    values = body.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, (str, int, float)) for v in values.values()):
        raise ApiError("INVALID_PARAMETER_VALUE", "`values` must be an object of parameter names to values")
    recipe = all_recipes().get(request.path_params["name"])
    if recipe is None:
        raise ApiError("NOT_FOUND", f"no recipe named {request.path_params['name'][:80]!r}")
    return JSONResponse({"sql": recipe.render({k: str(v) for k, v in values.items()})})


# ---------------------------------------------------------------------- the app
class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


async def _api_error_response(request: Request, e: ApiError) -> Response:
    return JSONResponse({"error_code": e.code, "message": e.message}, status_code=e.status, headers=e.headers)


async def _lakelens_error_response(request: Request, e: LakelensError) -> Response:
    if e.error_class == "LOGIN_THROTTLED":
        return await _api_error_response(request, api_error(e))
    status = {"PERMISSION_DENIED": 403, "SESSION_LIMIT_REACHED": 429}.get(e.error_class, 400)
    if e.error_class.endswith("NOT_FOUND"):
        status = 404
    return JSONResponse({"error_code": e.error_class, "message": str(e)}, status_code=status)


async def _http_error_response(request: Request, e: HTTPException) -> Response:
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(e.status_code, "INVALID_PARAMETER_VALUE")
    return JSONResponse({"error_code": code, "message": str(e.detail)}, status_code=e.status_code)


async def _internal_error_response(request: Request, e: Exception) -> Response:
    log.exception("console: %s %s failed", request.method, request.url.path[:200])
    return JSONResponse({"error_code": "INTERNAL_ERROR", "message": type(e).__name__}, status_code=500)


def _spa(static: Path):
    """The built single-page application, or a page saying how to build it."""
    if (static / "index.html").is_file():
        return StaticFiles(directory=static, html=True)

    async def missing(scope, receive, send):
        await PlainTextResponse("the console's page is not built: run `make setup` (npm run build in web/)",
                                status_code=503)(scope, receive, send)

    return missing


def create_app(console: Console, static: Path = STATIC) -> Starlette:
    routes = [
        Route("/api/session", sign_in, methods=["POST"]),
        Route("/api/session", whoami, methods=["GET"]),
        Route("/api/session", sign_out, methods=["DELETE"]),
        Route("/api/statements", submit, methods=["POST"]),
        Route("/api/statements/{id}", statement_status, methods=["GET"]),
        Route("/api/statements/{id}", close, methods=["DELETE"]),
        Route("/api/statements/{id}/rows", statement_rows, methods=["GET"]),
        Route("/api/statements/{id}/cells/{row:int}/{col:int}", statement_cell, methods=["GET"]),
        Route("/api/statements/{id}/cancel", cancel, methods=["POST"]),
        Route("/api/statements/{id}/download", download, methods=["GET"]),
        Route("/api/history", history, methods=["GET"]),
        Route("/api/catalogs", catalogs, methods=["GET"]),
        Route("/api/catalogs/{catalog}/schemas", schemas, methods=["GET"]),
        Route("/api/catalogs/{catalog}/schemas/{schema}/objects", objects, methods=["GET"]),
        Route("/api/tables/{catalog}/{schema}/{table}", table_detail, methods=["GET"]),
        Route("/api/volumes/restore", restore, methods=["POST"]),
        Route("/api/volumes/{catalog}/{schema}/{volume}", volume_detail, methods=["GET"]),
        Route("/api/functions", functions, methods=["GET"]),
        Route("/api/functions/{name}", function_detail, methods=["GET"]),
        Route("/api/completion", completion, methods=["GET"]),
        Route("/api/recipes", recipes, methods=["GET"]),
        Route("/api/recipes/{name}/render", render_recipe, methods=["POST"]),
        Route(PREFIX.rstrip("/") + "/{rest:path}", files_endpoint, methods=["GET", "HEAD", "PUT", "DELETE"]),
        Route("/api/{rest:path}", _no_endpoint, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        Mount("/", _spa(static)),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={ApiError: _api_error_response, LakelensError: _lakelens_error_response,
                                        HTTPException: _http_error_response, Exception: _internal_error_response})
    app.state.console = console
    return app


def _no_endpoint(request: Request) -> Response:
    raise ApiError("NOT_FOUND", f"no such endpoint: {request.method} {request.url.path[:200]}")
