"""Statements a remote user sends to reach the server's files, JVM or settings: each is refused
with its documented error, and nothing happened (no file read, written or deleted; the server
still serves others)."""

from __future__ import annotations

import os

import pytest
from impala_thrift_gen.TCLIService import ttypes as T

from tests.clients.test_beeline import beeline
from tests.clients.conftest import hive_connect
from tests.clients.test_protocol import Raw

from .conftest import SECRET, alive, execute, refused


@pytest.fixture(scope="module")
def lake(secure):
    """A schema with a table and a managed volume, made by a remote user."""
    for stmt in ("CREATE SCHEMA IF NOT EXISTS main.sec",
                 "CREATE TABLE IF NOT EXISTS main.sec.t AS SELECT 1 AS id",
                 "CREATE VOLUME IF NOT EXISTS main.sec.v"):
        rows, error = execute(secure, stmt)
        assert error is None, error
    return secure


def _volume_names(gw, volume="main.sec.v") -> list:
    rows, error = execute(gw, f"SELECT name FROM {volume} ORDER BY name")
    assert error is None, error
    return [r[0] for r in rows]


def test_put_and_get_name_no_server_path(lake):
    secret = lake.outside / "secret.txt"
    for source in (str(secret), "/proc/self/environ", "/etc/passwd"):
        message = refused(lake, f"PUT '{source}' INTO '/Volumes/main/sec/v/'", "PERMISSION_DENIED", "42501")
        assert "Files API" in message
    assert _volume_names(lake) == []
    target = lake.outside / "written-by-get"
    refused(lake, f"PUT '{secret}' INTO '/Volumes/main/sec/v/x' OVERWRITE", "PERMISSION_DENIED", "42501")
    refused(lake, f"GET '/Volumes/main/sec/v/x' TO '{target}' OVERWRITE", "PERMISSION_DENIED", "42501")
    assert not target.exists()
    alive(lake)


def test_external_locations_are_an_allow_list(lake):
    outside = lake.outside
    refused(lake, "CREATE EXTERNAL VOLUME main.sec.root LOCATION '/'", "PERMISSION_DENIED", "42501")
    refused(lake, f"CREATE EXTERNAL VOLUME main.sec.o LOCATION '{outside}'", "PERMISSION_DENIED", "42501")
    refused(lake, f"CREATE TABLE main.sec.o USING delta LOCATION '{outside}' AS SELECT 1 AS id",
            "PERMISSION_DENIED", "42501")
    # Another table's files and the warehouse are nobody's location, even under an allowed root.
    rows, _ = execute(lake, "DESCRIBE TABLE EXTENDED main.sec.t")
    location = next(r[1] for r in rows if r[0] == "Location")
    refused(lake, f"CREATE TABLE main.sec.thief USING delta LOCATION '{location}'", "PERMISSION_DENIED", "42501")
    rows, error = execute(lake, "SHOW VOLUMES IN main.sec")
    assert error is None and [r for r in rows if r[1] in ("root", "o", "thief")] == []
    # Under the allowed root: fine, and a second object may not share it.
    inside = lake.external / "photos"
    rows, error = execute(lake, f"CREATE EXTERNAL VOLUME main.sec.photos LOCATION '{inside}'")
    assert error is None, error
    refused(lake, f"CREATE EXTERNAL VOLUME main.sec.photos2 LOCATION '{inside}/sub'", "PERMISSION_DENIED", "42501")
    rows, error = execute(lake, "SELECT * FROM main.sec.t")
    assert rows == [(1,)], error


def test_volume_reads_never_follow_links_out(lake):
    photos = lake.external / "links"
    rows, error = execute(lake, f"CREATE EXTERNAL VOLUME main.sec.links LOCATION '{photos}'")
    assert error is None, error
    (photos / "ok.txt").write_text("fine")
    os.symlink(lake.outside, photos / "escape")  # planted on the server's disk by someone else
    refused(lake, "SELECT name, content FROM main.sec.links", "PERMISSION_DENIED", "42501")
    refused(lake, "SELECT * FROM read_files('/Volumes/main/sec/links', format => 'text')",
            "PERMISSION_DENIED", "42501")
    rows, error = execute(lake, "LIST '/Volumes/main/sec/links'")
    assert error is None and [r[1] for r in rows] == ["ok.txt"]  # the link is not listed
    # REMOVE on the link removes the link, never what it points at.
    execute(lake, "REMOVE '/Volumes/main/sec/links/escape' RECURSIVE")
    assert (lake.outside / "secret.txt").read_text() == SECRET
    assert not (photos / "escape").exists()
    rows, error = execute(lake, "SELECT name, CAST(content AS STRING) FROM main.sec.links")
    assert rows == [("ok.txt", "fine")], error


