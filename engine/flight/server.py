"""The Arrow Flight SQL frontend: results as Arrow record batches, straight from the engine.

Built on `pyarrow.flight` (gRPC); Flight SQL's commands arrive as protobuf messages packed in
`google.protobuf.Any` (protocol.py). Like the HiveServer2 gateway it only translates: every
statement runs through `Session.submit` (the engine's one statement path), as the session's
remote principal, and the batches a client reads with DoGet are the execution's own.

- Sessions: a Basic `authorization` header (the handshake of ADBC and the JDBC driver) signs
  in with the catalog's users (`--auth plain`) or names the user (`--auth none`) and opens a
  session; its key goes back as `authorization: Bearer <token>`, which clients send on every
  later call. Sessions live in the gateway's SessionManager: the same limits and idle timeouts
  as HiveServer2's. A client that sends no credentials on an `--auth none` server gets one
  session per gRPC connection.
- Queries (CommandStatementQuery, CommandPreparedStatementQuery): GetFlightInfo submits the
  statement and answers once its first batch is ready (errors arrive there), with one endpoint
  whose ticket names the execution; DoGet streams its batches a few Spark partitions at a time.
  A client that goes away mid-stream cancels the statement (its Spark job group).
- Updates (CommandStatementUpdate, CommandPreparedStatementUpdate) and bulk ingest
  (CommandStatementIngest) come through DoPut; metadata commands are answered from the catalog.
"""

from __future__ import annotations

import base64
import functools
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.flight as flight

import lakelens
from lakelens.catalog import PermissionDenied, Principal
from lakelens.errors import LakelensError

from lakelens.engine.execution import user_error
from lakelens.engine.flight import metadata
from lakelens.engine.flight.protocol import ProtocolError, flight_pb, optional, pack, sql_pb, unpack
from lakelens.engine.session import Session
from lakelens.engine.state import State

log = logging.getLogger("lakelens.flight")

MAX_USER_NAME = 255


class FlightQuery:
    """A statement's result waiting for its DoGet (an operation in SessionManager's sense)."""

    def __init__(self, session: "FlightSession", execution=None, table: pa.Table | None = None):
        self.session = session
        self.key = secrets.token_bytes(16)
        self.execution, self.table = execution, table
        self.last_access = time.monotonic()
        self._read = False

    @property
    def state(self) -> State:
        return self.execution.state if self.execution is not None else State.FINISHED

    @property
    def schema(self) -> pa.Schema:
        return self.execution.schema if self.execution is not None else self.table.schema

    def claim(self) -> None:
        """A ticket is read once (Flight: "tickets are meant to be single use")."""
        if self._read:
            raise ProtocolError("this ticket was already read (tickets are single use: ask GetFlightInfo again)")
        self._read = True

    def batches(self):
        if self.execution is None:
            yield from self.table.to_batches(max_chunksize=65536)
        else:
            yield from self.execution.batches()

    def cancel(self) -> None:
        if self.execution is not None and not self.execution.state.terminal:
            self.execution.cancel()

    def close(self) -> None:
        if self.execution is not None:
            self.execution.close()


@dataclass
class Prepared:
    query: str
    parameters: int
    dataset_schema: pa.Schema | None
    bound: list[list] = field(default_factory=list)  # rows of parameter values from DoPut


class FlightSession:
    """One client's session: an engine Session as a remote principal, its prepared statements."""

    def __init__(self, config, principal: Principal, client: str):
        self.key = secrets.token_bytes(24)  # also the bearer token: unguessable
        self.key_hex = self.key.hex()
        self.user = principal.name
        self.principal = principal
        self.engine = Session(config, principal=principal)
        self.engine.session_id, self.engine.client = self.key_hex, f"flight-sql ({client})"
        self.operations: dict[bytes, FlightQuery] = {}
        self.prepared: dict[bytes, Prepared] = {}
        self.last_access = time.monotonic()
        self.opened = time.time()
        self.engine.warm()

    @property
    def token(self) -> str:
        return base64.urlsafe_b64encode(self.key).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """Base64 with or without padding (ADBC's Go client sends it unpadded)."""
    text = text.strip()
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=False)


class _CallAuth(flight.ServerMiddleware):
    """Who the call comes from: its session (or None until a handler opens a per-connection
    one), and the token to send back when this call opened a session."""

    def __init__(self, session: FlightSession | None):
        self.session = session
        self.new_token: str | None = None

    def sending_headers(self):
        return {"authorization": f"Bearer {self.new_token}"} if self.new_token else None


