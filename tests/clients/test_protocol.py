"""The TCLIService protocol itself, with a raw Thrift client: versions, handles, cancel,
timeouts, long polling, FETCH_FIRST, logs, metadata calls and faults."""

from __future__ import annotations

import socket
import time
import threading

import pytest
from impala_thrift_gen.TCLIService import TCLIService
from impala_thrift_gen.TCLIService import ttypes as T
from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
from thrift.transport.TSocket import TSocket
from thrift.transport.TTransport import TBufferedTransport

V = T.TProtocolVersion
# Minutes on 2 cores, in 400 short tasks (other sessions' jobs run between them).
SLOW_QUERY = "SELECT sum(hash(id)) FROM range(0, 40000000000, 1, 400)"


class Raw:
    """A NOSASL Thrift client that counts the RPCs it makes."""

    def __init__(self, gw, version=V.HIVE_CLI_SERVICE_PROTOCOL_V10):
        self.sock = TSocket(gw.host, gw.port)
        self.trans = TBufferedTransport(self.sock)
        self.client = TCLIService.Client(TBinaryProtocolAccelerated(self.trans))
        self.trans.open()
        self.calls: dict[str, int] = {}
        resp = self.OpenSession(T.TOpenSessionReq(client_protocol=version, username="raw"))
        assert resp.status.statusCode == T.TStatusCode.SUCCESS_STATUS, resp.status
        self.version, self.session = resp.serverProtocolVersion, resp.sessionHandle

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(req):
            self.calls[name] = self.calls.get(name, 0) + 1
            return method(req)
        return call

    def execute(self, sql, run_async=False, timeout=0):
        return self.ExecuteStatement(T.TExecuteStatementReq(sessionHandle=self.session, statement=sql,
                                                            runAsync=run_async, queryTimeout=timeout))

    def status(self, op, progress=False):
        return self.GetOperationStatus(T.TGetOperationStatusReq(operationHandle=op, getProgressUpdate=progress))

    def fetch(self, op, n=1000, first=False, log=False):
        return self.FetchResults(T.TFetchResultsReq(
            operationHandle=op, maxRows=n, fetchType=1 if log else 0,
            orientation=T.TFetchOrientation.FETCH_FIRST if first else T.TFetchOrientation.FETCH_NEXT))

    def wait(self, op):
        while True:
            st = self.status(op)
            if st.operationState not in (T.TOperationState.INITIALIZED_STATE, T.TOperationState.PENDING_STATE,
                                         T.TOperationState.RUNNING_STATE):
                return st

    def close(self):
        self.trans.close()


def _ok(resp):
    assert resp.status.statusCode == T.TStatusCode.SUCCESS_STATUS, resp.status
    return resp


@pytest.mark.parametrize("version", [V.HIVE_CLI_SERVICE_PROTOCOL_V1, V.HIVE_CLI_SERVICE_PROTOCOL_V6,
                                     V.HIVE_CLI_SERVICE_PROTOCOL_V11])
def test_protocol_version_negotiation(server, version):
    """The reply is min(client, server); below V6 results are row-based, columnar from V6."""
    c = Raw(server, version)
    assert c.version == version
    op = _ok(c.execute("SELECT 7 AS n, 'x' AS s, CAST(NULL AS STRING) AS z")).operationHandle
    rs = _ok(c.fetch(op)).results
    if version < V.HIVE_CLI_SERVICE_PROTOCOL_V6:
        assert not rs.columns and len(rs.rows) == 1
        vals = rs.rows[0].colVals
        assert (vals[0].i32Val.value, vals[1].stringVal.value, vals[2].stringVal.value) == (7, "x", None)
    else:
        assert rs.rows == [] and rs.columns[0].i32Val.values == [7]
        assert rs.columns[2].stringVal.nulls == b"\x01"
    c.close()


def test_unknown_handles_get_invalid_handle(server):
    c = Raw(server)
    bogus_op = T.TOperationHandle(operationId=T.THandleIdentifier(guid=b"x" * 16, secret=b"y" * 16),
                                  operationType=0, hasResultSet=True)
    assert c.status(bogus_op).status.statusCode == T.TStatusCode.INVALID_HANDLE_STATUS
    assert c.fetch(bogus_op).status.statusCode == T.TStatusCode.INVALID_HANDLE_STATUS
    bogus_session = T.TSessionHandle(sessionId=T.THandleIdentifier(guid=b"z" * 16, secret=b"w" * 16))
    resp = c.ExecuteStatement(T.TExecuteStatementReq(sessionHandle=bogus_session, statement="SELECT 1"))
    assert resp.status.statusCode == T.TStatusCode.INVALID_HANDLE_STATUS
    assert "SessionHandle" in resp.status.errorMessage
    c.close()


def _closed_by_server(s: socket.socket) -> bool:
    """True once the server ends the connection (EOF or reset), whatever it sent first."""
    try:
        for _ in range(100):
            if s.recv(65536) == b"":
                return True
    except ConnectionResetError:
        return True
    return False


