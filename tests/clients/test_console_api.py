"""The web console's JSON API over real HTTP, as the page and scripts use it (docs/console.md):
sign-in, cookies and CSRF, statements and their pages, media cells, downloads, the explorer as
the signed-in user, volume files, recipes, and what a hostile client sends."""

from __future__ import annotations

import http.client
import io
import json
import wave
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
import requests

from tests.clients.conftest import CONSOLE_USERS
from tests.media import text_image

pytestmark = pytest.mark.slow


class Client:
    """One signed-in browser's worth of API calls (its cookie and CSRF token)."""

    def __init__(self, gw, user: str, password: str | None = None):
        self.base = gw.console_url
        self.http = requests.Session()
        r = self.http.post(self.base + "/api/session", json={"user": user, "password": password or CONSOLE_USERS[user]})
        assert r.status_code == 200, r.text
        self.me = r.json()
        self.http.headers["X-CSRF-Token"] = self.me["csrf_token"]

    def get(self, path, **kw):
        return self.http.get(self.base + path, **kw)

    def post(self, path, body=None, **kw):
        return self.http.post(self.base + path, json=body, **kw)

    def put(self, path, data, **kw):
        return self.http.put(self.base + path, data=data, **kw)

    def delete(self, path, **kw):
        return self.http.delete(self.base + path, **kw)

    def run(self, sql: str) -> dict:
        """Submit and wait (long polls) until the statement ends or its result is ready."""
        r = self.post("/api/statements", {"sql": sql})
        assert r.status_code == 201, r.text
        return self.wait(r.json()["id"])

    def wait(self, ident: str) -> dict:
        while True:
            st = self.get(f"/api/statements/{ident}", params={"wait_s": 5}).json()
            if st["state"] not in ("PENDING", "RUNNING"):
                return st

    def rows(self, ident: str, offset=0, limit=100) -> dict:
        r = self.get(f"/api/statements/{ident}/rows", params={"offset": offset, "limit": limit})
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def alice(console):
    return Client(console, "alice")


@pytest.fixture(scope="module")
def admin(console):
    return Client(console, "admin")


def test_nothing_answers_without_a_session(console):
    anon = requests.Session()
    for method, path in [("GET", "/api/session"), ("GET", "/api/catalogs"), ("POST", "/api/statements"),
                         ("GET", "/api/history"), ("GET", "/api/completion"), ("GET", "/api/recipes"),
                         ("GET", "/api/tables/demo/media/assets"), ("GET", "/api/statements/" + "0" * 32 + "/rows"),
                         ("GET", "/api/2.0/fs/directories/Volumes/demo/media/scans/"),
                         ("PUT", "/api/2.0/fs/files/Volumes/demo/media/uploads/x.png"),
                         ("POST", "/api/volumes/restore")]:
        r = anon.request(method, console.console_url + path, json={})
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["error_code"] == "UNAUTHENTICATED"
    # A forged cookie is no session either, and is told to sign in again.
    r = anon.get(console.console_url + "/api/catalogs", cookies={"lakelens_console": "ab" * 24})
    assert r.status_code == 401 and "expired" in r.json()["message"]


