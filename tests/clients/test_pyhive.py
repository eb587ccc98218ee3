"""PyHive and SQLAlchemy (`hive://`) against `lakelens serve`, over a real socket."""

from __future__ import annotations

import datetime
import decimal

import pytest

from .conftest import hive_connect


@pytest.mark.parametrize("auth", ["NOSASL", "NONE"])
def test_types_round_trip(server, shop, auth):
    """Every common type arrives as the Python value PyHive users expect, NULLs included."""
    conn = hive_connect(server, auth=auth)
    cur = conn.cursor()
    cur.execute("SELECT id, name, price, tags, added, seen, payload, score, big, ok FROM gw.shop.items ORDER BY id")
    names = [d[0] for d in cur.description]
    types = [d[1] for d in cur.description]
    assert names == ["id", "name", "price", "tags", "added", "seen", "payload", "score", "big", "ok"]
    assert types == ["INT_TYPE", "STRING_TYPE", "DECIMAL_TYPE", "ARRAY_TYPE", "DATE_TYPE", "TIMESTAMP_TYPE",
                     "BINARY_TYPE", "DOUBLE_TYPE", "BIGINT_TYPE", "BOOLEAN_TYPE"]
    rows = cur.fetchall()
    # PyHive converts TIMESTAMP and DECIMAL values; DATE stays text, as with Hive itself.
    assert rows[0] == (1, "pen", decimal.Decimal("1.50"), '["office","blue"]', "2026-01-02",
                       datetime.datetime(2026, 1, 2, 3, 4, 5, 120000), b"\x00\xff\x10", 0.5, 9000000000, True)
    assert rows[1] == (2,) + (None,) * 9
    assert rows[2][1] == "ünïcødé ✓" and rows[2][2] == decimal.Decimal("99999999.99")
    assert rows[2][3] == "[]" and rows[2][6] == b"" and rows[2][7] == -1e300 and rows[2][9] is False
    conn.close()


def test_large_result_streams_intact(server):
    """250,000 rows in pages: every row once, in order (the server never holds it all)."""
    conn = hive_connect(server)
    cur = conn.cursor()
    cur.arraysize = 10000
    cur.execute("SELECT id, id * 2 AS twice, concat('row-', id) AS label FROM range(250000) ORDER BY id")
    total, count, last = 0, 0, None
    while True:
        page = cur.fetchmany(10000)
        if not page:
            break
        count += len(page)
        total += sum(r[1] for r in page)
        last = page[-1]
    assert count == 250000
    assert total == 2 * sum(range(250000))
    assert last == (249999, 499998, "row-249999")
    conn.close()


def test_volume_bytes_travel_intact(server, shop):
    conn = hive_connect(server)
    cur = conn.cursor()
    cur.execute("SELECT name, size, content FROM gw.shop.images ORDER BY name")
    rows = cur.fetchall()
    assert [r[0] for r in rows] == ["alpha.png", "beta.png", "gamma.png"]
    for name, size, content in rows:
        assert content == (shop / name).read_bytes()
        assert size == len(content)


def test_multimodal_functions_over_the_gateway(server, tmp_path):
    """A PyHive user runs OCR over a volume; a bad file's error reaches the client by name."""
    from pyhive.exc import OperationalError

    from ..media import text_image

    (tmp_path / "scan.png").write_bytes(text_image("HELLO GATEWAY 42"))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG but not really")
    conn = hive_connect(server)
    cur = conn.cursor()
    cur.execute("CREATE VOLUME IF NOT EXISTS main.default.ocr_scans")
    cur.execute(f"PUT '{tmp_path}/' INTO '/Volumes/main/default/ocr_scans/'")
    cur.execute("SELECT name, try_ocr(content), image_info(content).width FROM main.default.ocr_scans "
                "WHERE name = 'scan.png'")
    assert cur.fetchall() == [("scan.png", "HELLO GATEWAY 42", 497)]
    assert [d[0] for d in cur.description] == ["name", "try_ocr(content)", "image_info(content).width"]
    with pytest.raises(OperationalError) as err:
        cur.execute("SELECT ocr(content) FROM main.default.ocr_scans")
        cur.fetchall()  # results stream: a failure in a later partition arrives with a fetch
    status = err.value.args[0].status
    assert status.errorMessage == "[FUNCTION_ERROR] ocr: input is not a decodable image (19 bytes)"
    assert status.sqlState == "22000"
    conn.close()