def test_garbage_bytes_drop_the_connection_not_the_server(server):
    for junk in (b"GET / HTTP/1.1\r\n\r\n", b"\x80\x01\x00\x01" + b"\xff" * 64, b"\x01\x00\x00\x00\x05PLA"):
        with socket.create_connection((server.host, server.port), timeout=10) as s:
            try:
                s.sendall(junk)
                s.shutdown(socket.SHUT_WR)
            except OSError:  # the server may already have hung up: that is the point
                continue
            assert _closed_by_server(s)
    c = Raw(server)
    op = _ok(c.execute("SELECT 1")).operationHandle
    assert _ok(c.fetch(op)).results.columns[0].i32Val.values == [1]
    c.close()


def test_cancel_stops_a_running_query(server):
    c = Raw(server)
    op = _ok(c.execute(SLOW_QUERY, run_async=True)).operationHandle
    assert c.status(op).operationState in (T.TOperationState.PENDING_STATE, T.TOperationState.RUNNING_STATE)
    _ok(c.CancelOperation(T.TCancelOperationReq(operationHandle=op)))
    assert c.wait(op).operationState == T.TOperationState.CANCELED_STATE
    assert c.fetch(op).status.statusCode == T.TStatusCode.ERROR_STATUS
    server.wait_for_log(r"statement \d+ canceled, Spark job group cancelled")
    _ok(c.CloseOperation(T.TCloseOperationReq(operationHandle=op)))
    c.close()


def test_query_timeout_cancels_with_timedout(server):
    c = Raw(server)
    op = _ok(c.execute(SLOW_QUERY, run_async=True, timeout=2)).operationHandle
    st = c.wait(op)
    assert st.operationState == T.TOperationState.TIMEDOUT_STATE
    assert "QUERY_TIMEOUT" in st.errorMessage
    c.close()


def test_status_is_long_polled(server):
    """A client polling without sleeping makes a handful of calls, not thousands."""
    c = Raw(server)
    start = time.monotonic()
    op = _ok(c.execute("SELECT count(*) FROM range(0, 300000000)", run_async=True)).operationHandle
    assert c.wait(op).operationState == T.TOperationState.FINISHED_STATE
    # One call per long-poll interval (5 s on this server), however long the query took.
    assert c.calls["GetOperationStatus"] <= (time.monotonic() - start) / 5 + 3, c.calls
    assert _ok(c.fetch(op)).results.columns[0].i64Val.values == [300000000]
    c.close()


def test_progress_updates_from_spark_stages(server):
    c = Raw(server)
    op = _ok(c.execute("SELECT count(DISTINCT id % 1000) FROM range(0, 2000000)", run_async=True)).operationHandle
    c.wait(op)
    progress = c.status(op, progress=True).progressUpdateResponse
    assert progress.headerNames[0] == "STAGES" and progress.rows
    assert progress.progressedPercentage == 1.0
    # The final progress goes out once; beeline would redraw its bar for every row otherwise.
    assert c.status(op, progress=True).progressUpdateResponse is None
    c.close()


def test_fetch_first_rewinds_and_log_is_fetchable(server):
    c = Raw(server)
    op = _ok(c.execute("SELECT id FROM range(100)")).operationHandle
    first = _ok(c.fetch(op, 10)).results.columns[0].i64Val.values
    second = _ok(c.fetch(op, 10)).results.columns[0].i64Val.values
    again = _ok(c.fetch(op, 10, first=True)).results.columns[0].i64Val.values
    assert first == list(range(10)) and second == list(range(10, 20)) and again == first
    rest = _ok(c.fetch(op, 1000))
    assert rest.results.columns[0].i64Val.values == list(range(10, 100)) and rest.hasMoreRows is False
    log = _ok(c.fetch(op, log=True)).results.columns[0].stringVal.values
    assert any("plan: SparkQuery" in line for line in log)
    c.close()


def test_disconnect_mid_fetch_cleans_up(server):
    c = Raw(server)
    op = _ok(c.execute("SELECT id FROM range(0, 5000000)")).operationHandle
    _ok(c.fetch(op, 100))
    _ok(c.execute(SLOW_QUERY, run_async=True))
    key = c.session.sessionId.guid.hex()[:8]
    c.close()  # the client goes away with a half-read result and a running query
    server.wait_for_log(rf"session {key}: statement \d+ canceled, Spark job group cancelled")
    server.wait_for_log(rf"session {key} closed: client disconnected")


