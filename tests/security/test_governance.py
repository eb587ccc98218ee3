"""Grants enforced over the gateway, tried as a new team would: an administrator, alice (who
builds a table from a volume of scans with `ocr(content)`) and bob (an analyst who may read
the table, not the scans). Real clients (PyHive with passwords, a raw TCLIService client for
the metadata calls, the Files API over HTTP) against a `--auth plain` gateway; every refusal is
PERMISSION_DENIED / 42501, names nothing bob may not see, and lands in the audit log."""

from __future__ import annotations

import base64
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.clients.conftest import LAKELENS, in_process_gateway
from tests.media import text_image
from impala_thrift_gen.TCLIService import ttypes as T

from tests.security.test_limits import Raw, _column, _ok

PASSWORDS = {"root": "root-pw-1", "alice": "alice-pw-2", "bob": "bob-pw-3"}
SCANS = {"invoice.png": "INVOICE 2041 TOTAL 318 EUR", "memo.png": "MEMO MEET AT NOON"}


def connect(gw, user):
    from pyhive import hive

    return hive.connect("127.0.0.1", gw.port, username=user, password=PASSWORDS[user], auth="LDAP")


def run(conn, statement):
    """(rows, None) or (None, (message, sqlstate)) of one statement on an open connection."""
    from pyhive.exc import OperationalError

    cur = conn.cursor()
    try:
        cur.execute(statement)
        return (cur.fetchall() if cur.description else []), None
    except OperationalError as e:
        status = e.args[0].status
        return None, (status.errorMessage, status.sqlState)


def ok(conn, statement):
    rows, error = run(conn, statement)
    assert error is None, f"{statement}: {error}"
    return rows


def denied(conn, statement, *, hidden=()):
    """The statement is refused with PERMISSION_DENIED/42501; `hidden` names appear nowhere."""
    rows, error = run(conn, statement)
    assert error is not None, f"{statement!r} was not refused: {rows}"
    message, state = error
    assert message.startswith("[PERMISSION_DENIED] ") and state == "42501", error
    for name in hidden:
        assert name not in message, message
    return message


