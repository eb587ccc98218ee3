"""Arrow Flight SQL with real clients against `lakelens serve`: ADBC's Python driver (what
notebooks, pandas and Polars use), pyarrow.flight for the protocol's edges, the Arrow Flight
SQL JDBC driver from Maven Central (DBeaver's), and lakelens' own client."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pytest

FLIGHT_JDBC = Path(os.environ.get("FLIGHT_JDBC", Path.home() / ".cache/lakelens/jars/"
                                  "flight-sql-jdbc-driver-18.3.0.jar"))


def adbc(server, user="tester", **kw):
    import adbc_driver_flightsql.dbapi as flightsql

    return flightsql.connect(server.flight_uri, db_kwargs={"username": user, "password": "x"}, autocommit=True, **kw)


def test_query_arrives_as_arrow_with_binary_and_nested_columns(server, shop):
    with adbc(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, name, price, tags, payload, added, ok FROM gw.shop.items ORDER BY id")
        table = cur.fetch_arrow_table()
    assert table.schema.field("payload").type == pa.binary()
    assert table.schema.field("tags").type == pa.list_(pa.string())  # an Arrow list, not JSON text
    assert table.schema.field("price").type == pa.decimal128(10, 2)
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["payload"] == b"\x00\xff\x10" and rows[0]["tags"] == ["office", "blue"]
    assert rows[1]["name"] is None and rows[2]["name"] == "ünïcødé ✓" and rows[2]["payload"] == b""


def test_volume_content_and_pandas(server, shop):
    with adbc(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, content FROM gw.shop.images ORDER BY name")
        df = cur.fetch_df()
    assert list(df["name"]) == ["alpha.png", "beta.png", "gamma.png"]
    assert [bytes(c) for c in df["content"]] == [(shop / n).read_bytes() for n in df["name"]]


def test_parameters_are_bound_as_values(server, shop):
    with adbc(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT name FROM gw.shop.items WHERE id = ?", (1,))
        assert cur.fetchall() == [("pen",)]
        hostile = "x' OR '1'='1"  # a value, not SQL: no row has this name
        cur.execute("SELECT count(*) AS n FROM gw.shop.items WHERE name = ?", (hostile,))
        assert cur.fetchall() == [(0,)]
        cur.execute("SELECT ? AS s, ? AS b, ? AS f", ("it's \\ fine", b"\x00\x01", 2.5))
        assert cur.fetchall() == [("it's \\ fine", b"\x00\x01", 2.5)]


def test_ddl_dml_and_session_state(server, shop):
    with adbc(server) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS main.flight_ddl")
        cur.execute("USE main.flight_ddl")
        assert (conn.adbc_current_catalog, conn.adbc_current_db_schema) == ("main", "flight_ddl")
        cur.execute("CREATE OR REPLACE TABLE t (id INT, label STRING)")
        cur.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b"), (3, None)])
        cur.execute("SELECT id, label FROM t ORDER BY id")
        assert cur.fetchall() == [(1, "a"), (2, "b"), (3, None)]


def test_metadata_through_adbc(server, shop):
    with adbc(server) as conn:
        objects = conn.adbc_get_objects(catalog_filter="gw").read_all().to_pylist()
        assert [c["catalog_name"] for c in objects] == ["gw"]
        shop_schema = next(s for s in objects[0]["catalog_db_schemas"] if s["db_schema_name"] == "shop")
        tables = {t["table_name"]: t for t in shop_schema["db_schema_tables"]}
        assert {n: t["table_type"] for n, t in tables.items()} == {
            "items": "TABLE", "cheap": "VIEW", "images": "VOLUME"}
        assert [c["column_name"] for c in tables["cheap"]["table_columns"]] == ["id", "name"]
        schema = conn.adbc_get_table_schema("items", catalog_filter="gw", db_schema_filter="shop")
        assert schema.field("payload").type == pa.binary() and schema.field("seen").type == pa.timestamp("us", "UTC")
        assert "VOLUME" in conn.adbc_get_table_types()
        info = conn.adbc_get_info()
        assert info["vendor_name"] == "lakelens" and info["vendor_arrow_version"] == pa.__version__


def test_bulk_ingest_creates_appends_and_replaces(server, shop):
    data = pa.table({"id": pa.array([1, 2], pa.int64()), "label": ["one", "two"],
                     "vec": pa.array([[0.5, 1.0], [2.0]], pa.list_(pa.float32())), "blob": [b"\x00", None]})
    with adbc(server) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS main.flight_ingest")
        assert cur.adbc_ingest("rows", data, mode="replace", catalog_name="main", db_schema_name="flight_ingest") == 2
        assert cur.adbc_ingest("rows", data, mode="append", catalog_name="main", db_schema_name="flight_ingest") == 2
        cur.execute("SELECT id, label, vec, blob FROM main.flight_ingest.rows ORDER BY id, label")
        got = cur.fetch_arrow_table()
        assert got.num_rows == 4 and got.column("vec").to_pylist()[0] == [0.5, 1.0]
        assert got.column("blob").to_pylist() == [b"\x00", b"\x00", None, None]
        with pytest.raises(Exception) as err:  # mode create: the table exists
            cur.adbc_ingest("rows", data, mode="create", catalog_name="main", db_schema_name="flight_ingest")
        assert "TABLE_OR_VIEW_ALREADY_EXISTS" in str(err.value) or "already exists" in str(err.value)
        cur.execute("SELECT count(*) FROM main.flight_ingest.rows")
        assert cur.fetchall() == [(4,)]  # the failed ingest changed nothing


def test_errors_name_the_problem(server, shop):
    with adbc(server) as conn, conn.cursor() as cur:
        with pytest.raises(Exception) as err:
            cur.execute("SELECT * FROM gw.shop.no_such_table")
        assert "TABLE_OR_VIEW_NOT_FOUND" in str(err.value)
        with pytest.raises(Exception) as err:
            cur.execute("SELECT id FROM gw.shop.items WHERE")
        assert "line 1" in str(err.value) or "PARSE_SYNTAX_ERROR" in str(err.value)


def test_remote_principal_rules_apply(server, shop):
    """A Flight SQL session is remote: no server paths, no JVM reflection, only granted objects."""
    with adbc(server, user="flight_outsider") as conn, conn.cursor() as cur:
        for statement in ("SELECT reflect('java.lang.System', 'getProperty', 'user.home')",
                          "CREATE EXTERNAL VOLUME main.default.etc LOCATION '/etc'"):
            with pytest.raises(Exception) as err:
                cur.execute(statement)
            assert "PERMISSION_DENIED" in str(err.value) or "not available to remote" in str(err.value), statement
    with adbc(server) as conn, conn.cursor() as cur:
        cur.execute("CREATE CATALOG IF NOT EXISTS flight_private")
    with adbc(server, user="flight_outsider") as conn:
        names = [c["catalog_name"] for c in conn.adbc_get_objects(depth="catalogs").read_all().to_pylist()]
        assert "gw" in names and "flight_private" not in names


# ---------------------------------------------------------------------- the protocol with pyarrow.flight
def _client(server):
    client = flight.FlightClient(server.flight_uri)
    token = client.authenticate_basic_token(b"tester", b"x")
    return client, flight.FlightCallOptions(headers=[token])


def _command(message) -> flight.FlightDescriptor:
    from lakelens.engine.flight.protocol import pack

    return flight.FlightDescriptor.for_command(pack(message))


def test_protocol_edges(server, shop):
    from google.protobuf import any_pb2, wrappers_pb2

    from lakelens.engine.flight.protocol import pack, sql_pb

    client, options = _client(server)
    unknown = any_pb2.Any()
    unknown.Pack(wrappers_pb2.StringValue(value="x"))
    with pytest.raises(flight.FlightError) as err:
        client.get_flight_info(flight.FlightDescriptor.for_command(unknown.SerializeToString()), options)
    assert "not a Flight SQL message" in str(err.value)
    with pytest.raises(flight.FlightError) as err:
        client.do_get(flight.Ticket(b"\xff" * 40), options).read_all()
    assert "ticket" in str(err.value)
    with pytest.raises(flight.FlightError) as err:
        client.do_get(flight.Ticket(pack(sql_pb.TicketStatementQuery(statement_handle=b"0" * 16))), options).read_all()
    assert "unknown ticket" in str(err.value)

    info = client.get_flight_info(_command(sql_pb.CommandStatementQuery(query="SELECT id FROM gw.shop.items")),
                                  options)
    ticket = info.endpoints[0].ticket
    assert client.do_get(ticket, options).read_all().num_rows == 3
    with pytest.raises(flight.FlightError) as err:  # tickets are single use
        client.do_get(ticket, options).read_all()
    assert "unknown ticket" in str(err.value) or "already read" in str(err.value)

    stranger = flight.FlightClient(server.flight_uri)
    stranger_options = flight.FlightCallOptions(headers=[stranger.authenticate_basic_token(b"mallory", b"x")])
    info = client.get_flight_info(_command(sql_pb.CommandStatementQuery(query="SELECT 1 AS one")), options)
    with pytest.raises(flight.FlightError):  # another user's ticket
        stranger.do_get(info.endpoints[0].ticket, stranger_options).read_all()
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(client.list_actions(options=flight.FlightCallOptions(headers=[(b"authorization", b"Bearer forged")])))


def test_cancel_flight_info_and_a_client_that_walks_away(server, shop):
    from lakelens.engine.flight.protocol import flight_pb, sql_pb

    client, options = _client(server)
    big = "SELECT id FROM range(0, 20000000, 1, 40)"  # 40 partitions of 4 MB: several Spark jobs to stream
    info = client.get_flight_info(_command(sql_pb.CommandStatementQuery(query=big)), options)
    request = flight_pb.CancelFlightInfoRequest(info=flight_pb.FlightInfo.FromString(info.serialize()))
    results = list(client.do_action(flight.Action("CancelFlightInfo", request.SerializeToString()), options))
    assert flight_pb.CancelFlightInfoResult.FromString(results[0].body.to_pybytes()).status == \
        flight_pb.CANCEL_STATUS_CANCELLED
    with pytest.raises(flight.FlightError):
        client.do_get(info.endpoints[0].ticket, options).read_all()

    info = client.get_flight_info(_command(sql_pb.CommandStatementQuery(query=big)), options)
    reader = client.do_get(info.endpoints[0].ticket, options)
    reader.read_chunk()  # one batch, then the client goes away
    reader.cancel()
    client.close()
    server.wait_for_log(r"stream cancelled by the client")


# ---------------------------------------------------------------------- lakelens' client and JDBC
def test_lakelens_connect_over_flight(server, shop):
    import lakelens

    with lakelens.connect(server.flight_uri, user="tester") as remote:
        table = remote.sql("USE CATALOG gw; SELECT name, length(content) AS n FROM shop.images ORDER BY name")
        assert table.column("name").to_pylist() == ["alpha.png", "beta.png", "gamma.png"]
        assert table.column("n").to_pylist() == [(shop / f"{n}.png").stat().st_size for n in ("alpha", "beta", "gamma")]
        assert remote.current_catalog == "gw"
        with pytest.raises(lakelens.LakelensError) as err:
            remote.sql("SELECT * FROM shop.no_such_table")
        assert err.value.error_class == "TABLE_OR_VIEW_NOT_FOUND" and "no_such_table" in str(err.value)


@pytest.mark.skipif(shutil.which("javac") is None, reason="needs a JDK (javac)")
def test_flight_sql_jdbc_driver(server, shop, tmp_path):
    assert FLIGHT_JDBC.exists(), "make setup downloads the Flight SQL JDBC driver"
    src = Path(__file__).parent / "java" / "FlightSqlWalk.java"
    subprocess.run(["javac", "-d", str(tmp_path), src], check=True, capture_output=True, timeout=120)
    url = f"jdbc:arrow-flight-sql://{server.host}:{server.flight_port}?useEncryption=false&user=tester&password=x"
    # Arrow's memory layer needs java.nio opened on Java 16+ (the driver's documentation).
    run = subprocess.run(["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", f"{tmp_path}:{FLIGHT_JDBC}",
                          "FlightSqlWalk", url, "gw"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert "QUOTE `" in lines and lines[0].startswith("PRODUCT lakelens")
    assert {"CATALOG gw", "CATALOG main", "SCHEMA gw.shop", "TYPE VOLUME", "TABLE gw.shop.images VOLUME",
            "TABLE gw.shop.items TABLE", "TABLE gw.shop.cheap VIEW"} <= set(lines)
    assert "COLUMN price DECIMAL(10,2) 3 3" in lines and "COLUMN payload BINARY -3 7" in lines
    assert not [line for line in lines if line.startswith("PK ")]
    assert [line for line in lines if line.startswith("ROW ")] == [
        "ROW 1 pen 3 [\"office\",\"blue\"]", "ROW 2 null null null", "ROW 3 ünïcødé ✓ 0 []"]
    # Spark counts no inserted rows (0, not "unknown": the driver would run the INSERT again)
    assert "PREPARED ünïcødé ✓" in lines and "INSERTED 0" in lines and "COUNT 2" in lines
    assert any(line.startswith("ERROR ") and "TABLE_OR_VIEW_NOT_FOUND" in line for line in lines)


def test_a_session_holds_a_bounded_number_of_prepared_statements(tmp_path):
    """flight.max_prepared_statements: a client that prepares without closing is refused, not
    allowed to fill the server's memory; closing one makes room."""
    from lakelens.engine.flight.protocol import pack, sql_pb, unpack
    from tests.clients.conftest import in_process_gateway

    (tmp_path / "lakelens.toml").write_text("[flight]\nmax_prepared_statements = 2\n")
    gw = in_process_gateway(tmp_path, flight_port=0)
    try:
        client = flight.FlightClient(f"grpc://127.0.0.1:{gw.flight_port}")
        options = flight.FlightCallOptions(headers=[client.authenticate_basic_token(b"bob", b"x")])

        def prepare() -> bytes:
            body = pack(sql_pb.ActionCreatePreparedStatementRequest(query="SELECT 1 AS one"))
            [result] = client.do_action(flight.Action("CreatePreparedStatement", body), options)
            return unpack(result.body.to_pybytes(), "the result").prepared_statement_handle

        first = prepare()
        prepare()
        with pytest.raises(flight.FlightError, match="TOO_MANY_PREPARED_STATEMENTS.*max_prepared_statements"):
            prepare()
        close = pack(sql_pb.ActionClosePreparedStatementRequest(prepared_statement_handle=first))
        list(client.do_action(flight.Action("ClosePreparedStatement", close), options))
        assert prepare()
    finally:
        gw.shutdown()
