"""Authentication (SASL PLAIN, HTTP Basic, OpenSession credentials) and TLS, with real clients.

These gateways run in-process on their own homes and are only asked catalog statements,
so they need no Spark.
"""

from __future__ import annotations

import subprocess

import pytest

from .conftest import LAKELENS, govern, in_process_gateway
from .test_beeline import beeline


# What these servers' users may do: see catalog main's schemas (these tests are about signing in).
BROWSE_MAIN = "GRANT USE CATALOG, BROWSE ON CATALOG main TO `account users`"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    home = tmp_path_factory.mktemp("plain-home")
    # These tests sign in wrongly on purpose, several times; the throttle has its own tests
    # (tests/security/test_limits.py).
    (home / "lakelens.toml").write_text("[gateway]\nlogin_failures_before_delay = 100\n")
    # The CLI writes the user; the server reads it from the same catalog.
    for name, password in (("alice", "s3cret!"), ("bob", "hunter2")):
        done = subprocess.run([str(LAKELENS), "--home", str(home), "user", "add", name, "--password-stdin"]
                             + (["--admin"] if name == "alice" else []),
                              input=password + "\n", capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    listed = subprocess.run([str(LAKELENS), "--home", str(home), "user", "list"], capture_output=True, text=True)
    assert listed.stdout.splitlines() == ["alice (admin)", "bob"]
    govern(home, BROWSE_MAIN, admins=())
    server = in_process_gateway(home, auth="plain", flight_port=0)
    yield server
    server.shutdown()


def _schemas(cursor) -> list:
    cursor.execute("SHOW SCHEMAS IN main")
    return cursor.fetchall()


def test_pyhive_plain_password(plain):
    from pyhive import hive

    conn = hive.connect("127.0.0.1", plain.port, username="alice", password="s3cret!", auth="LDAP")
    cur = conn.cursor()
    assert ("default",) in _schemas(cur)
    conn.close()


def test_wrong_password_is_refused_without_a_session(plain):
    from pyhive import hive

    before = len(plain.manager.sessions())
    with pytest.raises(Exception) as err:
        hive.connect("127.0.0.1", plain.port, username="alice", password="wrong", auth="LDAP")
    assert "validating the login" in str(err.value) or "Bad status" in str(err.value)
    with pytest.raises(Exception):
        hive.connect("127.0.0.1", plain.port, username="mallory", password="s3cret!", auth="LDAP")
    assert len(plain.manager.sessions()) == before


def test_raw_transport_needs_credentials_in_open_session(plain):
    """A noSasl client on a password server must put the password in OpenSession."""
    from pyhive import hive

    with pytest.raises(Exception) as err:
        hive.connect("127.0.0.1", plain.port, username="alice", auth="NOSASL")
    assert "authentication failed" in str(err.value)


def test_beeline_plain_password(plain):
    url = f"jdbc:hive2://127.0.0.1:{plain.port}/default"
    ok = beeline(url, "-n", "bob", "-p", "hunter2", script="SHOW SCHEMAS IN main;")
    assert ok.returncode == 0, ok.stderr
    assert "default" in ok.stdout.split()
    bad = beeline(url, "-n", "bob", "-p", "nope", script="SHOW SCHEMAS IN main;")
    assert bad.returncode != 0
    assert "Could not open client transport" in bad.stderr or "Error validating" in bad.stderr


def test_http_basic_auth(plain):
    from impala.dbapi import connect

    conn = connect("127.0.0.1", plain.http_port, use_http_transport=True, http_path="cliservice",
                   auth_mechanism="PLAIN", user="alice", password="s3cret!")
    cur = conn.cursor()
    assert ("default",) in _schemas(cur)
    conn.close()
    with pytest.raises(Exception) as err:
        connect("127.0.0.1", plain.http_port, use_http_transport=True, http_path="cliservice",
                auth_mechanism="PLAIN", user="alice", password="bad").cursor()
    assert "401" in str(err.value)


def test_impersonation_needs_permission(plain):
    from pyhive import hive

    with pytest.raises(Exception) as err:
        hive.connect("127.0.0.1", plain.port, username="alice", password="s3cret!", auth="LDAP",
                     configuration={"hive.server2.proxy.user": "bob"})
    assert "may not impersonate" in str(err.value)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    home = tmp_path_factory.mktemp("tls-home")
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True, timeout=60)
    govern(home, BROWSE_MAIN, admins=())
    server = in_process_gateway(home, auth="none", ssl_cert=str(cert), ssl_key=str(key), flight_port=0)
    yield server, cert
    server.shutdown()


@pytest.mark.parametrize("http", [False, True])
def test_tls_on_both_transports(tls, http):
    from impala.dbapi import connect

    server, cert = tls
    kw = dict(use_http_transport=True, http_path="cliservice") if http else dict(auth_mechanism="PLAIN")
    conn = connect("127.0.0.1", server.http_port if http else server.port, use_ssl=True, ca_cert=str(cert),
                   user="tls-user", password="x", **kw)
    cur = conn.cursor()
    assert ("default",) in _schemas(cur)
    cur.close()
    conn.close()


def test_plaintext_client_cannot_talk_to_tls_port(tls):
    from pyhive import hive

    server, _ = tls
    with pytest.raises(Exception):
        hive.connect("127.0.0.1", server.port, username="x", auth="NOSASL")
    # the server survives it
    from impala.dbapi import connect

    conn = connect("127.0.0.1", server.port, use_ssl=True, ca_cert=str(tls[1]), auth_mechanism="PLAIN",
                   user="u", password="p")
    assert ("default",) in _schemas(conn.cursor())
    conn.close()


# ---------------------------------------------------------------------- Arrow Flight SQL (ADBC)
def _flight(port: int, scheme="grpc", **db_kwargs):
    import adbc_driver_flightsql.dbapi as flightsql

    return flightsql.connect(f"{scheme}://127.0.0.1:{port}", db_kwargs=db_kwargs, autocommit=True)


def test_flight_sql_signs_in_with_the_catalogs_users(plain):
    with _flight(plain.flight_port, username="bob", password="hunter2") as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user() AS me")
        assert cur.fetchall() == [("bob",)]
        cur.execute("SHOW SCHEMAS IN main")
        assert ("default",) in cur.fetchall()
    before = len(plain.manager.sessions())
    for creds in ({"username": "bob", "password": "wrong"}, {"username": "mallory", "password": "hunter2"}, {}):
        with pytest.raises(Exception) as err:
            with _flight(plain.flight_port, **creds) as conn, conn.cursor() as cur:
                cur.execute("SHOW SCHEMAS IN main")
        assert "UNAUTHENTICATED" in str(err.value) or "Unauthenticated" in str(err.value), creds
    assert len(plain.manager.sessions()) == before


def test_flight_sql_over_tls(tls):
    from adbc_driver_flightsql import DatabaseOptions

    server, cert = tls
    with _flight(server.flight_port, "grpc+tls", username="tls-user", password="x",
                 **{DatabaseOptions.TLS_ROOT_CERTS.value: cert.read_text()}) as conn, conn.cursor() as cur:
        cur.execute("SHOW SCHEMAS IN main")
        assert ("default",) in cur.fetchall()
    with pytest.raises(Exception):  # a plaintext client gets nothing from the TLS port
        with _flight(server.flight_port, username="tls-user", password="x") as conn, conn.cursor() as cur:
            cur.execute("SHOW SCHEMAS IN main")