def test_sign_in_cookie_csrf_and_sign_out(console):
    base = console.console_url
    wrong = requests.post(base + "/api/session", json={"user": "alice", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json() == {"error_code": "UNAUTHENTICATED",
                                                         "message": "wrong user name or password"}
    assert "set-cookie" not in wrong.headers
    unknown = requests.post(base + "/api/session", json={"user": "mallory", "password": "x"})
    assert unknown.status_code == 401
    # Another site cannot sign a visitor in (login CSRF), nor post a form to it.
    evil = requests.post(base + "/api/session", json={"user": "alice", "password": CONSOLE_USERS["alice"]},
                         headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    form = requests.post(base + "/api/session", data={"user": "alice", "password": CONSOLE_USERS["alice"]})
    assert form.status_code == 415

    first = requests.post(base + "/api/session", json={"user": "alice", "password": CONSOLE_USERS["alice"]})
    raw = first.headers["Set-Cookie"]
    assert "lakelens_console=" in raw and "HttpOnly" in raw and "SameSite=strict" in raw and "Path=/" in raw
    c = Client(console, "alice")  # another browser
    assert c.me["user"] == "alice" and c.me["auth"] == "plain" and c.me["admin"] is False
    old = c.http.cookies["lakelens_console"]
    # The same browser signing in again gets a new session; the old one is closed.
    again = c.http.post(base + "/api/session", json={"user": "alice", "password": CONSOLE_USERS["alice"]})
    assert again.status_code == 200 and c.http.cookies["lakelens_console"] != old
    assert requests.get(base + "/api/session", cookies={"lakelens_console": old}).status_code == 401
    c.http.headers["X-CSRF-Token"] = again.json()["csrf_token"]
    # The first browser's session is its own, still signed in.
    assert requests.get(base + "/api/session", cookies=first.cookies).json()["user"] == "alice"

    # Writes need the session's CSRF token; reads do not.
    assert c.get("/api/session").json()["user"] == "alice"
    missing = c.http.post(base + "/api/statements", json={"sql": "SELECT 1"}, headers={"X-CSRF-Token": ""})
    assert missing.status_code == 403 and missing.json()["error_code"] == "CSRF_TOKEN_MISSING"
    forged = c.http.post(base + "/api/statements", json={"sql": "SELECT 1"}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and forged.json()["error_code"] == "CSRF_TOKEN_MISMATCH"

    assert c.delete("/api/session").status_code == 204
    assert c.get("/api/catalogs").status_code == 401

    # Every answer carries the page's security headers.
    page = requests.get(base + "/")
    assert page.status_code == 200 and "<div" in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_script_its_pages_and_its_media_cells(alice):
    st = alice.run("SELECT name, content, length(content) AS size FROM demo.media.scans ORDER BY name")
    assert st["state"] == "FINISHED", st
    assert [c["name"] for c in st["columns"]] == ["name", "content", "size"]
    page = alice.rows(st["id"])
    assert [r[0] for r in page["rows"]] == ["invoice_001.png", "memo_003.png", "poster_004.png", "receipt_002.png"]
    assert page["has_more"] is False and page["row_count"] == 4
    cell = page["rows"][0][1]["$binary"]
    assert cell["mime"] == "image/png" and cell["name"] == "invoice_001.png" and cell["size"] == page["rows"][0][2]
    png = alice.get(cell["url"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG") and len(png.content) == cell["size"]
    assert png.headers["Content-Security-Policy"] == "sandbox"  # never run as a page of the console
    part = alice.get(cell["url"], headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content == b"\x89PNG\r\n\x1a\n"
    assert alice.get(st["id"].join(["/api/statements/", "/cells/0/0"])).status_code == 400  # not BINARY
    assert alice.get(st["id"].join(["/api/statements/", "/cells/99/1"])).status_code == 404

    # A recording is audio/wav; a PDF gets a PNG preview of its first page.
    st = alice.run("SELECT name, content FROM demo.media.recordings WHERE name = 'hello.wav'")
    audio = alice.rows(st["id"])["rows"][0][1]["$binary"]
    assert audio["mime"] == "audio/wav"
    with wave.open(io.BytesIO(alice.get(audio["url"]).content)) as w:
        assert w.getnframes() > 0
    st = alice.run("SELECT name, content FROM demo.media.docs WHERE name = 'report.pdf'")
    pdf = alice.rows(st["id"])["rows"][0][1]["$binary"]
    assert pdf["mime"] == "application/pdf"
    preview = alice.get(pdf["url"] + "?preview=png")
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")


def test_large_results_are_paged_not_loaded_whole_and_download(alice):
    st = alice.run("SELECT id, id * 2 AS twice, array(cast(id AS double), 0.5D) AS v, "
                   "named_struct('a', id, 'b', 'x') AS s, map('k', id) AS m FROM range(0, 1050, 1, 4)")
    first = alice.rows(st["id"], 0, 500)
    assert len(first["rows"]) == 500 and first["has_more"] and first["row_count"] is None
    assert first["rows"][7] == [7, 14, [7.0, 0.5], {"a": 7, "b": "x"}, {"$map": [["k", 7]]}]
    last = alice.rows(st["id"], 1000, 500)
    assert [r[0] for r in last["rows"]] == list(range(1000, 1050)) and last["has_more"] is False
    assert last["row_count"] == 1050
    assert alice.rows(st["id"], 100, 3)["rows"][0][0] == 100  # paging back
    assert alice.get(f"/api/statements/{st['id']}/rows", params={"limit": 100000}).status_code == 400

    csv = alice.get(f"/api/statements/{st['id']}/download", params={"format": "csv"})
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0] == "id,twice,v,s,m" and len(lines) == 1051
    parquet = alice.get(f"/api/statements/{st['id']}/download", params={"format": "parquet"})
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 1050 and table.column("twice").to_pylist()[-1] == 2098
    assert alice.get(f"/api/statements/{st['id']}/download", params={"format": "xlsx"}).status_code == 400
    assert alice.delete(f"/api/statements/{st['id']}").status_code == 204
    assert alice.get(f"/api/statements/{st['id']}").status_code == 404


def test_errors_point_at_the_line_and_column_of_the_script(alice):
    script = "SELECT 1;\n\nSELECT name\n  FROM demo.media.scans WHERE size > ORDER BY 1"
    st = alice.run(script)
    assert st["state"] == "ERROR"
    err = st["error"]
    at = (4, script.splitlines()[3].index("ORDER") + 1)
    assert err["error_class"] == "PARSE_SYNTAX_ERROR" and (err["line"], err["column"]) == at, err
    st = alice.run("SELECT * FROM demo.media.no_such_table")
    assert st["error"]["error_class"] == "TABLE_OR_VIEW_NOT_FOUND" and st["error"]["line"] is None
    # Statements run in order; USE moves the session, and the last statement's rows are shown.
    st = alice.run("USE demo.media; SELECT count(*) AS n FROM assets")
    assert (st["catalog"], st["schema"]) == ("demo", "media")
    assert alice.rows(st["id"])["rows"] == [[9]]


def test_cancel_stops_the_spark_job_group(alice, console):
    r = alice.post("/api/statements", {"sql": "SELECT sum(hash(id)) FROM range(0, 40000000000, 1, 400)"})
    ident = r.json()["id"]
    while True:  # until Spark runs its tasks: the progress the editor shows
        st = alice.get(f"/api/statements/{ident}", params={"wait_s": 1}).json()
        if any(s["running"] for s in st["progress"]["stages"]):
            break
        assert st["state"] in ("PENDING", "RUNNING"), st
    st = alice.post(f"/api/statements/{ident}/cancel").json()
    assert st["state"] == "CANCELED"
    console.wait_for_log(rf"console statement {ident[:8]} canceled by alice, Spark job group \S+ cancelled")
    assert alice.wait(ident)["state"] == "CANCELED"


def test_history_is_the_users_own_statements(alice, admin):
    alice.run("SELECT 'alice was here' AS marker")
    admin.run("SELECT 'admin was here' AS marker")
    mine = [h["sql"] for h in alice.get("/api/history", params={"limit": 50}).json()["statements"]]
    assert "SELECT 'alice was here' AS marker" in mine
    assert "SELECT 'admin was here' AS marker" not in mine
    # The explorer's own queries (SHOW CATALOGS …) are not the user's history.
    alice.get("/api/catalogs")
    assert "SHOW CATALOGS" not in [h["sql"] for h in alice.get("/api/history").json()["statements"]]


def test_the_explorer_shows_what_the_user_may_see(alice, admin):
    assert {c["name"] for c in alice.get("/api/catalogs").json()["catalogs"]} == {"demo", "main"}
    assert "hr" in {c["name"] for c in admin.get("/api/catalogs").json()["catalogs"]}
    objects = alice.get("/api/catalogs/demo/schemas/media/objects").json()
    assert {t["name"] for t in objects["tables"]} == {"assets", "labels", "articles"}
    assert {"scans", "recordings", "uploads"} <= {v["name"] for v in objects["volumes"]}

    assets = alice.get("/api/tables/demo/media/assets").json()
    assert assets["format"] == "delta" and [c["name"] for c in assets["columns"]][:2] == ["path", "kind"]
    assert assets["history"][0]["operation"] == "CREATE TABLE AS SELECT"
    labels = alice.get("/api/tables/demo/media/labels").json()
    assert labels["format"] == "iceberg"
    scans = alice.get("/api/volumes/demo/media/scans").json()
    assert scans["type"] == "MANAGED" and scans["path"] == "/Volumes/demo/media/scans"
    assert scans["writable"] is False and alice.get("/api/volumes/demo/media/uploads").json()["writable"] is True
    ocr = alice.get("/api/functions/ocr").json()
    assert "Usage: ocr(image BINARY" in ocr["description"]
    names = alice.get("/api/completion").json()
    assert "ocr" in names["functions"] and names["tables"]["demo.media.assets"][:2] == ["path", "kind"]
    assert "demo.media.scans" in names["tables"] and not any(t.startswith("hr.") for t in names["tables"])

    # Grants and lineage: a view made from the table shows up downstream of it.
    assert admin.run("GRANT MODIFY ON TABLE demo.media.assets TO alice")["state"] == "FINISHED"
    assert admin.run("CREATE VIEW demo.media.images AS SELECT path, expected_text FROM demo.media.assets "
                     "WHERE kind = 'image'")["state"] == "FINISHED"
    detail = admin.get("/api/tables/demo/media/assets").json()
    assert ("alice", "MODIFY") in [(g["principal"], g["privilege"]) for g in detail["grants"]]
    assert "demo.media.images" in [e["name"] for e in detail["lineage"]["downstream"]]
    assert admin.run("CREATE TABLE main.default.scan_text AS SELECT name, upper(ocr(content)) AS text "
                     "FROM demo.media.scans")["state"] == "FINISHED"
    up = admin.get("/api/tables/main/default/scan_text").json()["lineage"]["upstream"]
    assert [(e["name"], e["type"], e["functions"]) for e in up] == [("demo.media.scans", "VOLUME", "ocr")]
    assert {"name": "images", "type": "VIEW"} in alice.get("/api/catalogs/demo/schemas/media/objects").json()["tables"]

    # What alice may not see is refused, and named no more than she named it.
    for path in ["/api/catalogs/hr/schemas", "/api/volumes/hr/staff/badges", "/api/tables/hr/staff/x",
                 "/api/2.0/fs/directories/Volumes/hr/staff/badges/",
                 "/api/2.0/fs/files/Volumes/hr/staff/badges/ceo.png"]:
        r = alice.get(path)
        assert r.status_code in (403, 404), (path, r.status_code, r.text)
    assert admin.get("/api/2.0/fs/files/Volumes/hr/staff/badges/ceo.png").status_code == 200


def test_upload_delete_and_restore_through_the_files_api(alice):
    png = text_image("console upload")
    path = "/api/2.0/fs/files/Volumes/demo/media/uploads/drop/new.png"
    assert alice.put(path, png).status_code == 204
    assert alice.put(path, png).json()["error_code"] == "ALREADY_EXISTS"
    assert alice.put(path + "?overwrite=true", png).status_code == 204
    listing = alice.get("/api/2.0/fs/directories/Volumes/demo/media/uploads/drop/").json()
    assert [(e["name"], e["file_size"]) for e in listing["contents"]] == [("new.png", len(png))]
    got = alice.get(path)
    assert got.content == png and got.headers["content-type"] == "image/png"
    part = alice.get(path, headers={"Range": "bytes=1-3"})
    assert part.status_code == 206 and part.content == png[1:4]
    assert part.headers["Content-Range"] == f"bytes 1-3/{len(png)}"
    assert alice.get(path, headers={"Range": f"bytes={len(png)}-"}).status_code == 416
    head = alice.http.head(alice.base + path)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(png)) and not head.content
    st = alice.run("SELECT name, length(content) FROM demo.media.uploads")
    assert ["new.png", len(png)] in alice.rows(st["id"])["rows"]

    assert alice.delete(path).status_code == 204
    assert alice.get(path).status_code == 404
    bin_ = alice.get("/api/2.0/fs/versions/Volumes/demo/media/uploads/").json()["versions"]
    assert any(v["path"].endswith("/drop/new.png") and v["status"] == "REMOVED" for v in bin_)
    r = alice.post("/api/volumes/restore", {"path": "/Volumes/demo/media/uploads/drop/new.png"})
    assert r.status_code == 200, r.text
    assert alice.get(path).content == png
    # A name with a quote is restored as that name (bound as a literal, not pasted).
    odd = "/api/2.0/fs/files/Volumes/demo/media/uploads/it's.png"
    assert alice.put(odd, png).status_code == 204 and alice.delete(odd).status_code == 204
    r = alice.post("/api/volumes/restore", {"path": "/Volumes/demo/media/uploads/it's.png", "version": 1})
    assert r.status_code == 200, r.text
    assert alice.get(odd).content == png
    # Scans are readable but not writable for alice.
    assert alice.put("/api/2.0/fs/files/Volumes/demo/media/scans/x.png", png).status_code == 403


def test_hostile_input_is_refused_with_a_message(alice, console):
    base = console.console_url
    for bad in ["/api/2.0/fs/files/Volumes/demo/media/uploads/..%2f..%2f..%2fetc%2fpasswd",
                "/api/2.0/fs/files/Volumes/demo/media/uploads/%2e%2e/%2e%2e/x",
                "/api/2.0/fs/files/Volumes/demo/media/uploads/a%00b", "/api/2.0/fs/files/etc/passwd",
                "/api/2.0/fs/files/Volumes/demo/media/uploads/a%5c..%5cb"]:
        r = alice.get(bad)
        assert r.status_code in (400, 403), (bad, r.status_code, r.text)
        assert r.json()["message"] and "root:" not in r.text
    r = alice.http.post(base + "/api/statements", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "MALFORMED_REQUEST" and "JSON" in r.json()["message"]
    deep = alice.http.post(base + "/api/statements", data="[" * 100_000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 400 and deep.json()["error_code"] == "MALFORMED_REQUEST"
    for body in ([1, 2], {"sql": 5}, {"nosql": "x"}):
        r = alice.post("/api/statements", body)
        assert r.status_code == 400 and r.json()["message"], body
    r = alice.http.post(base + "/api/statements", data=json.dumps({"sql": "SELECT 1", "pad": "x" * (2 << 20)}),
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "console.max_request_bytes" in r.json()["message"]
    assert alice.post("/api/volumes/restore", {"path": "/etc/passwd"}).status_code == 400
    restore = {"path": "/Volumes/demo/media/uploads/x", "version": "1"}  # a string, not a number
    assert alice.post("/api/volumes/restore", restore).status_code == 400
    assert alice.get("/api/statements/not-an-id").status_code == 404
    # Sizes a client names are bounded: a long poll of at most 10 s, a cell that must exist.
    st = alice.run("SELECT X'00' AS b")
    assert alice.get(f"/api/statements/{st['id']}", params={"wait_s": 3600}).status_code == 400
    assert alice.get(f"/api/statements/{st['id']}/cells/{10 ** 12}/0").status_code == 404
    assert alice.get("/api/tables/demo/media/assets`; DROP TABLE x; --").status_code in (400, 404)
    assert alice.get("/api/functions/ocr;drop").status_code == 400
    assert alice.get("/api/statements/" + "0" * 32 + "/rows", params={"offset": "-1"}).status_code in (400, 404)

    # An upload declaring more than the limit is refused before its body is read; a chunked one
    # that passes the limit is cut off and leaves nothing behind.
    conn = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=60)
    conn.putrequest("PUT", "/api/2.0/fs/files/Volumes/demo/media/uploads/huge.bin")
    for k, v in {"Cookie": f"lakelens_console={alice.http.cookies.get('lakelens_console')}",
                 "X-CSRF-Token": alice.me["csrf_token"], "Content-Length": str(50 << 30)}.items():
        conn.putheader(k, v)
    conn.endheaders()  # and not one byte of the 50 GiB
    answer = conn.getresponse()
    assert answer.status == 413 and "gateway.files.max_upload_bytes" in json.loads(answer.read())["message"]
    conn.close()

    def chunks():
        for _ in range(6):
            yield b"\0" * (1 << 20)

    r = alice.put("/api/2.0/fs/files/Volumes/demo/media/uploads/huge.bin", chunks())
    assert r.status_code == 413 and "gateway.files.max_upload_bytes" in r.json()["message"]
    assert alice.get("/api/2.0/fs/files/Volumes/demo/media/uploads/huge.bin").status_code == 404
    names = [e["name"] for e in alice.get("/api/2.0/fs/directories/Volumes/demo/media/uploads/").json()["contents"]]
    assert not any("huge" in n for n in names)

    # Another user's statement is not found for alice.
    other = Client(console, "admin")
    r = other.post("/api/statements", {"sql": "SELECT 1"})
    assert alice.get(f"/api/statements/{r.json()['id']}").status_code == 404


def test_recipes_render_with_checked_parameters(alice):
    recipes = {r["name"]: r for r in alice.get("/api/recipes").json()["recipes"]}
    chunks = recipes["documents_to_chunks"]
    assert {p["name"] for p in chunks["params"]} >= {"source", "target"}
    r = alice.post("/api/recipes/documents_to_chunks/render",
                   {"values": {"source": "demo.media.docs", "target": "main.default.chunks"}})
    assert r.status_code == 200 and "demo.media.docs" in r.json()["sql"] and "{{" not in r.json()["sql"]
    bad = alice.post("/api/recipes/documents_to_chunks/render", {"values": {"source": "x'; DROP TABLE t; --"}})
    assert bad.status_code == 400 and "source" in bad.json()["message"]
    assert alice.post("/api/recipes/nope/render", {"values": {}}).status_code == 404


def test_a_session_keeps_a_bounded_number_of_results(alice, console):
    """console.max_statements (32): the oldest ended result goes to make room for a new one."""
    first = alice.run("SELECT 1 AS one")["id"]
    for i in range(32):
        assert alice.run(f"SELECT {i} AS n")["state"] == "FINISHED"
    assert alice.get(f"/api/statements/{first}").status_code == 404
    r = alice.get(f"/api/statements/{first}/rows")
    assert r.status_code == 404 and "no such statement" in r.json()["message"]