class _NoOpAuthHandler(flight.ServerAuthHandler):
    """Handshake is answered by the middleware (credentials in its headers); this handler only
    keeps pyarrow from refusing the Handshake RPC as unimplemented."""

    def authenticate(self, outgoing, incoming):
        pass

    def is_valid(self, token):
        return ""


class AuthMiddlewareFactory(flight.ServerMiddlewareFactory):
    def __init__(self, frontend: "FlightSqlServer"):
        super().__init__()
        self.frontend = frontend

    def start_call(self, info, headers):
        values = headers.get("authorization") or headers.get("Authorization") or []
        value = values[0] if values else ""
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        scheme, _, credentials = value.partition(" ")
        try:
            if scheme.lower() == "bearer":
                return _CallAuth(self.frontend.session_for_token(credentials.strip()))
            if scheme.lower() == "basic":
                user, _, password = _b64decode(credentials).decode("utf-8", "replace").partition(":")
                middleware = _CallAuth(self.frontend.sign_in(user, password))
                middleware.new_token = middleware.session.token
                return middleware
            if value:
                raise flight.FlightUnauthenticatedError("unsupported authorization scheme: use Basic or Bearer")
        except LakelensError as e:
            raise flight.FlightUnauthenticatedError(str(e)) from None
        if self.frontend.authenticator.requires_password:
            raise flight.FlightUnauthenticatedError("sign in with a user name and password (Basic authorization)")
        return _CallAuth(None)


def _translate(fn):
    """Run a Flight handler; lakelens errors become Flight errors carrying their message."""
    @functools.wraps(fn)
    def call(self, context, *args):
        try:
            return fn(self, context, *args)
        except flight.FlightError:
            raise
        except BaseException as e:  # noqa: BLE001 - every failure is reported to the client
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            raise _flight_error(e) from None
    return call


def _flight_error(e: BaseException) -> Exception:
    """The gRPC status a client sees: PERMISSION_DENIED for privileges, CANCELLED, INTERNAL for
    our own faults, UNKNOWN for the rest. The message is lakelens' own (`[ERROR_CLASS] text`).
    Only Flight's own exception types: for any other (ValueError → INVALID_ARGUMENT) pyarrow
    sends the server's Python traceback to the client."""
    error = e if isinstance(e, LakelensError) else user_error(e)
    message = str(error)
    if isinstance(error, PermissionDenied):
        return flight.FlightUnauthorizedError(message)
    if error.error_class == "INTERNAL_ERROR":
        log.error("internal error in a Flight SQL call: %s", message)
        return flight.FlightInternalError(message)
    if error.error_class == "OPERATION_NOT_ACTIVE":  # cancelled, timed out or closed meanwhile
        return flight.FlightCancelledError(message)
    return flight.FlightServerError(message)


