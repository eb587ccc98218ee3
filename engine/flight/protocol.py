"""Flight SQL's messages: the generated protobuf modules and the few helpers around them.

A Flight SQL request is a protobuf message packed in a `google.protobuf.Any` and carried as a
FlightDescriptor's `cmd`, a Ticket's bytes or an Action's body; results of actions come back
packed the same way. The messages are generated at build time (`build_protocol.py`)."""

from __future__ import annotations

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError

from lakelens.errors import LakelensError

try:
    from lakelens.engine.flight import Flight_pb2 as flight_pb  # noqa: F401,N811  (used by server.py)
    from lakelens.engine.flight import FlightSql_pb2 as sql_pb  # noqa: N811
except ImportError as e:  # pragma: no cover - a checkout set up without make
    raise LakelensError("the Flight SQL protocol messages are not generated: run `make setup` (or `python -m "
                        "lakelens.engine.flight.build_protocol`)", error_class="FLIGHT_SQL_UNAVAILABLE",
                        sqlstate="58000") from e

# The largest command, ticket or action body a client may send (a statement's text is bounded by
# gateway.max_statement_bytes later; this only keeps a protobuf from being parsed at any size).
MAX_MESSAGE_BYTES = 16 << 20


class ProtocolError(LakelensError):
    """A request that is not a Flight SQL message this server knows."""

    def __init__(self, message: str):
        super().__init__(message, error_class="INVALID_FLIGHT_REQUEST", sqlstate="42000")


def pack(message) -> bytes:
    wrapped = any_pb2.Any()
    wrapped.Pack(message)
    return wrapped.SerializeToString()


def unpack(data: bytes, what: str):
    """The Flight SQL message packed in `data` (a descriptor's cmd, a ticket, an action body)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"{what} of {len(data)} bytes is over the {MAX_MESSAGE_BYTES} byte limit")
    wrapped = any_pb2.Any()
    try:
        wrapped.ParseFromString(data)
    except DecodeError:
        raise ProtocolError(f"{what} is not a Flight SQL message (not a protobuf Any)") from None
    name = wrapped.TypeName()
    if not name.startswith("arrow.flight.protocol.sql."):
        raise ProtocolError(f"{what} is not a Flight SQL message (type {name[:100]!r})")
    cls = getattr(sql_pb, name.rsplit(".", 1)[1], None)
    if cls is None:
        raise ProtocolError(f"unknown Flight SQL message {name.rsplit('.', 1)[1][:100]!r} in {what}")
    message = cls()
    if not wrapped.Unpack(message):
        raise ProtocolError(f"{what}: cannot decode {cls.__name__}")
    return message


def optional(message, field: str) -> str | None:
    """An `optional string` field: None when the client left it out."""
    return getattr(message, field) if message.HasField(field) else None
