"""The TCLIService frontend: Thrift requests in, session and operation managers, responses out.

Every RPC answers with a `TStatus`; errors never escape as Thrift application exceptions
(clients would report those as a broken connection). Statuses are SUCCESS on normal paths
(PyHive treats anything else as an error), ERROR with the message, SQLSTATE and error class
otherwise, INVALID_HANDLE for unknown handles.
"""

from __future__ import annotations

import functools
import logging
import threading

import pyarrow as pa
from impala_thrift_gen.TCLIService import TCLIService
from impala_thrift_gen.TCLIService import ttypes as T
from thrift.Thrift import TApplicationException, TMessageType, TType

import lakelens
from lakelens.catalog import LakelensError, PermissionDenied
from lakelens.engine.runtime import Runtime

from lakelens.engine.gateway import metadata
from lakelens.engine.gateway.operations import ExecuteStatement, GatewayError, MetadataOperation
from lakelens.engine.gateway.rowset import columnar_rowset, row_rowset, table_schema
from lakelens.engine.gateway.sessions import workspace_of
from lakelens.engine.state import State

from lakelens.sql.governance import redact_statement

log = logging.getLogger("lakelens.gateway")

SERVER_PROTOCOL = T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11
OK = T.TStatus(statusCode=T.TStatusCode.SUCCESS_STATUS)

KEYWORDS = ",".join(sorted({
    "ALTER", "ANALYZE", "ARRAY", "AS", "CACHE", "CATALOG", "CATALOGS", "CLUSTER", "COMMENT", "DATABASE",
    "DATABASES", "DELTA", "DESCRIBE", "DISTRIBUTE", "EXPLAIN", "EXTENDED", "FUNCTIONS", "GET", "HISTORY",
    "ICEBERG", "LATERAL", "LIST", "MAP", "MERGE", "OVERWRITE", "PARTITIONED", "PIVOT", "PUT", "QUALIFY",
    "REMOVE", "RESTORE", "SCHEMAS", "SHOW", "STRUCT", "TABLESAMPLE", "TBLPROPERTIES", "UNPIVOT", "USE",
    "VOLUME", "VOLUMES",
}))


class ConnectionContext(threading.local):
    """What the transport learned about the caller of the current RPC."""

    user: str | None = None
    peer: str = "?"
    transport: str = "binary"
    on_session_open = None


connection = ConnectionContext()


def _error_status(e: BaseException) -> T.TStatus:
    if isinstance(e, GatewayError) and e.error_class == "INVALID_HANDLE":
        code = T.TStatusCode.INVALID_HANDLE_STATUS
    else:
        code = T.TStatusCode.ERROR_STATUS
    if isinstance(e, LakelensError):
        return T.TStatus(statusCode=code, errorMessage=str(e), sqlState=e.sqlstate or "XX000", errorCode=0,
                         infoMessages=[f"*{e.error_class}:0:0"])
    log.exception("internal error")
    return T.TStatus(statusCode=code, errorMessage=f"[INTERNAL_ERROR] {type(e).__name__}: {e}", sqlState="XX000",
                     errorCode=0)


def rpc(response_class):
    """Run an RPC; any error becomes the response's status."""
    def wrap(fn):
        @functools.wraps(fn)
        def call(self, req):
            try:
                return fn(self, req)
            except BaseException as e:  # noqa: BLE001 - every failure is reported to the client
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                return response_class(status=_error_status(e))
        return call
    return wrap


