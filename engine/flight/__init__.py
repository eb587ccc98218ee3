"""The Arrow Flight SQL frontend (docs/architecture.md): a third frontend on the engine's one
statement path, beside HiveServer2, with the gateway's sessions, users and limits. Like the
gateway it imports no pyspark.

    build_protocol.py  generates Flight_pb2 / FlightSql_pb2 from Arrow's .proto files (make setup)
    protocol.py        the generated messages, Any packing
    server.py          FlightSqlServer: sessions, queries, DoGet streams, DoPut, actions
    metadata.py        GetCatalogs/GetTables/GetSqlInfo/… in Flight SQL's result schemas
"""

from __future__ import annotations


def tls_pair(cert: str | None, key: str | None):
    """The certificate and key files as pyarrow.flight's CertKeyPair, or None (no TLS)."""
    if not cert:
        return None
    import pyarrow.flight as flight
    from pathlib import Path

    return flight.CertKeyPair(cert=Path(cert).read_bytes(), key=Path(key).read_bytes())


def __getattr__(name: str):
    if name == "FlightSqlServer":  # imported on use: it needs the generated protocol modules
        from lakelens.engine.flight.server import FlightSqlServer

        return FlightSqlServer
    raise AttributeError(name)


__all__ = ["FlightSqlServer", "tls_pair"]
