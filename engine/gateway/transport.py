"""Transports: Thrift binary over TCP (raw or SASL PLAIN, optionally TLS) and Thrift over HTTP.

The binary port accepts both framings a HiveServer2 client may use and tells them apart by
the first byte: a SASL negotiation starts with START (0x01), a raw (`auth=noSasl`) client
with the binary protocol's version byte (0x80). After a PLAIN handshake the stream is
length-prefixed frames, which is exactly Thrift's framed transport. Both paths use the
C-accelerated binary protocol.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
from thrift.transport.TTransport import (
    TBufferedTransport,
    TFramedTransport,
    TMemoryBuffer,
    TTransportBase,
    TTransportException,
)

from lakelens.engine.gateway.service import connection

log = logging.getLogger("lakelens.gateway")

SASL_START, SASL_OK, SASL_BAD, SASL_ERROR, SASL_COMPLETE = 1, 2, 3, 4, 5
_MAX_SASL_PAYLOAD = 64 * 1024
_STRING_LIMIT = 512 << 20      # a single string or binary value in a request
_CONTAINER_LIMIT = 10_000_000  # elements of one list or map in a request


def _protocol(trans):
    return TBinaryProtocolAccelerated(trans, string_length_limit=_STRING_LIMIT,
                                      container_length_limit=_CONTAINER_LIMIT)


class AuthError(Exception):
    pass


class SocketIO(TTransportBase):
    """A connected socket as a Thrift transport, replaying bytes already peeked."""

    def __init__(self, sock: socket.socket, prefix: bytes = b""):
        self.sock, self._prefix = sock, prefix

    def isOpen(self):
        return True

    def read(self, sz):
        if self._prefix:
            out, self._prefix = self._prefix[:sz], self._prefix[sz:]
            return out
        data = self.sock.recv(sz)
        if not data:
            raise TTransportException(TTransportException.END_OF_FILE, "connection closed")
        return data

    def write(self, buf):
        self.sock.sendall(buf)

    def flush(self):
        pass

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed during SASL negotiation")
        data += chunk
    return data


def _read_sasl(sock: socket.socket, status: int | None = None) -> tuple[int, bytes]:
    if status is None:
        status = _recv_exact(sock, 1)[0]
    (length,) = struct.unpack(">I", _recv_exact(sock, 4))
    if length > _MAX_SASL_PAYLOAD:
        raise AuthError(f"SASL message of {length} bytes refused")
    return status, _recv_exact(sock, length)


def _send_sasl(sock: socket.socket, status: int, payload: bytes = b"") -> None:
    sock.sendall(struct.pack(">BI", status, len(payload)) + payload)


def sasl_plain_handshake(sock: socket.socket, authenticator) -> str:
    """Server side of Thrift's SASL negotiation with the PLAIN mechanism; returns the user."""
    _, mechanism = _read_sasl(sock, SASL_START)
    if mechanism.decode(errors="replace").upper() != "PLAIN":
        _send_sasl(sock, SASL_BAD, b"unsupported SASL mechanism " + mechanism[:64] + b" (PLAIN only)")
        raise AuthError(f"unsupported SASL mechanism {mechanism[:64]!r}")
    status, response = _read_sasl(sock)
    if status not in (SASL_OK, SASL_COMPLETE):
        raise AuthError(f"unexpected SASL status {status}")
    parts = response.split(b"\x00")
    if len(parts) != 3:
        _send_sasl(sock, SASL_BAD, b"malformed PLAIN response")
        raise AuthError("malformed PLAIN response")
    _, user, password = (p.decode("utf-8", "replace") for p in parts)
    if not authenticator.verify(user, password):
        _send_sasl(sock, SASL_BAD, b"Error validating the login: wrong user name or password")
        raise AuthError(f"authentication failed for user {user!r}")
    _send_sasl(sock, SASL_COMPLETE)
    return user or "anonymous"