@pytest.mark.parametrize("statement, error_class, sqlstate", [
    ("SELECT * FROM read_files('/Volumes/main/sec/v', format => 'text', path => '{secret}')",
     "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM read_files('/Volumes/main/sec/v', format => 'csv', basePath => '/')",
     "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM IDENTIFIER('text.`{secret}`')", "UNSUPPORTED_FEATURE", "0A000"),
    ("SELECT * FROM text.`{secret}`", "UNSUPPORTED_FEATURE", "0A000"),
    ("SELECT * FROM image.`{secret}`", "SCHEMA_NOT_FOUND", "42704"),
    ("SELECT * FROM lakelens_iceberg.tables.t_x.files", "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM IDENTIFIER('lakelens_iceberg.tables.t_x')", "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM table_changes_by_path('{outside}', 0)", "PERMISSION_DENIED", "42501"),
    ("SELECT * FROM table_changes('main.sec.t', 0)", "UNSUPPORTED_FEATURE", "0A000"),
    ("SELECT * FROM `__lakelens_tvf_0_0__`", "INVALID_ARGUMENT", "22023"),
    # a name inside TABLE(…) of a table function is guarded like any other
    ("SELECT * FROM chunks(TABLE(lakelens_iceberg.tables.t_x.files), on => 'file_path')",
     "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM dedup(TABLE(lakelens_iceberg.tables.t_x.files), id => 'a', on => 'b')",
     "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM vector_top_k(TABLE(`__lakelens_tvf_0_0__`), column => 'v', query => array(1.0F))",
     "INVALID_ARGUMENT", "22023"),
    ("SELECT * FROM chunks(TABLE(text.`{secret}`), on => 'value')", "UNSUPPORTED_FEATURE", "0A000"),
    ("INSERT OVERWRITE DIRECTORY '{outside}/dir' SELECT 1", "UNSUPPORTED_FEATURE", "0A000"),
    ("CREATE TEMPORARY VIEW leak USING text OPTIONS (path '{secret}')", "UNSUPPORTED_FEATURE", "0A000"),
    ("LOAD DATA LOCAL INPATH '{secret}' INTO TABLE main.sec.t", "UNSUPPORTED_STATEMENT", "0A000"),
    ("ALTER TABLE main.sec.t SET LOCATION '{outside}'", "UNSUPPORTED_FEATURE", "0A000"),
])
def test_the_resolver_refuses_what_bypasses_the_catalog(lake, statement, error_class, sqlstate):
    text = statement.format(secret=lake.outside / "secret.txt", outside=lake.outside)
    refused(lake, text, error_class, sqlstate)
    assert sorted(p.name for p in lake.outside.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize("call", [
    "reflect('java.lang.System', 'getenv', 'PATH')",
    "java_method('java.lang.System', 'exit', 0)",
    "try_reflect('java.lang.Runtime', 'getRuntime')",
])
def test_no_calls_into_the_jvm(lake, call):
    refused(lake, f"SELECT {call}", "PERMISSION_DENIED", "42501")
    refused(lake, f"CREATE VIEW main.sec.sneaky AS SELECT {call} AS x", "PERMISSION_DENIED", "42501")
    alive(lake)


def test_quadratic_dedup_is_refused_before_it_runs(lake):
    """1,000 identical rows pair up 499,500 ways: over dedup.max_candidate_pairs (20,000 on this
    server) near_duplicates refuses before the self-join, naming the bound; grouping exact
    copies needs no pairs and still works, and so does a request under the bound."""
    same = "TABLE(SELECT id, 'the same words' AS body FROM (SELECT explode(sequence(1, {n})) AS id))"
    for method in ("exact", "minhash", "simhash"):
        message = refused(lake, f"SELECT count(*) FROM near_duplicates({same.format(n=1000)}, id => 'id', "
                                f"on => 'body', method => '{method}')", "DEDUP_TOO_MANY_CANDIDATES", "54000")
        assert "dedup.max_candidate_pairs (20,000)" in message and "has 1,000 rows" in message, message
        assert method != "exact" or "up to 499,500 candidate pairs" in message, message
    rows, error = execute(lake, f"SELECT count(*), count(DISTINCT dup_group) FROM dedup({same.format(n=1000)}, "
                                "id => 'id', on => 'body', method => 'exact')")
    assert rows == [(1000, 1)], error
    rows, error = execute(lake, f"SELECT count(*) FROM near_duplicates({same.format(n=40)}, id => 'id', "
                                "on => 'body', method => 'minhash')")
    assert rows == [(780,)], error
    alive(lake)


def test_statement_text_is_not_expanded_with_server_environment(lake):
    rows, error = execute(lake, "SELECT '${env:PATH}' AS a, '${system:user.home}' AS b")
    assert rows == [("${env:PATH}", "${system:user.home}")], error


def test_session_settings_are_an_allow_list(lake):
    guard = "spark.sql.sources.binaryFile.maxLength"
    message = refused(lake, f"SET {guard}=99999999999", "PERMISSION_DENIED", "42501")
    assert guard in message
    refused(lake, "SET spark.sql.catalog.evil=org.example.Evil", "PERMISSION_DENIED", "42501")
    refused(lake, f"RESET {guard}", "PERMISSION_DENIED", "42501")
    rows, error = execute(lake, f"SET {guard}")
    assert rows == [(guard, "268435456")], error
    # OpenSession's configuration (PyHive `configuration`, JDBC ?key=value) and confOverlay too.
    from pyhive.exc import OperationalError

    with pytest.raises(OperationalError) as err:
        hive_connect(lake, configuration={guard: "99999999999"})
    status = err.value.args[0].status
    assert status.errorMessage.startswith("[PERMISSION_DENIED] ") and guard in status.errorMessage
    c = Raw(lake)
    resp = c.ExecuteStatement(T.TExecuteStatementReq(sessionHandle=c.session, statement=f"SET {guard}",
                                                     confOverlay={guard: "1"}))
    assert resp.status.errorMessage.startswith("[PERMISSION_DENIED] ") and resp.status.sqlState == "42501"
    c.close()
    # What BI tools and dbt set is allowed (dbt's query header comment before it, too).
    rows, error = execute(lake, "SET spark.sql.shuffle.partitions=3")
    assert error is None, error
    rows, error = execute(lake, '/* {"app": "dbt"} */ set spark.sql.sources.partitionOverwriteMode = DYNAMIC')
    assert rows == [("spark.sql.sources.partitionOverwriteMode", "DYNAMIC")], error
    rows, error = execute(lake, "SELECT 1", configuration={"spark.sql.ansi.enabled": "false"})
    assert rows == [(1,)], error


def test_beeline_attacks_are_refused_and_the_server_lives(lake, tmp_path):
    url = f"jdbc:hive2://{lake.host}:{lake.port}/default"
    secret = lake.outside / "secret.txt"
    script = tmp_path / "attack.sql"
    script.write_text(
        f"PUT '{secret}' INTO '/Volumes/main/sec/v/';\n"
        "SELECT reflect('java.lang.System', 'exit', 0);\n"
        "SET spark.sql.sources.binaryFile.maxLength=99999999999;\n"
        "CREATE EXTERNAL VOLUME main.sec.b LOCATION '/';\n"
        "SELECT 6 * 7 AS answer;\n")
    out = beeline(url, "-n", "mallory", "--force=true", "-f", str(script))
    assert out.stderr.count("PERMISSION_DENIED") == 4, out.stderr
    assert out.stderr.count("state=42501") == 4, out.stderr
    assert "42" in out.stdout.splitlines(), out.stdout  # the statement after the attacks ran
    assert SECRET not in out.stdout + out.stderr
    assert _volume_names(lake) == []
    alive(lake)