def test_cancelling_a_statement_stops_feeding_its_ray_pool(server):
    """embed_text runs on a Ray actor pool in the gateway; a client's cancel stops the pool's
    work for that statement within a few batches, and the pool stays usable."""
    import time

    from TCLIService.ttypes import TOperationState

    conn, watcher = hive_connect(server), hive_connect(server)
    cur, watch = conn.cursor(), watcher.cursor()

    def pool():
        watch.execute("SELECT coalesce(sum(batches), 0), coalesce(max(queued), 0) FROM system.runtime.udf_pools "
                      "WHERE function = 'embed_text'")
        return watch.fetchall()[0]

    cur.execute("SELECT id, embed_text(concat('row number ', id)) FROM range(0, 200000, 1, 2)", async_=True)
    # Wait for the pool to work on the statement (a cold machine starts Ray and loads the
    # model slowly), for as long as the statement runs.
    running = (TOperationState.INITIALIZED_STATE, TOperationState.PENDING_STATE, TOperationState.RUNNING_STATE)
    while pool()[0] < 3:
        status = cur.poll()
        assert status.operationState in running, \
            f"the statement ended ({status.operationState}: {status.errorMessage}) before its pool did any work"
        time.sleep(0.3)
    cur.cancel()
    settled, previous = pool(), None
    while settled != previous or settled[1] != 0:  # batches already on an actor finish, then nothing moves
        time.sleep(1)
        previous, settled = settled, pool()
    time.sleep(3)
    assert pool() == settled, settled  # nothing fed since the cancel settled
    assert settled[0] < 200000 // 64 // 2  # far from done
    cur.execute("SELECT size(embed_text('still works'))")
    assert cur.fetchall() == [(384,)]
    conn.close()
    watcher.close()


def test_syntax_error_points_at_position_and_session_survives(server):
    from pyhive.exc import OperationalError

    conn = hive_connect(server)
    cur = conn.cursor()
    with pytest.raises(OperationalError) as err:
        cur.execute("SELECT id,\n  FROM WHERE")
    status = err.value.args[0].status
    assert status.sqlState == "42601"
    assert "line 2" in status.errorMessage and "column" in status.errorMessage
    cur.execute("SELECT 41 + 1")
    assert cur.fetchall() == [(42,)]
    conn.close()


def test_session_statements_clients_send(server, shop):
    """What PyHive, Superset and DBeaver send on connect and while browsing."""
    conn = hive_connect(server, database="shop", configuration={"catalog": "gw"})
    cur = conn.cursor()
    cur.execute("SELECT current_database()")
    assert cur.fetchall() == [("shop",)]
    cur.execute("SHOW TABLES")
    assert {r[0] for r in cur.fetchall()} >= {"items", "cheap"}  # first column: the table name
    cur.execute("SELECT version()")
    assert cur.fetchall()[0][0].startswith("4.1")
    cur.execute("SET spark.sql.shuffle.partitions=3;")
    cur.execute("SET spark.sql.shuffle.partitions")
    assert cur.fetchall()[0][1] == "3"
    cur.execute("USE default")
    cur.execute("SELECT current_database()")
    assert cur.fetchall() == [("default",)]
    conn.close()


def test_hivevar_substitution(server, shop):
    conn = hive_connect(server, configuration={"set:hivevar:wanted": "2"})
    cur = conn.cursor()
    cur.execute("SELECT id FROM gw.shop.items WHERE id = ${wanted}")
    assert cur.fetchall() == [(2,)]
    conn.close()


def test_async_execute_poll_and_logs(server):
    from TCLIService.ttypes import TOperationState

    conn = hive_connect(server)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM range(3000000)", async_=True)
    state = cur.poll().operationState
    while state in (TOperationState.INITIALIZED_STATE, TOperationState.PENDING_STATE,
                    TOperationState.RUNNING_STATE):
        state = cur.poll().operationState
    assert state == TOperationState.FINISHED_STATE
    assert cur.fetchall() == [(3000000,)]
    logs = cur.fetch_logs()
    assert any("SparkQuery" in line for line in logs)
    conn.close()