class FlightSqlServer(flight.FlightServerBase):
    """Flight SQL on `location` (grpc://host:port or grpc+tls://), sharing the gateway's
    session manager and authenticator."""

    def __init__(self, config, manager, authenticator, host="127.0.0.1", port=32010, tls=None):
        scheme = "grpc+tls" if tls else "grpc+tcp"
        self.config, self.manager, self.authenticator = config, manager, authenticator
        self.max_ingest_bytes = config.number("flight.max_ingest_bytes", 1 << 30, int, 1)
        self.max_prepared = config.number("flight.max_prepared_statements", 256, int, 1)
        self._by_peer: dict[str, bytes] = {}  # anonymous sessions, per gRPC connection
        self._lock = threading.Lock()
        super().__init__(f"{scheme}://{host}:{port}", auth_handler=_NoOpAuthHandler(),
                         middleware={"auth": AuthMiddlewareFactory(self)},
                         tls_certificates=[tls] if tls else None)
        self.host = host

    # ------------------------------------------------------------------ sessions
    def sign_in(self, user: str, password: str) -> FlightSession:
        if len(user) > MAX_USER_NAME:
            raise LakelensError(f"user names have at most {MAX_USER_NAME} characters", error_class="INVALID_USER",
                                sqlstate="28000")
        if self.authenticator.requires_password:
            if not self.authenticator.verify(user, password, None):
                raise LakelensError("authentication failed: wrong user name or password",
                                    error_class="AUTHENTICATION_FAILED", sqlstate="28000")
            auth = "password"
        else:
            auth = "none"
        user = user or "anonymous"
        return self._open(Principal(user, auth, "flight", remote=True))

    def _open(self, principal: Principal, peer: str = "?") -> FlightSession:
        session = self.manager.open_with(principal.name, lambda: FlightSession(self.config, principal, peer))
        log.info("flight session %s opened: user=%s", session.key_hex[:8], principal.name)
        return session

    def session_for_token(self, token: str) -> FlightSession:
        try:
            key = _b64decode(token.replace("-", "+").replace("_", "/"))
        except ValueError:
            key = b""
        session = self.manager.find(key) if len(key) == 24 else None
        if not isinstance(session, FlightSession):
            raise LakelensError("the session of this token is closed or timed out: sign in again",
                                error_class="INVALID_SESSION", sqlstate="08003")
        return session

    def _session(self, context) -> FlightSession:
        auth = context.get_middleware("auth")
        if auth is None:
            raise flight.FlightUnauthenticatedError("no session")
        if auth.session is None:  # --auth none and no credentials: one session per connection
            peer = context.peer() or "?"
            with self._lock:
                key = self._by_peer.get(peer)
            session = self.manager.find(key) if key else None
            if not isinstance(session, FlightSession):
                session = self._open(Principal("anonymous", "none", peer, remote=True), peer)
                with self._lock:
                    self._by_peer[peer] = session.key
                    self._forget_closed_peers()
                auth.new_token = session.token
            auth.session = session
        auth.session.last_access = time.monotonic()
        return auth.session

    def _forget_closed_peers(self) -> None:
        if len(self._by_peer) > 1024:
            live = {s.key for s in self.manager.sessions()}
            for peer in [p for p, k in self._by_peer.items() if k not in live]:
                del self._by_peer[peer]

    # ------------------------------------------------------------------ GetFlightInfo / DoGet
    @_translate
    def get_flight_info(self, context, descriptor):
        session = self._session(context)
        if descriptor.descriptor_type != flight.DescriptorType.CMD:
            raise ProtocolError("Flight SQL descriptors are commands (CMD), not paths")
        command = unpack(descriptor.command, "the descriptor's command")
        query = self._query(session, command, context)
        self.manager.add(query)
        ticket = flight.Ticket(pack(sql_pb.TicketStatementQuery(statement_handle=query.key)))
        return flight.FlightInfo(query.schema, descriptor, [flight.FlightEndpoint(ticket, [])], -1, -1)

    @_translate
    def get_schema(self, context, descriptor):
        session = self._session(context)
        command = unpack(descriptor.command, "the descriptor's command")
        if isinstance(command, sql_pb.CommandStatementQuery):
            schema = session.engine.describe(command.query)
        elif isinstance(command, sql_pb.CommandPreparedStatementQuery):
            schema = self._prepared(session, command.prepared_statement_handle).dataset_schema
        else:
            schema = self._metadata(session, command).schema
        return flight.SchemaResult(schema if schema is not None else pa.schema([]))

    def _query(self, session: FlightSession, command, context) -> FlightQuery:
        if isinstance(command, sql_pb.CommandStatementQuery):
            return self._run(session, command.query, context)
        if isinstance(command, sql_pb.CommandPreparedStatementQuery):
            prepared = self._prepared(session, command.prepared_statement_handle)
            rows = prepared.bound or [[]]
            if prepared.parameters and not prepared.bound:
                raise ProtocolError(f"the prepared statement has {prepared.parameters} parameter(s) and none were "
                                    "bound")
            if len(rows) > 1:
                raise ProtocolError("a prepared query runs with one row of parameters (DoPut sent "
                                    f"{len(rows)})")
            return self._run(session, _bind(prepared, rows[0]), context)
        return FlightQuery(session, table=self._metadata(session, command))

    def _run(self, session: FlightSession, text: str, context) -> FlightQuery:
        log.info("flight session %s: %s", session.key_hex[:8], " ".join(_redact(text).split())[:500])
        execution = session.engine.submit(text)
        query = FlightQuery(session, execution=execution)
        while not execution.wait(0.25).terminal and execution.state != State.FINISHED:
            if context.is_cancelled():  # the client gave up waiting: stop the statement
                execution.cancel()
        if execution.state == State.ERROR:
            execution.close()
            raise execution.error
        if execution.state != State.FINISHED:
            raise flight.FlightCancelledError(f"the statement was {execution.state.name.lower()}")
        return query

    @_translate
    def do_get(self, context, ticket):
        session = self._session(context)
        message = unpack(ticket.ticket, "the ticket")
        if not isinstance(message, sql_pb.TicketStatementQuery):
            raise ProtocolError(f"a ticket of this server is a TicketStatementQuery, not {type(message).__name__}")
        query = self.manager.find_operation(message.statement_handle)
        if not isinstance(query, FlightQuery) or query.session.user != session.user:
            raise ProtocolError("unknown ticket (read already, closed or timed out)")
        query.claim()
        return flight.GeneratorStream(query.schema, self._stream(query, context))

    def _stream(self, query: FlightQuery, context):
        done = False
        try:
            for batch in query.batches():
                if context.is_cancelled():
                    return
                yield batch
            done = True
        except LakelensError as e:
            raise _flight_error(e) from None
        finally:
            if not done:  # the client went away (or cancelled): stop the Spark job group
                query.cancel()
                log.info("flight session %s: stream cancelled by the client", query.session.key_hex[:8])
            self.manager.close_operation(query)

    # ------------------------------------------------------------------ metadata commands
    def _metadata(self, session: FlightSession, command) -> pa.Table:
        engine = session.engine
        if isinstance(command, sql_pb.CommandGetCatalogs):
            return metadata.catalogs(engine.catalog, engine.access())
        if isinstance(command, sql_pb.CommandGetDbSchemas):
            return metadata.db_schemas(engine.catalog, optional(command, "catalog"),
                                       optional(command, "db_schema_filter_pattern"), engine.access())
        if isinstance(command, sql_pb.CommandGetTables):
            return metadata.tables(engine.catalog, optional(command, "catalog"),
                                   optional(command, "db_schema_filter_pattern"),
                                   optional(command, "table_name_filter_pattern"), list(command.table_types),
                                   command.include_schema, engine.access())
        if isinstance(command, sql_pb.CommandGetTableTypes):
            return metadata.table_types()
        if isinstance(command, sql_pb.CommandGetPrimaryKeys):
            return metadata.primary_keys()
        if isinstance(command, (sql_pb.CommandGetExportedKeys, sql_pb.CommandGetImportedKeys,
                                sql_pb.CommandGetCrossReference)):
            return metadata.foreign_keys()
        if isinstance(command, sql_pb.CommandGetSqlInfo):
            return metadata.sql_info(list(command.info), lakelens.__version__)
        if isinstance(command, sql_pb.CommandGetXdbcTypeInfo):
            return metadata.xdbc_type_info(command.data_type if command.HasField("data_type") else None)
        raise ProtocolError(f"{type(command).__name__} is not a query or metadata command")

    # ------------------------------------------------------------------ DoPut
    @_translate
    def do_put(self, context, descriptor, reader, writer):
        session = self._session(context)
        command = unpack(descriptor.command, "the descriptor's command")
        if isinstance(command, sql_pb.CommandStatementUpdate):
            count = self._update(session, command.query, context)
        elif isinstance(command, sql_pb.CommandPreparedStatementQuery):
            prepared = self._prepared(session, command.prepared_statement_handle)
            prepared.bound = self._parameter_rows(reader, prepared)
            result = sql_pb.DoPutPreparedStatementResult(prepared_statement_handle=command.prepared_statement_handle)
            writer.write(pa.py_buffer(result.SerializeToString()))
            return
        elif isinstance(command, sql_pb.CommandPreparedStatementUpdate):
            prepared = self._prepared(session, command.prepared_statement_handle)
            rows = self._parameter_rows(reader, prepared) or prepared.bound or [[]]
            count = sum(self._update(session, _bind(prepared, row), context) for row in rows)
        elif isinstance(command, sql_pb.CommandStatementIngest):
            count = self._ingest(session, command, reader)
        else:
            raise ProtocolError(f"DoPut takes an update, a prepared statement or an ingest, not "
                                f"{type(command).__name__}")
        writer.write(pa.py_buffer(sql_pb.DoPutUpdateResult(record_count=count).SerializeToString()))

    def _update(self, session: FlightSession, text: str, context) -> int:
        query = self._run(session, text, context)
        try:
            table = pa.Table.from_batches(list(query.batches()), schema=query.schema)
        finally:
            query.close()
        if "num_affected_rows" in table.column_names and table.num_rows == 1:  # Delta's UPDATE/DELETE/MERGE
            value = table.column("num_affected_rows")[0].as_py()
            if value is not None:
                return int(value)
        # Spark counts no rows for INSERT or DDL. Not -1 ("unknown"): the Flight SQL JDBC driver
        # (18.3) then runs the statement a second time as a query, inserting the rows twice.
        return 0

    def _parameter_rows(self, reader, prepared: Prepared) -> list[list]:
        rows, size = [], 0
        for chunk in reader:
            batch = chunk.data
            if batch is None:
                continue
            size += batch.nbytes
            if size > self.max_ingest_bytes:
                raise ProtocolError(f"parameter batches over flight.max_ingest_bytes ({self.max_ingest_bytes})")
            if batch.num_columns != prepared.parameters:
                raise ProtocolError(f"the statement has {prepared.parameters} parameter(s); the bound batch has "
                                    f"{batch.num_columns} column(s)")
            columns = [c.to_pylist() for c in batch.columns]
            rows.extend([list(r) for r in zip(*columns)] if columns else [[] for _ in range(batch.num_rows)])
        return rows

    def _ingest(self, session: FlightSession, command, reader) -> int:
        options = command.table_definition_options
        T = sql_pb.CommandStatementIngest.TableDefinitionOptions
        if command.temporary:
            raise LakelensError("temporary ingest is not supported: ingest into a table of a schema you own and "
                                "drop it after", error_class="NOT_SUPPORTED", sqlstate="0A000")
        if command.HasField("transaction_id"):
            raise LakelensError("this server has no transactions", error_class="NOT_SUPPORTED", sqlstate="0A000")
        if_exists = {T.TABLE_EXISTS_OPTION_FAIL: "fail", T.TABLE_EXISTS_OPTION_APPEND: "append",
                     T.TABLE_EXISTS_OPTION_REPLACE: "replace"}.get(options.if_exists)
        if_missing = {T.TABLE_NOT_EXIST_OPTION_CREATE: "create", T.TABLE_NOT_EXIST_OPTION_FAIL: "fail"}.get(
            options.if_not_exist)
        if if_exists is None or if_missing is None:
            raise ProtocolError("CommandStatementIngest needs table_definition_options (if_exists, if_not_exist)")
        batches, size = [], 0
        for chunk in reader:
            if chunk.data is None:
                continue
            size += chunk.data.nbytes
            if size > self.max_ingest_bytes:
                raise LakelensError(f"the ingest is over flight.max_ingest_bytes ({self.max_ingest_bytes} bytes): "
                                    "send it in parts (mode append)", error_class="INGEST_TOO_LARGE",
                                    sqlstate="54000")
            batches.append(chunk.data)
        data = pa.Table.from_batches(batches, schema=reader.schema)
        name = [p for p in (optional(command, "catalog"), optional(command, "schema"), command.table) if p]
        log.info("flight session %s: ingest of %d rows into %s (%s/%s)", session.key_hex[:8], data.num_rows,
                 ".".join(name), if_exists, if_missing)
        return session.engine.ingest(name, data, if_exists=if_exists, if_missing=if_missing)

    # ------------------------------------------------------------------ actions
    ACTIONS = {
        "CreatePreparedStatement": "prepare a statement (ActionCreatePreparedStatementRequest)",
        "ClosePreparedStatement": "close a prepared statement",
        "CancelFlightInfo": "cancel the statement of a FlightInfo (its Spark jobs)",
        "CancelQuery": "cancel the statement of a FlightInfo (deprecated form)",
        "SetSessionOptions": "set the session's catalog or schema",
        "GetSessionOptions": "the session's catalog and schema",
        "CloseSession": "close the session",
    }

    def list_actions(self, context):
        return list(self.ACTIONS.items())

    @_translate
    def do_action(self, context, action):
        session = self._session(context)
        kind, body = action.type, action.body.to_pybytes() if action.body is not None else b""
        if kind == "CreatePreparedStatement":
            request = unpack(body, "the action body")
            if not isinstance(request, sql_pb.ActionCreatePreparedStatementRequest):
                raise ProtocolError("CreatePreparedStatement takes an ActionCreatePreparedStatementRequest")
            return [flight.Result(pack(self._prepare(session, request.query)))]
        if kind == "ClosePreparedStatement":
            request = unpack(body, "the action body")
            session.prepared.pop(request.prepared_statement_handle, None)
            return []
        if kind in ("CancelFlightInfo", "CancelQuery"):
            if kind == "CancelFlightInfo":
                info = flight_pb.CancelFlightInfoRequest.FromString(body).info
            else:
                info = flight_pb.FlightInfo.FromString(unpack(body, "the action body").info)
            status = self._cancel(session, info)
            if kind == "CancelFlightInfo":
                return [flight.Result(flight_pb.CancelFlightInfoResult(status=status).SerializeToString())]
            return [flight.Result(pack(sql_pb.ActionCancelQueryResult(result=status)))]
        if kind == "SetSessionOptions":
            return [flight.Result(self._set_options(session, flight_pb.SetSessionOptionsRequest.FromString(body)))]
        if kind == "GetSessionOptions":
            result = flight_pb.GetSessionOptionsResult()
            result.session_options["catalog"].string_value = session.engine.current_catalog
            result.session_options["schema"].string_value = session.engine.current_schema
            return [flight.Result(result.SerializeToString())]
        if kind == "CloseSession":
            self.manager.close(session, "closed by client")
            return [flight.Result(flight_pb.CloseSessionResult(
                status=flight_pb.CloseSessionResult.CLOSED).SerializeToString())]
        if kind in ("BeginTransaction", "EndTransaction", "BeginSavepoint", "EndSavepoint"):
            raise LakelensError("this server has no transactions: every statement commits on its own",
                                error_class="NOT_SUPPORTED", sqlstate="0A000")
        raise ProtocolError(f"unknown action {kind[:100]!r}; this server has: {', '.join(self.ACTIONS)}")

    def _prepare(self, session: FlightSession, query: str):
        from lakelens.sql.parameters import count_parameters

        if len(session.prepared) >= self.max_prepared:
            raise LakelensError(f"this session has {len(session.prepared)} open prepared statements, its limit "
                                f"(flight.max_prepared_statements); close some first",
                                error_class="TOO_MANY_PREPARED_STATEMENTS", sqlstate="54000")
        parameters = count_parameters(query)
        schema = session.engine.describe(query)
        handle = secrets.token_bytes(16)
        session.prepared[handle] = Prepared(query, parameters, schema)
        result = sql_pb.ActionCreatePreparedStatementResult(prepared_statement_handle=handle)
        if schema is not None:
            result.dataset_schema = schema.serialize().to_pybytes()
        # The JDBC driver binds setXxx() values through these types: text, which Spark casts where the
        # statement compares it with a number or a date (ADBC sends its own typed batch).
        params = pa.schema([pa.field(f"parameter_{i + 1}", pa.string()) for i in range(parameters)])
        result.parameter_schema = params.serialize().to_pybytes()
        return result

    def _prepared(self, session: FlightSession, handle: bytes) -> Prepared:
        prepared = session.prepared.get(handle)
        if prepared is None:
            raise ProtocolError("unknown prepared statement handle (closed, or of another session)")
        return prepared

    def _cancel(self, session: FlightSession, info) -> int:
        cancelled = flight_pb.CANCEL_STATUS_NOT_CANCELLABLE
        for endpoint in info.endpoint:
            try:
                message = unpack(endpoint.ticket.ticket, "the ticket")
            except ProtocolError:
                continue
            query = self.manager.find_operation(getattr(message, "statement_handle", b""))
            if isinstance(query, FlightQuery) and query.session.user == session.user:
                query.cancel()
                self.manager.close_operation(query)
                cancelled = flight_pb.CANCEL_STATUS_CANCELLED
        return cancelled

    def _set_options(self, session: FlightSession, request) -> bytes:
        from sqlglot import exp

        result = flight_pb.SetSessionOptionsResult()
        for name, value in request.session_options.items():
            kind = value.WhichOneof("option_value")
            if name not in ("catalog", "schema") or kind != "string_value":
                result.errors[name].value = flight_pb.SetSessionOptionsResult.INVALID_NAME if name not in (
                    "catalog", "schema") else flight_pb.SetSessionOptionsResult.INVALID_VALUE
                continue
            ident = exp.to_identifier(value.string_value, quoted=True).sql(dialect="spark")
            try:
                session.engine.sql(f"USE CATALOG {ident}" if name == "catalog" else f"USE SCHEMA {ident}")
            except LakelensError:
                result.errors[name].value = flight_pb.SetSessionOptionsResult.INVALID_VALUE
        return result.SerializeToString()


def _bind(prepared: Prepared, row: list) -> str:
    from lakelens.sql.parameters import bind_parameters

    return bind_parameters(prepared.query, row) if prepared.parameters or row else prepared.query


def _redact(text: str) -> str:
    from lakelens.sql.governance import redact_statement

    return redact_statement(text)