def test_getinfo_and_metadata_calls(server, shop):
    c = Raw(server)
    s = c.session
    info = lambda t: _ok(c.GetInfo(T.TGetInfoReq(sessionHandle=s, infoType=t))).infoValue  # noqa: E731
    assert info(T.TGetInfoType.CLI_DBMS_NAME).stringValue == "lakelens"
    assert "VOLUME" in info(T.TGetInfoType.CLI_ODBC_KEYWORDS).stringValue

    def rows(resp):
        op = _ok(resp).operationHandle
        meta = _ok(c.GetResultSetMetadata(T.TGetResultSetMetadataReq(operationHandle=op))).schema
        cols = _ok(c.fetch(op, 100000)).results.columns
        names = [col.columnName for col in meta.columns]
        values = [next(getattr(col, f).values for f in ("stringVal", "i32Val", "i16Val", "boolVal")
                       if getattr(col, f) is not None) for col in cols]
        return names, list(zip(*values))

    names, types = rows(c.GetTableTypes(T.TGetTableTypesReq(sessionHandle=s)))
    assert names == ["TABLE_TYPE"] and {r[0] for r in types} == {"TABLE", "VIEW", "VOLUME"}
    names, tables = rows(c.GetTables(T.TGetTablesReq(sessionHandle=s, catalogName="gw", schemaName="sh%",
                                                     tableName="%", tableTypes=["VOLUME", "VIEW"])))
    assert names[:5] == ["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"]
    assert sorted(r[:5] for r in tables) == [("gw", "shop", "cheap", "VIEW", ""),
                                             ("gw", "shop", "images", "VOLUME", "png files")]
    names, cols = rows(c.GetColumns(T.TGetColumnsReq(sessionHandle=s, catalogName="gw", schemaName="shop",
                                                     tableName="i%", columnName="%")))
    assert len(names) == 23 and names[3:6] == ["COLUMN_NAME", "DATA_TYPE", "TYPE_NAME"]
    by_table = {}
    for r in cols:
        by_table.setdefault(r[2], []).append((r[3], r[4], r[5]))
    assert by_table["items"][:3] == [("id", 4, "INT"), ("name", 12, "STRING"), ("price", 3, "DECIMAL(10,2)")]
    assert [c[0] for c in by_table["images"]] == ["path", "name", "size", "modification_time", "content"]
    names, schemas = rows(c.GetSchemas(T.TGetSchemasReq(sessionHandle=s, catalogName="gw")))
    assert names == ["TABLE_SCHEM", "TABLE_CATALOG"] and ("shop", "gw") in schemas
    names, cats = rows(c.GetCatalogs(T.TGetCatalogsReq(sessionHandle=s)))
    assert {"gw", "main"} <= {r[0] for r in cats}
    names, fns = rows(c.GetFunctions(T.TGetFunctionsReq(sessionHandle=s, functionName="array_%")))
    assert names[2] == "FUNCTION_NAME" and "array_contains" in {r[2] for r in fns}
    names, fns = rows(c.GetFunctions(T.TGetFunctionsReq(sessionHandle=s, functionName="%ocr%")))
    assert {r[2]: r[3] for r in fns}["try_ocr"] == ("lakelens extract function: "
                                                    "try_ocr(image BINARY [, lang STRING] [, engine STRING]) → STRING")
    names, typeinfo = rows(c.GetTypeInfo(T.TGetTypeInfoReq(sessionHandle=s)))
    assert {"BIGINT", "STRING", "BINARY", "DECIMAL"} <= {r[0] for r in typeinfo}
    names, pks = rows(c.GetPrimaryKeys(T.TGetPrimaryKeysReq(sessionHandle=s, schemaName="shop", tableName="items")))
    assert names == ["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME"] and pks == []
    c.close()


def test_slow_query_does_not_block_other_sessions(server):
    """One session's long query leaves other sessions' metadata calls and fetches alone."""
    slow = Raw(server)
    op = _ok(slow.execute(SLOW_QUERY, run_async=True)).operationHandle
    results = []

    def other():
        c = Raw(server)
        resp = c.GetSchemas(T.TGetSchemasReq(sessionHandle=c.session))
        q = _ok(c.execute("SELECT 5"))
        results.append((resp.status.statusCode, _ok(c.fetch(q.operationHandle)).results.columns[0].i32Val.values))
        c.close()

    threads = [threading.Thread(target=other) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert results == [(T.TStatusCode.SUCCESS_STATUS, [5])] * 4
    assert slow.status(op).operationState == T.TOperationState.RUNNING_STATE  # still going meanwhile
    _ok(slow.CancelOperation(T.TCancelOperationReq(operationHandle=op)))
    slow.close()


def test_conf_overlay_applies_to_one_statement(server):
    c = Raw(server)

    def shuffle_partitions(overlay=None):
        resp = _ok(c.ExecuteStatement(T.TExecuteStatementReq(
            sessionHandle=c.session, statement="SET spark.sql.shuffle.partitions", confOverlay=overlay)))
        return _ok(c.fetch(resp.operationHandle)).results.columns[1].stringVal.values

    assert shuffle_partitions({"spark.sql.shuffle.partitions": "3"}) == ["3"]
    assert shuffle_partitions() == ["8"]
    c.close()