class ThriftService(TCLIService.Iface):
    def __init__(self, manager, authenticator, config):
        self.manager = manager
        self.authenticator = authenticator
        self.config = config
        self.poll_s = float(config.get("gateway.status_long_poll_s", "5"))
        self._functions = None
        self._functions_lock = threading.Lock()

    # ------------------------------------------------------------------ sessions
    @rpc(T.TOpenSessionResp)
    def OpenSession(self, req):
        protocol = min(req.client_protocol if req.client_protocol is not None else SERVER_PROTOCOL, SERVER_PROTOCOL)
        conf = dict(req.configuration or {})
        principal = self.authenticator.principal(connection.user, req.username, req.password,
                                                 conf.get("hive.server2.proxy.user"), connection.peer)
        try:
            session = self.manager.open(principal.name, protocol, conf,
                                        f"{connection.transport}:{connection.peer}", principal)
        except PermissionDenied as e:  # a workspace the user may not use
            Runtime.get().catalog(self.config).audit(principal.name, "login", status=403, error=e.message,
                                       params={"auth": principal.auth}, address=principal.address,
                                       workspace=workspace_of(conf))
            raise
        session.engine.catalog.audit(principal.name, "login", params={"auth": principal.auth},
                                     address=principal.address, client=session.engine.client,
                                     session_id=session.engine.session_id, workspace=session.engine.workspace)
        if connection.on_session_open is not None:
            connection.on_session_open(session)
        return T.TOpenSessionResp(status=OK, serverProtocolVersion=protocol, sessionHandle=session.handle,
                                  configuration={})

    @rpc(T.TCloseSessionResp)
    def CloseSession(self, req):
        self.manager.close(self.manager.session(req.sessionHandle))
        return T.TCloseSessionResp(status=OK)

    @rpc(T.TGetInfoResp)
    def GetInfo(self, req):
        self.manager.session(req.sessionHandle)
        t = T.TGetInfoType
        values = {
            t.CLI_SERVER_NAME: T.TGetInfoValue(stringValue="lakelens"),
            t.CLI_DBMS_NAME: T.TGetInfoValue(stringValue="lakelens"),
            t.CLI_DBMS_VER: T.TGetInfoValue(stringValue=lakelens.__version__),
            t.CLI_ODBC_KEYWORDS: T.TGetInfoValue(stringValue=KEYWORDS),
            t.CLI_MAX_COLUMN_NAME_LEN: T.TGetInfoValue(lenValue=255),
            t.CLI_MAX_SCHEMA_NAME_LEN: T.TGetInfoValue(lenValue=255),
            t.CLI_MAX_TABLE_NAME_LEN: T.TGetInfoValue(lenValue=255),
            t.CLI_IDENTIFIER_QUOTE_CHAR: T.TGetInfoValue(stringValue="`"),
        }
        if req.infoType not in values:
            name = T.TGetInfoType._VALUES_TO_NAMES.get(req.infoType, req.infoType)
            raise GatewayError(f"GetInfo: unsupported info type {name}", error_class="UNSUPPORTED_INFO_TYPE",
                               sqlstate="HY096")
        return T.TGetInfoResp(status=OK, infoValue=values[req.infoType])

    # ------------------------------------------------------------------ statements
    @rpc(T.TExecuteStatementResp)
    def ExecuteStatement(self, req):
        session = self.manager.session(req.sessionHandle)
        statement = req.statement or ""
        overlay = dict(req.confOverlay or {})
        timeout = int(req.queryTimeout or 0) or int(overlay.get("hive.query.timeout.seconds", "0").rstrip("s") or 0)
        spark_overlay = {k: v for k, v in overlay.items() if k.startswith("spark.")}
        op = self.manager.add(ExecuteStatement(session, self.config, session.substitute(statement), timeout,
                                               spark_overlay))
        log.info("session %s statement %s: %s", session.key_hex[:8], op.number,
                 " ".join(redact_statement(statement).split())[:500])
        op.run(bool(req.runAsync))
        if not req.runAsync and op.state == State.ERROR:
            # Synchronous clients (PyHive's default) learn of the failure from this reply.
            status = _error_status(op.error)
            self.manager.close_operation(op)
            return T.TExecuteStatementResp(status=status)
        return T.TExecuteStatementResp(status=OK, operationHandle=op.handle)

    def _metadata(self, req, response_class, kind, answer):
        """Answer a metadata call: `answer(session)` gives the rows (from the catalog)."""
        session = self.manager.session(req.sessionHandle)
        op = self.manager.add(MetadataOperation(session, self.config, kind, lambda: answer(session)))
        op.run(False)
        if op.state == State.ERROR:
            raise op.error
        return response_class(status=OK, operationHandle=op.handle)

    @rpc(T.TGetTypeInfoResp)
    def GetTypeInfo(self, req):
        return self._metadata(req, T.TGetTypeInfoResp, T.TOperationType.GET_TYPE_INFO,
                              lambda s: metadata.type_info())

    @rpc(T.TGetCatalogsResp)
    def GetCatalogs(self, req):
        return self._metadata(req, T.TGetCatalogsResp, T.TOperationType.GET_CATALOGS,
                              lambda s: metadata.catalogs(s.engine.catalog, s.engine.access()))

    @rpc(T.TGetSchemasResp)
    def GetSchemas(self, req):
        return self._metadata(req, T.TGetSchemasResp, T.TOperationType.GET_SCHEMAS,
                              lambda s: metadata.schemas(s.engine.catalog, req.catalogName, req.schemaName,
                                                         s.engine.access()))

    @rpc(T.TGetTablesResp)
    def GetTables(self, req):
        return self._metadata(req, T.TGetTablesResp, T.TOperationType.GET_TABLES, lambda s: metadata.tables(
            s.engine.catalog, req.catalogName, req.schemaName, req.tableName, req.tableTypes, s.engine.access()))

    @rpc(T.TGetTableTypesResp)
    def GetTableTypes(self, req):
        return self._metadata(req, T.TGetTableTypesResp, T.TOperationType.GET_TABLE_TYPES,
                              lambda s: metadata.table_types())

    @rpc(T.TGetColumnsResp)
    def GetColumns(self, req):
        return self._metadata(req, T.TGetColumnsResp, T.TOperationType.GET_COLUMNS, lambda s: metadata.columns(
            s.engine.catalog, req.catalogName, req.schemaName, req.tableName, req.columnName, s.engine.access()))

    @rpc(T.TGetFunctionsResp)
    def GetFunctions(self, req):
        return self._metadata(req, T.TGetFunctionsResp, T.TOperationType.GET_FUNCTIONS, lambda s: metadata.functions(
            self._function_rows(s), req.catalogName, req.schemaName, req.functionName))

    def _function_rows(self, session) -> list[tuple[str, str]]:
        """lakelens' multimodal functions, then Spark's built-ins (listed once per server: one Spark call)."""
        from lakelens.sql.functions import function_names

        with self._functions_lock:
            if self._functions is None:
                ours = [(name, f"lakelens {spec.kind} function: {('try_' if t else '') + spec.signature()}")
                        for name, spec, t in function_names()]
                spark = session.engine.sql("SHOW SYSTEM FUNCTIONS").column(0).to_pylist()
                self._functions = ours + [(name, "Spark built-in function") for name in spark]
            return self._functions

    @rpc(T.TGetPrimaryKeysResp)
    def GetPrimaryKeys(self, req):
        return self._metadata(req, T.TGetPrimaryKeysResp, T.TOperationType.UNKNOWN,
                              lambda s: metadata.primary_keys())

    @rpc(T.TGetCrossReferenceResp)
    def GetCrossReference(self, req):
        return self._metadata(req, T.TGetCrossReferenceResp, T.TOperationType.UNKNOWN,
                              lambda s: metadata.cross_reference())

    # ------------------------------------------------------------------ operations
    @rpc(T.TGetOperationStatusResp)
    def GetOperationStatus(self, req):
        op = self.manager.operation(req.operationHandle)
        progress = bool(req.getProgressUpdate) and op.session.protocol >= T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10
        cached = op.status_cache.get(progress)
        if cached is not None and cached.operationState == op.thrift_state:
            # Hive JDBC 2.x asks for the status (and beeline for progress) before every row it
            # reads: a finished operation's reply is made once.
            return cached
        # Long poll: clients (Hive JDBC, dbt-spark) call this in a tight loop.
        op.wait(self.poll_s)
        resp = T.TGetOperationStatusResp(
            status=OK, operationState=op.thrift_state, operationStarted=int(op.created * 1000),
            operationCompleted=int(op.completed * 1000) if op.completed else None,
            hasResultSet=True)
        if op.state == State.ERROR and op.error is not None:
            resp.errorMessage = str(op.error)
            resp.sqlState = op.error.sqlstate or "XX000"
            resp.errorCode = 0
        elif op.state == State.TIMEDOUT:
            resp.errorMessage = f"[QUERY_TIMEOUT] the statement ran past its query timeout ({op.timeout_s} s) " \
                                "and was cancelled"
            resp.sqlState = "HYT00"
        if progress and not (op.state.terminal and op.final_progress_sent):
            resp.progressUpdateResponse = op.progress()
            op.final_progress_sent = op.state.terminal
        elif op.state.terminal:
            # Once the final progress went out, no more: beeline redraws its bar for every
            # progress it receives, and Hive JDBC 2.x asks before every row.
            op.status_cache[progress] = resp
        return resp

    @rpc(T.TCancelOperationResp)
    def CancelOperation(self, req):
        op = self.manager.operation(req.operationHandle)
        log.info("session %s: cancel requested", op.session.key_hex[:8])
        op.cancel()
        return T.TCancelOperationResp(status=OK)

    @rpc(T.TCloseOperationResp)
    def CloseOperation(self, req):
        self.manager.close_operation(self.manager.operation(req.operationHandle))
        return T.TCloseOperationResp(status=OK)

    @rpc(T.TGetResultSetMetadataResp)
    def GetResultSetMetadata(self, req):
        op = self.manager.operation(req.operationHandle)
        op.wait(float("inf"))
        if op.state == State.ERROR and op.error is not None:
            raise op.error
        if op.schema is None:
            raise GatewayError(f"operation has no result set (state {op.state.name})",
                               error_class="OPERATION_NOT_READY", sqlstate="HY010")
        return T.TGetResultSetMetadataResp(status=OK, schema=table_schema(op.schema))

    @rpc(T.TFetchResultsResp)
    def FetchResults(self, req):
        op = self.manager.operation(req.operationHandle)
        first = req.orientation == T.TFetchOrientation.FETCH_FIRST
        # At most gateway.max_fetch_rows a call, whatever the client asks: hasMoreRows then says
        # the rest is there, and clients fetch again.
        cap = self.config.number("gateway.max_fetch_rows", 100_000, int, 1)
        max_rows = max(1, min(int(req.maxRows or 1000), cap))
        columnar = op.session.columnar
        if req.fetchType == 1:  # the operation log
            lines = op.log.read(first, max_rows)
            table = pa.table({"log": pa.array(lines, type=pa.string())})
            rowset = columnar_rowset(table, 0) if columnar else row_rowset(table, 0)
            return T.TFetchResultsResp(status=OK, hasMoreRows=False, results=rowset)
        op.wait(float("inf"))
        start = 0 if first else (op.buffer.rows_served if op.buffer is not None else 0)
        table = op.fetch(first, max_rows)
        rowset = columnar_rowset(table, start) if columnar else row_rowset(table, start)
        return T.TFetchResultsResp(status=OK, hasMoreRows=op.buffer.has_more, results=rowset)

    @rpc(T.TGetLogResp)
    def GetLog(self, req):
        op = self.manager.operation(req.operationHandle)
        return T.TGetLogResp(status=OK, log="\n".join(op.log.read(True, 1 << 30)))

    # ------------------------------------------------------------------ not offered
    @rpc(T.TGetDelegationTokenResp)
    def GetDelegationToken(self, req):
        raise GatewayError("delegation tokens are not supported (no Kerberos)", error_class="UNSUPPORTED_FEATURE",
                           sqlstate="0A000")

    @rpc(T.TCancelDelegationTokenResp)
    def CancelDelegationToken(self, req):
        return self.GetDelegationToken(req)

    @rpc(T.TRenewDelegationTokenResp)
    def RenewDelegationToken(self, req):
        return self.GetDelegationToken(req)

    def GetQueryId(self, req):  # the reply has no status: an unknown handle gets an empty id
        try:
            op = self.manager.operation(req.operationHandle)
        except GatewayError:
            return T.TGetQueryIdResp(queryId="")
        return T.TGetQueryIdResp(queryId=getattr(op, "job_group", op.key.hex()))

    @rpc(T.TSetClientInfoResp)
    def SetClientInfo(self, req):
        self.manager.session(req.sessionHandle)
        return T.TSetClientInfoResp(status=OK)


