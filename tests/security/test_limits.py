"""The gateway bounds what a client sends, before and after it signs in (engine/gateway/
transport.py `GatewayLimits`, `LoginThrottle`; sessions.py; service.py FetchResults; metadata.py
patterns; catalog/users.py hashes).

In-process gateways (no Spark) on their own homes, each with a `lakelens.toml` that lowers the
limit under test; real clients (PyHive, impyla, http.client, raw sockets, a raw TCLIService
client). Every test also checks that the server still answers another client afterwards.
Waits are for states the server reaches by itself; their guards only keep a broken server
from hanging the suite.
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import struct
import subprocess
import time

import pytest
from impala_thrift_gen.TCLIService import TCLIService
from impala_thrift_gen.TCLIService import ttypes as T
from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
from thrift.transport.TSocket import TSocket
from thrift.transport.TTransport import TBufferedTransport

from tests.clients.conftest import LAKELENS, govern, in_process_gateway

GUARD_S = 60
USERS = {"alice": "s3cret!", "bob": "hunter2"}


def _home(tmp_path_factory, name: str, toml: str, users: bool = False):
    home = tmp_path_factory.mktemp(name)
    (home / "lakelens.toml").write_text(toml)
    if users:
        for user, password in USERS.items():
            done = subprocess.run([str(LAKELENS), "--home", str(home), "user", "add", user, "--password-stdin"]
                                  + (["--admin"] if user == "alice" else []),
                                  input=password + "\n", capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
    return home


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """auth none, small request, session and fetch limits."""
    home = _home(tmp_path_factory, "limited-home", "[gateway]\nmax_request_bytes = 1048576\n"
                 "max_sessions = 5\nmax_sessions_per_user = 2\nmax_fetch_rows = 2\n")
    govern(home, "GRANT ALL PRIVILEGES ON CATALOG main TO `account users`", admins=())
    server = in_process_gateway(home, auth="none")
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """auth plain (alice, bob made by the CLI), sign-in waits of at most 4 s."""
    home = _home(tmp_path_factory, "plain-limits-home", "[gateway]\nmax_request_bytes = 1048576\n"
                 "login_max_delay_s = 4\n", users=True)
    server = in_process_gateway(home, auth="plain")
    yield server
    server.shutdown()


def _wait_for(predicate, what: str):
    guard = time.monotonic() + GUARD_S
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > guard:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def _hive(server, user="tester", **kw):
    from pyhive import hive

    return hive.connect("127.0.0.1", server.port, username=user, auth=kw.pop("auth", "NONE"), **kw)


def _answers(server, user="someone-else", **kw) -> None:
    """A new PyHive session on `server` runs a catalog statement."""
    conn = _hive(server, user, **kw)
    try:
        cur = conn.cursor()
        cur.execute("SHOW SCHEMAS IN main")
        assert ("default",) in cur.fetchall()
    finally:
        conn.close()


def _until_eof(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(GUARD_S)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def _sessions_gone(server):
    return lambda: not server.manager.sessions()


class Raw:
    """A raw (NOSASL) TCLIService client."""

    def __init__(self, server, user="raw", password=None):
        self.trans = TBufferedTransport(TSocket("127.0.0.1", server.port))
        self.client = TCLIService.Client(TBinaryProtocolAccelerated(self.trans))
        self.trans.open()
        resp = self.client.OpenSession(T.TOpenSessionReq(
            client_protocol=T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, username=user, password=password))
        self.status = resp.status
        self.session = resp.sessionHandle

    def fetch(self, op, n):
        return self.client.FetchResults(T.TFetchResultsReq(operationHandle=op, maxRows=n,
                                                           orientation=T.TFetchOrientation.FETCH_NEXT))

    def close(self):
        self.trans.close()


def _ok(resp):
    assert resp.status.statusCode == T.TStatusCode.SUCCESS_STATUS, resp.status
    return resp


def _column(rowset) -> list:
    return rowset.columns[0].stringVal.values if rowset.columns else []


# ---------------------------------------------------------------------------- request size

def test_http_huge_post_without_credentials_is_401_at_once(plain):
    """400 MiB announced, nothing sent: 401 without waiting for the body, then the connection
    closes. With credentials, the same announcement is 413 (gateway.max_request_bytes)."""
    head = (f"POST /cliservice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-thrift\r\n"
            f"Content-Length: {400 << 20}\r\n").encode()
    s = socket.create_connection(("127.0.0.1", plain.http_port))
    s.sendall(head + b"\r\n")
    answer = _until_eof(s)
    s.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer
    assert b"WWW-Authenticate: Basic" in answer
    s = socket.create_connection(("127.0.0.1", plain.http_port))
    good = base64.b64encode(b"alice:" + USERS["alice"].encode())
    s.sendall(head + b"Authorization: Basic " + good + b"\r\n\r\n")
    answer = _until_eof(s)
    s.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert b"gateway.max_request_bytes" in answer
    # The server still answers a real HTTP client.
    from impala.dbapi import connect

    conn = connect("127.0.0.1", plain.http_port, use_http_transport=True, http_path="cliservice",
                   auth_mechanism="PLAIN", user="alice", password=USERS["alice"])
    cur = conn.cursor()
    cur.execute("SHOW SCHEMAS IN main")
    assert ("default",) in cur.fetchall()
    conn.close()


def test_raw_message_claiming_a_huge_string_is_dropped(limited):
    """A raw Thrift call whose method name claims 2 GiB, a SASL frame that claims 2 GiB, and a
    message of small strings that together pass the limit: each connection is dropped before
    the server holds that much, and PyHive is served afterwards."""
    s = socket.create_connection(("127.0.0.1", limited.port))
    s.sendall(struct.pack(">Ii", 0x80010001, 0x7FFFFFF0) + b"OpenSession")
    assert _until_eof(s) == b""
    s.close()

    s = socket.create_connection(("127.0.0.1", limited.port))
    s.sendall(struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 5, 5) + b"\x00u\x00pw")
    assert s.recv(5)[0] == 5  # SASL COMPLETE
    s.sendall(struct.pack(">i", 0x7FFFFFF0) + b"\x80\x01\x00\x01")
    assert _until_eof(s) == b""
    s.close()

    # OpenSession with three 600 KiB configuration values: each string is under the 1 MiB
    # limit, the message is not.
    c = Raw.__new__(Raw)
    c.trans = TBufferedTransport(TSocket("127.0.0.1", limited.port))
    c.client = TCLIService.Client(TBinaryProtocolAccelerated(c.trans))
    c.trans.open()
    with pytest.raises(Exception):
        c.client.OpenSession(T.TOpenSessionReq(username="big", configuration={
            f"k{i}": "v" * (600 << 10) for i in range(3)}))
    c.close()
    _answers(limited)


def test_sasl_connection_that_sends_nothing_is_closed(tmp_path_factory):
    """handshake_timeout_s = 1: a connection that sends nothing, one that stops halfway through
    its SASL negotiation, and one that signs in and never sends a request are all closed. A
    signed-in connection silent for session_idle_timeout_s is closed too, with its session."""
    home = _home(tmp_path_factory, "idle-home", "[gateway]\nhandshake_timeout_s = 1\nsession_idle_timeout_s = 2\n")
    server = in_process_gateway(home, auth="none")
    try:
        silent = socket.create_connection(("127.0.0.1", server.port))
        assert _until_eof(silent) == b""
        silent.close()
        halfway = socket.create_connection(("127.0.0.1", server.port))
        halfway.sendall(struct.pack(">BI", 1, 5) + b"PLA")
        assert _until_eof(halfway) == b""
        halfway.close()
        signed_in = socket.create_connection(("127.0.0.1", server.port))
        signed_in.sendall(struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 5, 5) + b"\x00u\x00pw")
        assert _until_eof(signed_in)[:1] == b"\x05"  # COMPLETE, then closed: no first request
        signed_in.close()

        conn = _hive(server, "sleepy")
        assert len(server.manager.sessions()) == 1
        # Nothing sent for 2 s: the server closes the connection, which closes the session.
        _wait_for(_sessions_gone(server), "the idle connection's session closed")
        with pytest.raises(Exception):
            conn.cursor().execute("SHOW SCHEMAS IN main")
        _answers(server)
    finally:
        server.shutdown()


# ---------------------------------------------------------------------------- connections

def test_connections_over_the_cap_are_closed_at_once(tmp_path_factory, caplog):
    """max_connections_per_address = 3: a fourth connection (binary or HTTP) is closed at once
    and the warning names the address; once one closes, clients are served again."""
    home = _home(tmp_path_factory, "crowded-home", "[gateway]\nmax_connections_per_address = 3\n")
    server = in_process_gateway(home, auth="none")
    held = []
    try:
        with caplog.at_level(logging.WARNING, logger="lakelens.gateway"):
            held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
            _wait_for(lambda: server.binary.limits.connections.open == 3, "three connections counted")
            extra = socket.create_connection(("127.0.0.1", server.port))
            assert _until_eof(extra) == b""
            extra.close()
            web = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=GUARD_S)
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                web.request("POST", "/cliservice", body=b"")
                web.getresponse()
            web.close()
        assert any("127.0.0.1" in r.getMessage() and "gateway.max_connections_per_address" in r.getMessage()
                   for r in caplog.records), [r.getMessage() for r in caplog.records]
        for s in held[:1]:
            s.close()
        _wait_for(lambda: server.binary.limits.connections.open <= 2, "a slot freed")
        _answers(server)
    finally:
        for s in held:
            s.close()
        server.shutdown()


def test_connection_limiter_counts_total_and_per_address():
    from lakelens.engine.gateway.limits import ConnectionLimiter

    limiter = ConnectionLimiter(max_total=3, max_per_address=2)
    assert limiter.acquire("10.0.0.1") is None and limiter.acquire("10.0.0.1") is None
    assert "gateway.max_connections_per_address = 2" in limiter.acquire("10.0.0.1")
    assert limiter.acquire("10.0.0.2") is None
    assert "gateway.max_connections = 3" in limiter.acquire("10.0.0.3")
    limiter.release("10.0.0.1")
    assert limiter.acquire("10.0.0.3") is None and limiter.open == 3


# ---------------------------------------------------------------------------- sessions

def test_sessions_over_the_caps_are_refused(limited):
    """max_sessions_per_user = 2 and max_sessions = 5: OpenSession fails with
    SESSION_LIMIT_REACHED naming the user and the key; closing a session makes room."""
    from pyhive.exc import OperationalError

    _wait_for(_sessions_gone(limited), "sessions of earlier tests closed")
    mine = [_hive(limited, "capped"), _hive(limited, "capped")]
    with pytest.raises(OperationalError) as err:
        _hive(limited, "capped")
    status = err.value.args[0].status
    assert status.errorMessage.startswith("[SESSION_LIMIT_REACHED] user capped has 2 open sessions")
    assert "gateway.max_sessions_per_user = 2" in status.errorMessage and status.sqlState == "53400"
    others = [_hive(limited, "other"), _hive(limited, "other"), _hive(limited, "third")]
    with pytest.raises(OperationalError) as err:
        _hive(limited, "fourth")
    assert "gateway.max_sessions = 5" in err.value.args[0].status.errorMessage
    mine.pop().close()
    _wait_for(lambda: len(limited.manager.sessions()) == 4, "the closed session gone")
    again = _hive(limited, "capped")
    for conn in mine + others + [again]:
        conn.close()
    _wait_for(_sessions_gone(limited), "all sessions closed")
    _answers(limited)


def test_user_names_are_bounded_and_sessions_are_remote_principals(limited):
    """A 300-character user name is refused at OpenSession (a SASL message over 64 KiB never gets
    that far: the connection is dropped); a session impersonating another
    user (hive.server2.proxy.user, allowed with --auth none) runs as that user, as a proxy."""
    from pyhive.exc import OperationalError

    _wait_for(_sessions_gone(limited), "sessions of earlier tests closed")
    with pytest.raises(OperationalError) as err:
        _hive(limited, "u" * 300)
    assert err.value.args[0].status.errorMessage == "[INVALID_ARGUMENT] user names have at most 255 characters"
    conn = _hive(limited, "alice", configuration={"hive.server2.proxy.user": "bob"})
    (session,) = limited.manager.sessions()
    assert (session.principal.name, session.principal.auth, session.principal.remote) == ("bob", "proxy", True)
    assert session.principal.address.startswith("127.0.0.1:")
    conn.close()
    _wait_for(_sessions_gone(limited), "the session closed")


# ---------------------------------------------------------------------------- fetch size

def test_fetch_results_caps_max_rows(limited):
    """max_fetch_rows = 2: asking for a million rows gets 2 and hasMoreRows; the rest follows."""
    c = Raw(limited)
    _ok(c)
    expected = {"default"}
    for name in ("fetch_a", "fetch_b", "fetch_c"):
        c.client.ExecuteStatement(T.TExecuteStatementReq(sessionHandle=c.session,
                                                         statement=f"CREATE SCHEMA IF NOT EXISTS main.{name}"))
        expected.add(name)
    op = _ok(c.client.ExecuteStatement(T.TExecuteStatementReq(sessionHandle=c.session,
                                                               statement="SHOW SCHEMAS IN main"))).operationHandle
    first = _ok(c.fetch(op, 1_000_000))
    assert len(_column(first.results)) == 2 and first.hasMoreRows
    names = list(_column(first.results))
    while True:
        page = _ok(c.fetch(op, 1_000_000))
        assert len(_column(page.results)) <= 2
        names += _column(page.results)
        if not page.hasMoreRows:
            break
    assert expected <= set(names)
    c.close()
    # PyHive pages through the same cap and gets every row.
    conn = _hive(limited)
    cur = conn.cursor()
    cur.execute("SHOW SCHEMAS IN main")
    assert expected <= {r[0] for r in cur.fetchall()}
    conn.close()


# ---------------------------------------------------------------------------- patterns

def test_pathological_patterns_answer(limited):
    """'%' * 25 + '!' froze the server as a regex; now GetFunctions, GetSchemas and GetTables
    answer it (no rows), and ordinary patterns still match."""
    from lakelens.sql.functions import function_names

    # The function list is Spark's built-ins plus ours, read from Spark once per server; this
    # gateway has no Spark, so its list is put where that first call would leave it.
    limited.service._functions = [(name, "lakelens function") for name, _, _ in function_names()] + [
        ("x" * 60, "a long name"), ("upper", "Spark built-in function")]
    c = Raw(limited)
    _ok(c)
    evil = "%" * 25 + "!"
    op = _ok(c.client.GetFunctions(T.TGetFunctionsReq(sessionHandle=c.session, functionName=evil))).operationHandle
    assert _column(_ok(c.fetch(op, 100)).results) == []
    op = _ok(c.client.GetFunctions(T.TGetFunctionsReq(sessionHandle=c.session, functionName="UPP_R"))).operationHandle
    rows = _ok(c.fetch(op, 100)).results
    assert "upper" in rows.columns[2].stringVal.values
    op = _ok(c.client.GetSchemas(T.TGetSchemasReq(sessionHandle=c.session, catalogName="main",
                                                  schemaName="%" * 40 + "!"))).operationHandle
    assert _column(_ok(c.fetch(op, 100)).results) == []
    op = _ok(c.client.GetTables(T.TGetTablesReq(sessionHandle=c.session, catalogName="main",
                                                schemaName="d_f%", tableName="%" * 40 + "!"))).operationHandle
    assert _ok(c.fetch(op, 100)).results.columns[0].stringVal.values == []
    c.close()
    _answers(limited)


def test_jdbc_pattern_semantics():
    from lakelens.engine.gateway.metadata import jdbc_pattern

    assert jdbc_pattern(None) is None and jdbc_pattern("%") is None and jdbc_pattern("*") is None
    p = jdbc_pattern("t\\_a%")
    assert p.match("T_ABC") and not p.match("txabc")
    assert jdbc_pattern("s_op").match("shop") and not jdbc_pattern("s_op").match("shoop")
    assert jdbc_pattern("sh*").match("SHOP") and jdbc_pattern("%o%").match("shop")
    assert jdbc_pattern("a%b%c").match("aXXbYYc") and not jdbc_pattern("a%b%c").match("aXXcYYb")
    assert jdbc_pattern("100\\%").match("100%") and not jdbc_pattern("100\\%").match("1000")
    assert not jdbc_pattern("%" * 25 + "!").match("a" * 10_000)
    assert jdbc_pattern("%a" * 500 + "%").match("a" * 500) and not jdbc_pattern("%a" * 501).match("a" * 500)


# ---------------------------------------------------------------------------- sign-ins

def _sasl_error(server, user, password) -> str:
    """The error PyHive reports for a refused sign-in ('' when it is accepted)."""
    try:
        conn = _hive(server, user, password=password, auth="LDAP")
    except Exception as e:  # thrift_sasl: "Bad status: 3 (b'<the server's message>')"
        return str(e)
    conn.close()
    return ""


def test_failed_sign_ins_are_throttled(plain, caplog):
    """Three wrong passwords, then waits of 1, 2, 4 s (login_max_delay_s = 4) during which even
    the right password is refused without being checked, for that user over SASL, OpenSession
    credentials and HTTP, and for anyone from that address. A success clears both."""
    with caplog.at_level(logging.WARNING, logger="lakelens.gateway"):
        for _ in range(3):
            assert "validating the login" in _sasl_error(plain, "alice", "wrong")
        assert any("failed sign-in for user 'alice' from 127.0.0.1" in r.getMessage() for r in caplog.records)
    # Two more failures, each once the wait before it is over: the waits grow to 4 s.
    for _ in range(2):
        _wait_for(lambda: "validating the login" in _sasl_error(plain, "alice", "wrong"), "a checked attempt")
    error = _sasl_error(plain, "alice", USERS["alice"])
    assert "too many failed sign-ins for user alice; try again in" in error, error
    error = _sasl_error(plain, "bob", USERS["bob"])
    assert "too many failed sign-ins from address 127.0.0.1; try again in" in error, error
    raw = Raw(plain, "bob", USERS["bob"])  # OpenSession credentials (noSasl)
    assert "[LOGIN_THROTTLED] too many failed sign-ins from address 127.0.0.1" in raw.status.errorMessage
    raw.close()
    web = http.client.HTTPConnection("127.0.0.1", plain.http_port, timeout=GUARD_S)
    web.request("POST", "/cliservice", body=b"x", headers={
        "Authorization": "Basic " + base64.b64encode(b"bob:" + USERS["bob"].encode()).decode()})
    resp = web.getresponse()
    assert resp.status == 429 and int(resp.getheader("Retry-After")) >= 1
    assert b"too many failed sign-ins from address 127.0.0.1" in resp.read()
    web.close()
    # The wait ends: the right password signs in, and clears the address for bob at once.
    _wait_for(lambda: _sasl_error(plain, "alice", USERS["alice"]) == "", "alice signed in again")
    assert _sasl_error(plain, "bob", USERS["bob"]) == ""
    _answers(plain, "bob", password=USERS["bob"], auth="LDAP")


def test_login_throttle_is_bounded():
    from lakelens.engine.gateway.limits import LoginThrottle, LoginThrottled

    throttle = LoginThrottle(free=3, max_delay_s=300, max_entries=100)
    for i in range(1000):
        throttle.failed(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle) <= 200
    for _ in range(3):
        throttle.failed("carol", None)
    with pytest.raises(LoginThrottled) as err:
        throttle.check("Carol", "10.9.9.9")
    assert err.value.retry_after_s == 1 and err.value.error_class == "LOGIN_THROTTLED"
    throttle.succeeded("carol", None)
    throttle.check("carol", "10.9.9.9")


# ---------------------------------------------------------------------------- password hashes

def test_passwords_hash_at_the_current_cost_and_old_hashes_still_verify(tmp_path):
    import hashlib

    import sqlalchemy as sa

    from lakelens.catalog import Catalog
    from lakelens.catalog.metastore import users

    catalog = Catalog(f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "wh")
    catalog.set_user("dave", "pa55")
    with catalog.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == "dave")).first()
    assert row.password_hash.startswith("scrypt$17$8$1$") and len(row.password_hash) <= 128
    assert catalog.check_password("dave", "pa55") and not catalog.check_password("dave", "pa56")
    # A hash stored before the parameters were (bare hex, N=2**14) still signs in.
    salt = bytes(range(16))
    old = hashlib.scrypt(b"old-one", salt=salt, n=2**14, r=8, p=1, dklen=32).hex()
    with catalog.engine.begin() as conn:
        conn.execute(users.update().where(users.c.name == "dave").values(password_salt=salt.hex(), password_hash=old))
    assert catalog.check_password("dave", "old-one") and not catalog.check_password("dave", "pa55")
    assert not catalog.check_password("nobody", "pa55")