def files_api(gw, method, path, user, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{gw.http_port}/api/2.0/fs/files{path}", data=body,
                                     method=method)
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    home = tmp_path_factory.mktemp("governed")
    # Sign-in waits grow 1, 2, 4, … s after the second failure: long enough that the brute-force
    # test meets the throttle however slowly the machine runs its attempts.
    (home / "lakelens.toml").write_text("[gateway]\nlogin_failures_before_delay = 2\nlogin_max_delay_s = 120\n")
    # A fresh --auth plain server refuses to start without an administrator.
    from lakelens.catalog import LakelensError

    with pytest.raises(LakelensError, match="NO_ADMINISTRATOR"):
        in_process_gateway(home, auth="plain")
    done = subprocess.run([str(LAKELENS), "--home", str(home), "user", "add", "root", "--admin", "--password-stdin"],
                          input=PASSWORDS["root"] + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    gw = in_process_gateway(home, auth="plain")
    root = connect(gw, "root")
    for statement in [
        f"CREATE USER alice WITH PASSWORD '{PASSWORDS['alice']}'",
        f"CREATE USER bob WITH PASSWORD '{PASSWORDS['bob']}'",
        "CREATE GROUP analysts",
        "ALTER GROUP analysts ADD USER bob",
        "CREATE CATALOG demo",
        "GRANT USE CATALOG, CREATE SCHEMA ON CATALOG demo TO alice",
        "GRANT USE CATALOG ON CATALOG demo TO analysts",
    ]:
        ok(root, statement)
    alice = connect(gw, "alice")
    ok(alice, "CREATE SCHEMA demo.media")
    ok(alice, "CREATE VOLUME demo.media.scans")
    for name, text in SCANS.items():  # uploaded through the Files API, as a remote user does
        assert files_api(gw, "PUT", f"/Volumes/demo/media/scans/{name}", "alice", text_image(text)) == 204
    ok(alice, "CREATE TABLE demo.media.texts AS SELECT name, ocr(content) AS text FROM demo.media.scans")
    for statement in [
        "GRANT USE SCHEMA ON SCHEMA demo.media TO analysts",
        "GRANT SELECT ON TABLE demo.media.texts TO analysts",
    ]:
        ok(alice, statement)
    gw.conns = {"root": root, "alice": alice, "bob": connect(gw, "bob")}
    yield gw
    for conn in gw.conns.values():
        conn.close()
    gw.shutdown()


def test_bob_reads_the_table_but_not_the_volume(team):
    bob = team.conns["bob"]
    assert sorted(ok(bob, "SELECT name, text FROM demo.media.texts")) == sorted(SCANS.items())
    message = denied(bob, "SELECT name FROM demo.media.scans")
    assert message == "[PERMISSION_DENIED] user bob lacks READ VOLUME on volume demo.media.scans"
    denied(bob, "SELECT * FROM read_files('/Volumes/demo/media/scans/memo.png')")
    denied(bob, "SELECT * FROM read_files('/Volumes/demo/media/scans/nothing-here.png')")  # no existence oracle
    denied(bob, "LIST '/Volumes/demo/media/scans'")
    denied(bob, "SELECT count(*) FROM dedup(TABLE(demo.media.scans), id => 'name', on => 'content')")
    assert files_api(team, "GET", "/Volumes/demo/media/scans/memo.png", "bob") == 403
    assert files_api(team, "PUT", "/Volumes/demo/media/scans/x.png", "bob", b"x") == 403
    # ... and does not see it: SHOW, the JDBC metadata calls.
    assert ok(bob, "SHOW VOLUMES IN demo.media") == []
    assert [r[0] for r in ok(bob, "SHOW TABLES IN demo.media")] == ["texts"]
    raw = Raw(team, "bob", PASSWORDS["bob"])
    try:
        op = _ok(raw.client.GetTables(T.TGetTablesReq(sessionHandle=raw.session, catalogName="demo",
                                                      schemaName="%", tableName="%"))).operationHandle
        columns = _ok(raw.fetch(op, 1000)).results.columns
        assert columns[2].stringVal.values == ["texts"]  # TABLE_NAME: the volume is not listed
        op = _ok(raw.client.GetSchemas(T.TGetSchemasReq(sessionHandle=raw.session, catalogName="demo",
                                                        schemaName="%"))).operationHandle
        assert _column(_ok(raw.fetch(op, 1000)).results) == ["media"]  # not vault, not default
    finally:
        raw.close()
    assert ok(bob, "SELECT volume_name FROM system.information_schema.volumes") == []
    assert ok(bob, "SELECT table_name FROM system.information_schema.tables WHERE table_catalog = 'demo'") \
        == [("texts",)]
    assert ok(bob, "SELECT grantee, table_name, privilege_type, inherited_from "
                   "FROM system.information_schema.table_privileges") == [("analysts", "texts", "SELECT", "NONE")]
    assert ok(team.conns["alice"], "SHOW VOLUMES IN demo.media") == [("media", "scans")]
    assert ok(team.conns["alice"], "SELECT volume_name, volume_owner FROM system.information_schema.volumes") \
        == [("scans", "alice")]
    # DESCRIBE shows the table's lineage, but not the volume bob may not see.
    described = {r[0]: r[1] for r in ok(bob, "DESCRIBE TABLE EXTENDED demo.media.texts")}
    assert "Upstream" not in described and "scans" not in str(described)
    described = {r[0]: r[1] for r in ok(team.conns["alice"], "DESCRIBE TABLE EXTENDED demo.media.texts")}
    assert described["Upstream"] == "demo.media.scans"
    # DESCRIBE LINEAGE: the volume -> table edge with the function that made the column, for
    # alice; for bob, whose only upstream is the volume he may not see, nothing.
    lineage = ok(team.conns["alice"], "DESCRIBE LINEAGE demo.media.texts UPSTREAM")
    assert [r[2:7] for r in lineage] == [("demo.media.scans", "VOLUME", "demo.media.texts", "TABLE", "ocr")]
    assert ok(bob, "DESCRIBE LINEAGE demo.media.texts") == []
    assert ok(bob, "SELECT * FROM system.access.column_lineage WHERE source_table_full_name LIKE '%scans'") == []


def test_grants_need_the_owner_and_views_run_with_the_definers_rights(team):
    root, alice, bob = (team.conns[u] for u in ("root", "alice", "bob"))
    denied(bob, "GRANT SELECT ON TABLE demo.media.texts TO bob")
    denied(bob, "GRANT READ VOLUME ON VOLUME demo.media.scans TO analysts")
    # A view alice owns over her volume: bob reads the view, still not the volume.
    ok(alice, "CREATE VIEW demo.media.scan_names AS SELECT name FROM demo.media.scans")
    ok(alice, "GRANT SELECT ON VIEW demo.media.scan_names TO bob")
    assert sorted(ok(bob, "SELECT * FROM demo.media.scan_names")) == [(n,) for n in sorted(SCANS)]
    denied(bob, "SELECT name FROM demo.media.scans")
    # A view over a table neither the viewer nor (any more) the definer may read.
    ok(root, "CREATE SCHEMA demo.vault")
    ok(root, "CREATE TABLE demo.vault.salaries AS SELECT 'carol' AS who, 9000 AS pay")
    ok(root, "GRANT USE SCHEMA ON SCHEMA demo.vault TO alice")
    ok(root, "GRANT SELECT ON TABLE demo.vault.salaries TO alice")
    ok(alice, "CREATE VIEW demo.media.pay AS SELECT * FROM demo.vault.salaries")
    ok(alice, "GRANT SELECT ON VIEW demo.media.pay TO bob")
    assert ok(bob, "SELECT pay FROM demo.media.pay") == [(9000,)]
    ok(root, "REVOKE SELECT ON TABLE demo.vault.salaries FROM alice")
    message = denied(bob, "SELECT pay FROM demo.media.pay", hidden=("vault", "salaries"))
    assert "view demo.media.pay cannot be read" in message
    denied(bob, "SELECT * FROM demo.vault.salaries")


def test_execute_on_a_function_is_checked_inside_views_too(team):
    root, alice, bob = (team.conns[u] for u in ("root", "alice", "bob"))
    ok(alice, "CREATE VIEW demo.media.live_text AS SELECT name, upper(text) AS shout FROM demo.media.texts")
    ok(alice, "GRANT SELECT ON VIEW demo.media.live_text TO bob")
    ok(alice, "CREATE VIEW demo.media.lengths AS SELECT name, text_stats(text).words AS words FROM demo.media.texts")
    ok(alice, "GRANT SELECT ON VIEW demo.media.lengths TO bob")
    assert len(ok(bob, "SELECT * FROM demo.media.lengths")) == 2
    ok(root, "REVOKE EXECUTE ON FUNCTION text_stats FROM `account users`")
    ok(root, "GRANT EXECUTE ON FUNCTION text_stats TO alice")
    assert denied(bob, "SELECT * FROM demo.media.lengths") == \
        "[PERMISSION_DENIED] user bob lacks EXECUTE on function text_stats"
    assert len(ok(alice, "SELECT * FROM demo.media.lengths")) == 2
    assert len(ok(bob, "SELECT * FROM demo.media.live_text")) == 2  # no library function in it
    shown = ok(root, "SHOW GRANTS ON FUNCTION text_stats")
    assert {(r[0], r[1]) for r in shown} == {("alice", "EXECUTE")}


def test_smuggled_names_are_names(team):
    root, bob = team.conns["root"], team.conns["bob"]
    _, error = run(root, "GRANT SELECT ON TABLE demo.media.texts TO `bob; DROP TABLE demo.media.texts`")
    assert error[0].startswith("[PRINCIPAL_DOES_NOT_EXIST]"), error
    _, error = run(bob, "SELECT * FROM demo.media.`texts; DROP TABLE demo.media.texts`")
    assert error[0].startswith("[TABLE_OR_VIEW_NOT_FOUND]") or error[0].startswith("[PERMISSION_DENIED]"), error
    denied(bob, "CREATE USER `eve' --` WITH PASSWORD 'x'")
    denied(bob, "ALTER USER bob SET ADMIN true")
    assert ok(root, "SELECT count(*) FROM demo.media.texts") == [(2,)]


def test_current_user_and_group_membership_make_dynamic_views(team):
    alice, bob = team.conns["alice"], team.conns["bob"]
    ok(alice, "CREATE VIEW demo.media.mine AS SELECT name, CASE WHEN is_account_group_member('analysts') "
              "THEN text ELSE '***' END AS text, current_user() AS who FROM demo.media.texts")
    ok(alice, "GRANT SELECT ON VIEW demo.media.mine TO bob")
    assert {r[1:] for r in ok(bob, "SELECT * FROM demo.media.mine")} == {(t, "bob") for t in SCANS.values()}
    assert {r[1:] for r in ok(alice, "SELECT * FROM demo.media.mine")} == {("***", "alice")}


def test_revoking_or_removing_a_connected_user_takes_effect_at_the_next_statement(team):
    root, alice = team.conns["root"], team.conns["alice"]
    ok(root, "CREATE USER carol WITH PASSWORD 'carol-pw'")
    PASSWORDS["carol"] = "carol-pw"
    ok(root, "GRANT USE CATALOG ON CATALOG demo TO carol")
    ok(alice, "GRANT USE SCHEMA ON SCHEMA demo.media TO carol")
    ok(alice, "GRANT SELECT ON TABLE demo.media.texts TO carol")
    carol = connect(team, "carol")
    try:
        assert len(ok(carol, "SELECT * FROM demo.media.texts")) == 2
        ok(alice, "REVOKE SELECT ON TABLE demo.media.texts FROM carol")
        denied(carol, "SELECT * FROM demo.media.texts")
        ok(alice, "GRANT SELECT ON TABLE demo.media.texts TO carol")
        assert len(ok(carol, "SELECT * FROM demo.media.texts")) == 2
        ok(root, "DROP USER carol")
        assert denied(carol, "SELECT 1") == "[PERMISSION_DENIED] user carol no longer exists"
    finally:
        carol.close()


def test_every_sign_in_statement_grant_and_file_call_is_audited(team):
    from pyhive import hive

    root, bob = team.conns["root"], team.conns["bob"]
    throttled = "SELECT count(*) FROM system.access.audit WHERE user_identity = 'bob' AND status_code = 429"
    for _ in range(10):  # brute force: refused, then throttled (waited for as an audited event)
        with pytest.raises(Exception):
            hive.connect("127.0.0.1", team.port, username="bob", password="guess", auth="LDAP")
        if ok(root, throttled) != [(0,)]:
            break
    rows = ok(root, "SELECT user_identity, action_name, status_code, request_params['statement'], securables "
                    "FROM system.access.audit")
    events = {(r[0], r[1], r[2]) for r in rows}
    assert ("bob", "login", 401) in events and ("bob", "login", 429) in events
    assert ("bob", "login", 200) in events and ("root", "login", 200) in events
    assert ("alice", "GRANT", 200) in events and ("bob", "GRANT", 403) in events
    assert ("alice", "files.put", 200) in events and ("bob", "files.get", 403) in events
    denied_select = [r for r in rows if r[0] == "bob" and r[1] == "SELECT" and r[2] == 403]
    assert any("demo.media.scans" in r[4] for r in denied_select)
    assert not any("PASSWORD '" in (r[3] or "") and "***" not in r[3] for r in rows)  # never a password
    # bob sees his own events only.
    assert {r[0] for r in ok(bob, "SELECT user_identity FROM system.access.audit")} == {"bob"}


def test_side_doors_are_shut(team):
    """Internal UDF names, a table function's models, ownership hand-offs, close-name
    suggestions, the user list: none of them is a way around a grant."""
    root, alice, bob = (team.conns[u] for u in ("root", "alice", "bob"))
    _, error = run(bob, "SELECT ll_ocr(name) FROM demo.media.texts")
    assert error[0].startswith("[INVALID_ARGUMENT]") and "internal function names" in error[0], error
    ok(root, "REVOKE EXECUTE ON FUNCTION minhash FROM `account users`")
    assert "lacks EXECUTE on function minhash" in denied(
        bob, "SELECT * FROM dedup(TABLE(demo.media.texts), id => 'name', on => 'text')")
    # Handing a view to someone with more rights would keep it reading what its maker lost.
    ok(alice, "CREATE VIEW demo.media.handoff AS SELECT name FROM demo.media.texts")
    denied(alice, "ALTER VIEW demo.media.handoff OWNER TO root")
    _, error = run(root, "ALTER VIEW demo.media.handoff OWNER TO nobody_at_all")
    assert error[0].startswith("[PRINCIPAL_DOES_NOT_EXIST]"), error
    # External locations: a path a client names is only ever compared with the server's roots,
    # which a non-admin is not told.
    _, error = run(bob, "GRANT CREATE EXTERNAL VOLUME ON EXTERNAL LOCATION '/etc' TO bob")
    assert error[0].startswith("[PATH_NOT_FOUND]") and "external_roots" not in error[0], error
    denied(bob, "SHOW USERS")
    denied(bob, "SHOW GROUPS")
    # A miss suggests close names to an administrator only.
    _, error = run(bob, "SELECT * FROM demo.vault.salarie")
    assert "salaries" not in error[0], error
    _, error = run(root, "SELECT * FROM demo.vault.salarie")
    assert "did you mean demo.vault.salaries" in error[0], error
    # A user who owns something is not removed behind its back.
    _, error = run(root, "DROP USER alice")
    assert error[0].startswith("[PRINCIPAL_OWNS_SECURABLES]"), error
    # Passwords stay out of the audit log, comments or typos around them notwithstanding.
    run(root, "ALTER USER bob SET PASSWORD /* new */ 'hunter-77'")
    run(root, "CREATE USER dave WITH PASSWORD 'typo-pw-88' ADMN")
    texts = [str(r) for r in ok(root, "SELECT request_params, error_message FROM system.access.audit")]
    assert not any("hunter-77" in t or "typo-pw-88" in t for t in texts)
    run(root, f"ALTER USER bob SET PASSWORD '{PASSWORDS['bob']}'")


def files_api_json(gw, path, user, endpoint="versions"):
    request = urllib.request.Request(f"http://127.0.0.1:{gw.http_port}/api/2.0/fs/{endpoint}{path}")
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_a_removed_file_and_a_dropped_table_come_back(team):
    """The recycle bin over the gateway: alice removes a scan and drops the table bob reads;
    bob may neither see nor restore them; alice brings both back, with bob's grant and the
    table's lineage; every step is in the audit log."""
    import json

    root, alice, bob = (team.conns[u] for u in ("root", "alice", "bob"))
    memo = "/Volumes/demo/media/scans/memo.png"
    original = files_api_json(team, memo, "alice", "files")[1]
    assert files_api(team, "DELETE", memo, "alice") == 204
    assert files_api(team, "GET", memo, "alice") == 404
    versions = ok(alice, f"LIST VERSIONS '{memo}'")
    assert [(r[0], r[1], r[4], r[5]) for r in versions] == [(memo, 1, "REMOVED", "alice")]
    denied(bob, f"LIST VERSIONS '{memo}'")
    denied(bob, f"RESTORE '{memo}'")
    assert files_api_json(team, memo, "bob")[0] == 403
    status, body = files_api_json(team, memo, "alice")
    assert status == 200 and [(v["version"], v["status"]) for v in json.loads(body)["versions"]] == [(1, "REMOVED")]
    assert files_api_json(team, memo + "?version=1", "alice", "files") == (200, original)
    assert ok(alice, f"SELECT name, length(content) FROM read_files('{memo}', version => 1)") == \
        [("memo.png", len(original))]
    assert ok(alice, f"RESTORE '{memo}'") == [(memo, 1)]
    assert files_api_json(team, memo, "alice", "files") == (200, original)

    # The table bob reads goes to the recycle bin; only who could manage it sees or restores it.
    ok(alice, "DROP TABLE demo.media.texts")
    _, error = run(bob, "SELECT * FROM demo.media.texts")
    assert error is not None
    assert ok(bob, "SHOW TABLES DROPPED IN demo.media") == []
    assert denied(bob, "UNDROP TABLE demo.media.texts") == \
        "[PERMISSION_DENIED] user bob lacks MANAGE on dropped table demo.media.texts"
    dropped = ok(alice, "SHOW TABLES DROPPED IN demo.media")
    assert [(r[2], r[4], r[9], r[11]) for r in dropped] == [("texts", "MANAGED", "alice", "alice")]
    ok(alice, f"UNDROP TABLE WITH ID '{dropped[0][3]}'")
    assert sorted(ok(bob, "SELECT name, text FROM demo.media.texts")) == sorted(SCANS.items())  # the grant is back
    lineage = ok(alice, "DESCRIBE LINEAGE demo.media.texts UPSTREAM")
    assert [r[2:7] for r in lineage] == [("demo.media.scans", "VOLUME", "demo.media.texts", "TABLE", "ocr")]
    events = {(r[0], r[1], r[2]) for r in ok(root, "SELECT user_identity, action_name, status_code "
                                                   "FROM system.access.audit")}
    assert {("alice", "files.delete", 200), ("alice", "RESTORE", 200), ("alice", "DROP TABLE", 200),
            ("alice", "UNDROP TABLE", 200), ("bob", "UNDROP TABLE", 403), ("bob", "RESTORE", 403)} <= events


def test_a_workspace_shows_its_members_only_what_is_bound_to_it(team):
    """Workspaces over PyHive: bob works in `vision`, bound to demo.media only; a non-member
    and an unknown workspace are refused alike at sign-in; binding more shares it without a
    copy; leaving the workspace takes effect at the next statement; all of it is audited."""
    from pyhive import hive
    from pyhive.exc import OperationalError

    root = team.conns["root"]
    for statement in ["CREATE WORKSPACE vision COMMENT 'the vision team'", "ALTER WORKSPACE vision ADD GROUP analysts",
                      "ALTER WORKSPACE vision BIND SCHEMA demo.media"]:
        ok(root, statement)
    denied(team.conns["bob"], "CREATE WORKSPACE rogue")
    denied(team.conns["bob"], "ALTER WORKSPACE vision ADD USER bob")

    def open_in(user, workspace, database="media"):
        return hive.connect("127.0.0.1", team.port, username=user, password=PASSWORDS[user], auth="LDAP",
                            database=database, configuration={"lakelens.workspace": workspace})

    bob = open_in("bob", "vision")
    try:
        assert ok(bob, "SELECT current_catalog(), current_database()") == [("demo", "media")]
        assert ok(bob, "SHOW CATALOGS") == [("demo",)]  # not main, though bob may use it elsewhere
        assert sorted(ok(bob, "SELECT name, text FROM texts")) == sorted(SCANS.items())
        _, error = run(bob, "SHOW TABLES IN main.default")
        assert error[0] == "[CATALOG_NOT_FOUND] main", error
        assert [r[0] for r in ok(bob, "SHOW WORKSPACES")] == ["vision"]
        # A view in the workspace over what is not bound there names only itself.
        _, error = run(bob, "SELECT * FROM demo.media.pay")
        assert error is not None and "vault" not in error[0] and "salaries" not in error[0], error
        # An administrator in the workspace is bound like everyone.
        root_in = open_in("root", "vision")
        try:
            _, error = run(root_in, "SELECT * FROM demo.vault.salaries")
            assert error[0] == "[SCHEMA_NOT_FOUND] demo.vault", error
        finally:
            root_in.close()
        # Sharing is binding: main appears in bob's open session at his next statement.
        ok(root, "ALTER WORKSPACE vision BIND CATALOG main")
        assert sorted(ok(bob, "SHOW CATALOGS")) == [("demo",), ("main",)]
        ok(root, "ALTER WORKSPACE vision DROP GROUP analysts")
        assert denied(bob, "SELECT 1") == "[PERMISSION_DENIED] user bob may not use workspace vision"
    finally:
        bob.close()
    for workspace in ("vision", "no_such_space"):  # a non-member, an unknown name: the same answer
        with pytest.raises(OperationalError) as e:
            open_in("bob", workspace)
        assert f"user bob may not use workspace {workspace}" in str(e.value)
    events = ok(root, "SELECT user_identity, action_name, status_code, workspace FROM system.access.audit "
                      "WHERE workspace IS NOT NULL")
    assert {("bob", "login", 200, "vision"), ("bob", "SELECT", 200, "vision"), ("bob", "login", 403, "vision"),
            ("bob", "login", 403, "no_such_space"), ("bob", "SELECT", 403, "vision")} <= set(events)