def test_sqlalchemy_inspection(server, shop):
    import sqlalchemy as sa

    engine = sa.create_engine(f"hive://tester@{server.host}:{server.port}/shop",
                              connect_args={"configuration": {"catalog": "gw"}})
    insp = sa.inspect(engine)
    assert "shop" in insp.get_schema_names()
    assert {"items", "cheap"} <= set(insp.get_table_names("shop"))
    cols = {c["name"]: c["type"] for c in insp.get_columns("items", schema="shop")}
    assert list(cols)[:3] == ["id", "name", "price"]
    assert isinstance(cols["id"], sa.types.Integer) and isinstance(cols["name"], sa.types.String)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM shop.items")).scalar() == 3
    engine.dispose()


def test_open_session_spark_conf(server):
    """Spark settings given at connect time (PyHive `configuration`, JDBC `?k=v`) hold for the session."""
    conn = hive_connect(server, configuration={"spark.sql.shuffle.partitions": "5"})
    cur = conn.cursor()
    cur.execute("SET spark.sql.shuffle.partitions")
    assert cur.fetchall() == [("spark.sql.shuffle.partitions", "5")]
    conn.close()


def test_spark_errors_arrive_in_sparks_form_with_the_users_positions(server):
    """dbt-spark and other clients match `[CLASS]` in the message; the position is in the
    statement the client sent."""
    from pyhive.exc import OperationalError

    conn = hive_connect(server)
    cur = conn.cursor()
    with pytest.raises(OperationalError) as err:
        cur.execute("SELECT 1 AS one,\n  nosuch\nFROM range(3)")
    status = err.value.args[0].status
    assert status.errorMessage.startswith("[UNRESOLVED_COLUMN] A column, variable, or function parameter")
    assert status.errorMessage.endswith("SQLSTATE: 42703; line 2 pos 2") and status.sqlState == "42703"
    with pytest.raises(OperationalError) as err:
        cur.execute("SHOW TABLES IN main.no_such_schema")
    assert err.value.args[0].status.errorMessage.startswith("[SCHEMA_NOT_FOUND] ")
    conn.close()


def test_volume_on_object_storage_over_the_gateway(server, shop, s3):
    """A remote user's external volume on S3 (under the server's allowed s3:// root) queried
    through PyHive; s3:// paths outside the roots, and direct path queries, are refused."""
    from pyhive.exc import OperationalError

    admin = hive_connect(server).cursor()
    admin.execute("CREATE EXTERNAL VOLUME main.default.s3shop LOCATION 's3://lake/gateway/shop'")
    admin.execute(f"PUT '{shop}/' INTO '/Volumes/main/default/s3shop/'")
    cur = hive_connect(server, user="analyst").cursor()
    cur.execute("SELECT name, content FROM main.default.s3shop ORDER BY name")
    got = cur.fetchall()
    assert [n for n, _ in got] == ["alpha.png", "beta.png", "gamma.png"]
    assert all(content == (shop / name).read_bytes() for name, content in got)
    assert sorted(p.name for p in (s3.data_dir / "lake" / "gateway" / "shop").iterdir()) == [n for n, _ in got]
    for who, statement, why in [
        (cur, "CREATE EXTERNAL VOLUME main.default.mine LOCATION 's3://lake/gateway/mine'",
         "lacks CREATE EXTERNAL VOLUME on external location s3://lake/gateway"),
        (admin, "CREATE EXTERNAL VOLUME main.default.mine LOCATION 's3://lake/elsewhere'",
         "not under an external location the server allows"),
        (admin, "CREATE EXTERNAL VOLUME main.default.mine LOCATION 's3://lake/gateway/shop/inner'", "overlaps"),
        (cur, "SELECT * FROM binaryFile.`s3a://lake/gateway/shop`", "direct path queries"),
        (cur, "SET spark.hadoop.fs.s3a.secret.key", "reading setting"),
        # Spark would expand the glob: {..} would walk out of the volume into the warehouse.
        (cur, "SELECT name FROM read_files('/Volumes/main/default/s3shop/{../x,y}')", "glob characters"),
        (admin, "CREATE EXTERNAL VOLUME main.default.mine LOCATION 's3://lake/gateway/{../w,x}'", "glob characters"),
    ]:
        with pytest.raises(OperationalError, match=why):
            who.execute(statement)
    admin.execute("DROP VOLUME main.default.s3shop PURGE")