def _skip(iprot, ttype: int) -> None:
    """Skip a value. Thrift's own `skip` decodes strings as UTF-8 and fails on binary fields
    (handle ids), which dropped the connection of clients that probe Impala-only methods."""
    if ttype == TType.STRING:
        iprot.readBinary()
    elif ttype == TType.STRUCT:
        iprot.readStructBegin()
        while True:
            _, field_type, _ = iprot.readFieldBegin()
            if field_type == TType.STOP:
                break
            _skip(iprot, field_type)
            iprot.readFieldEnd()
        iprot.readStructEnd()
    elif ttype == TType.MAP:
        key_type, value_type, size = iprot.readMapBegin()
        for _ in range(size):
            _skip(iprot, key_type)
            _skip(iprot, value_type)
        iprot.readMapEnd()
    elif ttype in (TType.LIST, TType.SET):
        elem_type, size = iprot.readListBegin() if ttype == TType.LIST else iprot.readSetBegin()
        for _ in range(size):
            _skip(iprot, elem_type)
        iprot.readListEnd() if ttype == TType.LIST else iprot.readSetEnd()
    else:
        iprot.skip(ttype)


class Processor(TCLIService.Processor):
    """TCLIService's processor, answering methods it does not know (impyla tries Impala's
    CloseImpalaOperation first) with UNKNOWN_METHOD instead of dropping the connection."""

    def process(self, iprot, oprot):
        name, _, seqid = iprot.readMessageBegin()
        if name in self._processMap:
            self._processMap[name](self, seqid, iprot, oprot)
            return True
        _skip(iprot, TType.STRUCT)
        iprot.readMessageEnd()
        error = TApplicationException(TApplicationException.UNKNOWN_METHOD, f"Unknown function {name}")
        oprot.writeMessageBegin(name, TMessageType.EXCEPTION, seqid)
        error.write(oprot)
        oprot.writeMessageEnd()
        oprot.trans.flush()
        return None