class BinaryServer:
    """The binary port: one thread per connection."""

    def __init__(self, host: str, port: int, processor, authenticator, manager, ssl_context=None):
        self.processor, self.authenticator, self.manager = processor, authenticator, manager
        self.ssl_context = ssl_context
        self.sock = socket.create_server((host, port), reuse_port=False, backlog=128)
        self.port = self.sock.getsockname()[1]
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def serve_forever(self) -> None:
        while not self._stopping:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                if self._stopping:
                    return
                continue
            threading.Thread(target=self._handle, args=(conn, addr), daemon=True,
                             name=f"conn-{addr[0]}:{addr[1]}").start()

    def _handle(self, conn: socket.socket, addr) -> None:
        peer = f"{addr[0]}:{addr[1]}"
        opened = []
        connection.peer, connection.transport, connection.user = peer, "binary", None
        connection.on_session_open = opened.append
        with self._lock:
            self._connections.add(conn)
        trans = None
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                conn = self.ssl_context.wrap_socket(conn, server_side=True)
            first = conn.recv(1)
            if not first:
                return
            if first[0] == SASL_START:
                connection.user = sasl_plain_handshake(conn, self.authenticator)
                trans = TFramedTransport(SocketIO(conn))
                kind = "sasl"
            elif first[0] == 0x80:
                trans = TBufferedTransport(SocketIO(conn, first))
                kind = "nosasl"
            else:
                log.warning("connection from %s dropped: not a HiveServer2 client (first byte 0x%02x)", peer,
                            first[0])
                return
            connection.transport = f"binary/{kind}" + ("+tls" if self.ssl_context else "")
            log.info("connection from %s (%s%s)", peer, kind, f", user {connection.user}" if connection.user else "")
            proto = _protocol(trans)
            while True:
                self.processor.process(proto, proto)
        except (TTransportException, ConnectionError, EOFError):
            pass
        except AuthError as e:
            log.warning("connection from %s: %s", peer, e)
        except ssl.SSLError as e:
            log.warning("connection from %s: TLS failed: %s", peer, e)
        except Exception as e:  # garbage after a plausible first byte, protocol errors
            log.warning("connection from %s dropped: %s: %s", peer, type(e).__name__, e)
        finally:
            with self._lock:
                self._connections.discard(conn)
            try:
                conn.close()
            except OSError:
                pass
            # A client that went away takes its sessions (and their running jobs) with it.
            for session in opened:
                self.manager.close(session, "closed: client disconnected")
            if opened or trans is not None:
                log.info("connection from %s closed", peer)

    def shutdown(self) -> None:
        self._stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lakelens"

    def log_message(self, fmt, *args):  # requests are logged per statement, not per POST
        pass

    def _reply(self, code: int, body: bytes, content_type="application/x-thrift", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        gateway = self.server.gateway
        if self.path.split("?")[0].rstrip("/") not in gateway.http_paths:
            self._reply(404, f"no Thrift service at {self.path}; use httpPath={gateway.http_path}".encode(),
                        "text/plain")
            return
        user = gateway.http_user(self.headers.get("Authorization"))
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _STRING_LIMIT:
            self.close_connection = True
            self._reply(413 if length > 0 else 400, b"bad Content-Length", "text/plain")
            return
        body = self.rfile.read(length) if length else b""
        if user is None:
            self._reply(401, b"Unauthorized: wrong user name or password", "text/plain",
                        {"WWW-Authenticate": 'Basic realm="lakelens"'})
            return
        connection.peer = f"{self.client_address[0]}:{self.client_address[1]}"
        connection.transport = "http" + ("+tls" if gateway.ssl_context else "")
        connection.user, connection.on_session_open = user, None
        itrans, otrans = TMemoryBuffer(body), TMemoryBuffer()
        try:
            gateway.processor.process(_protocol(itrans), _protocol(otrans))
        except Exception as e:
            log.warning("HTTP request from %s dropped: %s: %s", connection.peer, type(e).__name__, e)
            self._reply(400, b"malformed Thrift request", "text/plain")
            return
        self._reply(200, otrans.getvalue())

    def do_GET(self):
        self._reply(405, b"HiveServer2 Thrift over HTTP: POST to " + self.server.gateway.http_path.encode(),
                    "text/plain")


class _ThreadingHttp(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog (socketserver's default is 5)

    def get_request(self):
        conn, addr = super().get_request()
        if self.gateway.ssl_context is not None:
            # The handshake runs on the handler's thread, not the accept loop's.
            conn = self.gateway.ssl_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr


class HttpServer:
    """Thrift over HTTP (`transportMode=http;httpPath=cliservice`) with HTTP Basic auth."""

    def __init__(self, host: str, port: int, processor, authenticator, http_path="cliservice", ssl_context=None):
        self.processor, self.authenticator, self.ssl_context = processor, authenticator, ssl_context
        self.http_path = "/" + http_path.strip("/")
        self.http_paths = {self.http_path, ""}
        self.server = _ThreadingHttp((host, port), _HttpHandler)
        self.server.gateway = self
        self.port = self.server.server_address[1]
        self._verified: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def http_user(self, header: str | None) -> str | None:
        """The user of a request, or None when the credentials are wrong. Every HTTP request
        carries the credentials: a verified header is remembered (by digest) for 5 minutes."""
        user, password = "anonymous", ""
        if header and header.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except Exception:
                return None
        elif self.authenticator.requires_password:
            return None
        digest = hashlib.sha256((header or "").encode()).digest()
        now = time.monotonic()
        with self._lock:
            hit = self._verified.get(digest)
        if hit and now - hit[1] < 300:
            return hit[0]
        if not self.authenticator.verify(user, password):
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[digest] = (user or "anonymous", now)
        return user or "anonymous"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.5)

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
