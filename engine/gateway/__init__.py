"""The HiveServer2-compatible gateway (DESIGN.md: transport → Thrift service → session manager
→ operation manager → operations → engine).

    transport.py   binary (raw / SASL PLAIN, TLS) and HTTP transports
    service.py     the TCLIService RPCs
    sessions.py    gateway sessions and the handle registry
    operations.py  ExecuteStatement and the metadata operations, with their state machine
    state.py       operation states and allowed transitions
    metadata.py    GetTables/GetColumns/… answered from the catalog in bulk
    rowset.py      Arrow batches → Thrift row sets
    server.py      `lakelens serve`
"""

from .server import AUTH_MODES, GatewayServer

__all__ = ["AUTH_MODES", "GatewayServer"]
