"""The HiveServer2-compatible gateway (docs/architecture.md: transport → Thrift service → session
manager → operation manager → operations → engine). It translates the protocol: statements run
through the engine's `Session.submit`, and nothing here imports pyspark.

    transport.py   binary (raw / SASL PLAIN, TLS) and HTTP transports
    service.py     the TCLIService RPCs
    sessions.py    gateway sessions and the handle registry
    operations.py  ExecuteStatement (an adapter to an engine Execution) and the metadata operations
    metadata.py    GetTables/GetColumns/… answered from the catalog in bulk
    rowset.py      Arrow batches → Thrift row sets
    server.py      `lakelens serve`
"""

from lakelens.engine.gateway.server import AUTH_MODES, GatewayServer

__all__ = ["AUTH_MODES", "GatewayServer"]
