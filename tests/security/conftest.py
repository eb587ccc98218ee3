"""A real `lakelens serve` configured as a shared server would be: remote users, one external
root, no server paths for PUT/GET. The attacks in this suite are tried against it over real
clients (PyHive, beeline, a raw TCLIService client)."""

from __future__ import annotations

import pytest

from tests.clients.conftest import _start_serve, govern, hive_connect, stop_serve

SECRET = "lakelens-secret-7f3a9c"  # bytes that must never reach a client


@pytest.fixture(scope="session")
def secure(tmp_path_factory):
    """The server, with an external root (`<tmp>/external`) and a file outside everything a
    remote user may reach (`outside/secret.txt`, holding SECRET)."""
    base = tmp_path_factory.mktemp("secure")
    home, external, outside = base / "home", base / "external", base / "outside"
    for d in (home, external, outside):
        d.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    # A low bound on dedup's candidate pairs, so that a quadratic request is cheap to try.
    (home / "lakelens.toml").write_text(f'[storage]\nexternal_roots = ["{external}"]\n'
                                        '[dedup]\nmax_candidate_pairs = 20000\n')
    # Its users work in catalog main and may create external volumes and tables under the
    # external root: the attacks below are tried with ordinary rights, not without any.
    govern(home, "GRANT ALL PRIVILEGES ON CATALOG main TO `account users`",
           f"GRANT CREATE EXTERNAL VOLUME, CREATE EXTERNAL TABLE ON EXTERNAL LOCATION '{external}' "
           "TO `account users`", admins=())
    gw = _start_serve(home)
    gw.external, gw.outside = external, outside
    yield gw
    stop_serve(gw)


def execute(gw, statement: str, user: str = "eve", **kw):
    """Run one statement over PyHive; (rows, None) or (None, (message, sqlstate))."""
    from pyhive.exc import OperationalError

    conn = hive_connect(gw, user=user, **kw)
    try:
        cur = conn.cursor()
        try:
            cur.execute(statement)
            return (cur.fetchall() if cur.description else []), None
        except OperationalError as e:  # carries the server's TStatus
            status = e.args[0].status
            return None, (status.errorMessage, status.sqlState)
    finally:
        conn.close()


def refused(gw, statement: str, error_class: str, sqlstate: str) -> str:
    """The statement fails with `error_class`/`sqlstate`, and SECRET is nowhere in the error."""
    rows, error = execute(gw, statement)
    assert error is not None, f"{statement!r} was not refused: {rows}"
    message, state = error
    assert message.startswith(f"[{error_class}] ") and state == sqlstate, error
    assert SECRET not in message
    return message


def alive(gw) -> None:
    """The server still answers a new session (the JVM and the gateway are up)."""
    rows, error = execute(gw, "SELECT 40 + 2", user="someone-else")
    assert error is None and rows == [(42,)], error
