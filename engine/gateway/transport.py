"""Transports: Thrift binary over TCP (raw or SASL PLAIN, optionally TLS) and Thrift over HTTP.

The binary port accepts both framings a HiveServer2 client may use and tells them apart by
the first byte: a SASL negotiation starts with START (0x01), a raw (`auth=noSasl`) client
with the binary protocol's version byte (0x80). After a PLAIN handshake the stream is
length-prefixed frames, which is exactly Thrift's framed transport. Both paths use the
C-accelerated binary protocol.

Everything a client sends is bounded, before and after it signs in (`GatewayLimits`, the
`gateway.*` keys): request size (HTTP bodies, Thrift strings and containers, framed frames,
the bytes of one message), time (TLS and SASL handshake and first message, idle connections,
HTTP requests), connections (total and per address), and failed sign-ins (limits.py).
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

from thrift.transport.TTransport import (
    HARD_MAX_FRAME_SIZE,
    TBufferedTransport,
    TFramedTransport,
    TMemoryBuffer,
    TTransportBase,
    TTransportException,
)

from lakelens.engine.gateway.limits import GatewayLimits, LoginThrottled
from lakelens.engine.gateway.service import connection

log = logging.getLogger("lakelens.gateway")

SASL_START, SASL_OK, SASL_BAD, SASL_ERROR, SASL_COMPLETE = 1, 2, 3, 4, 5
_MAX_SASL_PAYLOAD = 64 * 1024
_RECV_CHUNK = 1 << 20          # one recv() at most: recv(n) allocates n bytes first
_SEND_CHUNK = 1 << 20          # one sendall() at most: a socket timeout bounds a stall, not a transfer


class AuthError(Exception):
    pass


class SocketIO(TTransportBase):
    """A connected socket as a Thrift transport, replaying bytes already peeked.

    `budget` is how many more bytes the current request may take (None: any): the server
    sets it before each message, so no message, however it is framed, grows past the limit.
    `deadline` (a time.monotonic() value, or None) ends reads that have not finished by then;
    otherwise the socket's own timeout bounds each read."""

    def __init__(self, sock: socket.socket, prefix: bytes = b""):
        self.sock, self._prefix = sock, prefix
        self.budget: int | None = None
        self.deadline: float | None = None

    def isOpen(self):
        return True

    def _recv(self, sz: int) -> bytes:
        if self.budget is not None and self.budget <= 0:
            raise TTransportException(TTransportException.SIZE_LIMIT, "request larger than gateway.max_request_bytes")
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TTransportException(TTransportException.TIMED_OUT, "timed out waiting for the client")
            self.sock.settimeout(left)
        try:
            data = self.sock.recv(min(sz, _RECV_CHUNK))
        except TimeoutError:
            raise TTransportException(TTransportException.TIMED_OUT, "timed out waiting for the client") from None
        if not data:
            raise TTransportException(TTransportException.END_OF_FILE, "connection closed")
        if self.budget is not None:
            self.budget -= len(data)
        return data

    def read(self, sz):
        if self._prefix:
            out, self._prefix = self._prefix[:sz], self._prefix[sz:]
            return out
        return self._recv(sz)

    def readAll(self, sz):
        # TTransportBase.readAll grows a bytes object chunk by chunk: quadratic for large values.
        out = bytearray()
        while len(out) < sz:
            out += self.read(sz - len(out))
        return bytes(out)

    def write(self, buf):
        view = memoryview(buf)
        for i in range(0, len(view), _SEND_CHUNK):
            self.sock.sendall(view[i:i + _SEND_CHUNK])

    def flush(self):
        pass

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    data = b""
    while len(data) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("SASL negotiation timed out")
            sock.settimeout(left)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed during SASL negotiation")
        data += chunk
    return data


def _read_sasl(sock: socket.socket, status: int | None = None, deadline: float | None = None) -> tuple[int, bytes]:
    if status is None:
        status = _recv_exact(sock, 1, deadline)[0]
    (length,) = struct.unpack(">I", _recv_exact(sock, 4, deadline))
    if length > _MAX_SASL_PAYLOAD:
        raise AuthError(f"SASL message of {length} bytes refused")
    return status, _recv_exact(sock, length, deadline)


def _drop(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def _send_sasl(sock: socket.socket, status: int, payload: bytes = b"") -> None:
    sock.sendall(struct.pack(">BI", status, len(payload)) + payload)


def sasl_plain_handshake(sock: socket.socket, authenticator, address: str | None = None,
                         deadline: float | None = None) -> str:
    """Server side of Thrift's SASL negotiation with the PLAIN mechanism; returns the user.
    `address` is the client's, for the sign-in throttle; `deadline` (time.monotonic()) ends
    a negotiation still unfinished then."""
    _, mechanism = _read_sasl(sock, SASL_START, deadline)
    if mechanism.decode(errors="replace").upper() != "PLAIN":
        _send_sasl(sock, SASL_BAD, b"unsupported SASL mechanism " + mechanism[:64] + b" (PLAIN only)")
        raise AuthError(f"unsupported SASL mechanism {mechanism[:64]!r}")
    status, response = _read_sasl(sock, deadline=deadline)
    if status not in (SASL_OK, SASL_COMPLETE):
        raise AuthError(f"unexpected SASL status {status}")
    parts = response.split(b"\x00")
    if len(parts) != 3:
        _send_sasl(sock, SASL_BAD, b"malformed PLAIN response")
        raise AuthError("malformed PLAIN response")
    _, user, password = (p.decode("utf-8", "replace") for p in parts)
    try:
        ok = authenticator.verify(user, password, address)
    except LoginThrottled as e:
        _send_sasl(sock, SASL_BAD, e.message.encode())
        raise AuthError(e.message) from None
    if not ok:
        _send_sasl(sock, SASL_BAD, b"Error validating the login: wrong user name or password")
        raise AuthError(f"authentication failed for user {user!r}")
    _send_sasl(sock, SASL_COMPLETE)
    return user or "anonymous"


class BinaryServer:
    """The binary port: one thread per connection."""

    def __init__(self, host: str, port: int, processor, authenticator, manager, ssl_context=None,
                 limits: GatewayLimits | None = None):
        self.processor, self.authenticator, self.manager = processor, authenticator, manager
        self.ssl_context = ssl_context
        self.limits = limits or GatewayLimits()
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
            refused = self.limits.connections.acquire(addr[0])
            if refused:
                log.warning("connection from %s:%s refused: %s", addr[0], addr[1], refused)
                _drop(conn)
                continue
            try:
                threading.Thread(target=self._handle, args=(conn, addr), daemon=True,
                                 name=f"conn-{addr[0]}:{addr[1]}").start()
            except RuntimeError as e:  # can't start new thread
                self.limits.connections.release(addr[0])
                log.warning("connection from %s:%s refused: %s", addr[0], addr[1], e)
                _drop(conn)

    def _handle(self, conn: socket.socket, addr) -> None:
        try:
            self._serve(conn, addr)
        finally:
            self.limits.connections.release(addr[0])

    def _serve(self, conn: socket.socket, addr) -> None:
        peer = f"{addr[0]}:{addr[1]}"
        opened = []
        connection.peer, connection.transport, connection.user = peer, "binary", None
        connection.on_session_open = opened.append
        with self._lock:
            self._connections.add(conn)
        trans = None
        limits = self.limits
        waiting_for = f"no complete handshake and first request within {limits.handshake_timeout_s:g} s"
        # The TLS handshake and the SASL negotiation, then the first request, must each arrive by then.
        deadline = time.monotonic() + limits.handshake_timeout_s if limits.handshake_timeout_s else None
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(limits.handshake_timeout_s or None)
            if self.ssl_context is not None:
                plain = conn
                conn = self.ssl_context.wrap_socket(conn, server_side=True)
                with self._lock:  # the plain socket is detached now: shutdown() must find the TLS one
                    self._connections.discard(plain)
                    self._connections.add(conn)
            first = _recv_exact(conn, 1, deadline)
            if first[0] == SASL_START:
                connection.user = sasl_plain_handshake(conn, self.authenticator, addr[0], deadline)
                if deadline is not None:  # the password check took server time: the first request gets its own
                    deadline = time.monotonic() + limits.handshake_timeout_s
                io = SocketIO(conn)
                trans = TFramedTransport(io, max_frame_size=min(limits.max_request_bytes, HARD_MAX_FRAME_SIZE))
                kind = "sasl"
            elif first[0] == 0x80:
                io = SocketIO(conn, first)
                trans = TBufferedTransport(io)
                kind = "nosasl"
            else:
                log.warning("connection from %s dropped: not a HiveServer2 client (first byte 0x%02x)", peer,
                            first[0])
                return
            connection.transport = f"binary/{kind}" + ("+tls" if self.ssl_context else "")
            log.info("connection from %s (%s%s)", peer, kind, f", user {connection.user}" if connection.user else "")
            proto = limits.protocol(trans)
            io.deadline = deadline
            io.budget = limits.max_request_bytes
            self.processor.process(proto, proto)
            # Signed in (SASL), or the first message answered (raw): from now on only idling ends it.
            io.deadline = None
            conn.settimeout(limits.idle_timeout_s or None)
            waiting_for = f"nothing received for {limits.idle_timeout_s:g} s"
            while True:
                io.budget = limits.max_request_bytes
                self.processor.process(proto, proto)
        except TTransportException as e:
            if e.type == TTransportException.TIMED_OUT:
                log.info("connection from %s closed: %s", peer, waiting_for)
            elif e.type in (TTransportException.SIZE_LIMIT, TTransportException.NEGATIVE_SIZE):
                log.warning("connection from %s dropped: %s (gateway.max_request_bytes = %d)", peer, e.message,
                            limits.max_request_bytes)
        except (ConnectionError, EOFError):
            pass
        except TimeoutError:  # the TLS handshake, the SASL negotiation, a reply the client does not read
            log.info("connection from %s closed: %s", peer, waiting_for)
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

    def setup(self):
        # Every read and write of this connection (TLS handshake, request line, headers, body,
        # reply) that stalls this long ends it: StreamRequestHandler applies `timeout`.
        self.timeout = self.server.gateway.limits.request_timeout_s or None
        super().setup()

    def _reply(self, code: int, body: bytes, content_type="application/x-thrift", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        # In slices: the socket timeout then bounds a stalled client, not a long transfer.
        view = memoryview(body)
        for i in range(0, len(view), _SEND_CHUNK):
            self.wfile.write(view[i:i + _SEND_CHUNK])

    def _refuse(self, code: int, text: str, extra=None):
        """Reply without reading the request's body, and close the connection: what is left of
        the body must not be taken for the next request."""
        self.close_connection = True
        self._reply(code, text.encode(), "text/plain", {**(extra or {}), "Connection": "close"})

    def _authenticate(self) -> str | None:
        """The user of this request, from its headers alone; None after refusing it (401, or
        429 while sign-ins are throttled)."""
        gateway = self.server.gateway
        try:
            user = gateway.http_user(self.headers.get("Authorization"), self.client_address[0])
        except LoginThrottled as e:
            self._refuse(429, e.message, {"Retry-After": str(e.retry_after_s)})
            return None
        if user is None:
            self._refuse(401, "Unauthorized: wrong user name or password",
                         {"WWW-Authenticate": 'Basic realm="lakelens"'})
        return user

    def do_POST(self):
        gateway = self.server.gateway
        if self.path.split("?")[0].rstrip("/") not in gateway.http_paths:
            self._refuse(404, f"no Thrift service at {self.path[:200]}; use httpPath={gateway.http_path}")
            return
        # Credentials first: nothing of the body is read for a client that has not signed in.
        user = self._authenticate()
        if user is None:
            return
        limit = gateway.limits.max_request_bytes
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._refuse(411, "a Thrift request needs a Content-Length (chunked bodies are not accepted)")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(400, "bad Content-Length")
            return
        if length > limit:
            log.warning("HTTP request from %s refused: %d bytes (gateway.max_request_bytes = %d)",
                        self.client_address[0], length, limit)
            self._refuse(413, f"request of {length} bytes refused: a Thrift request may have at most {limit} "
                              f"bytes (gateway.max_request_bytes)")
            return
        body = self.rfile.read(length) if length else b""
        connection.peer = f"{self.client_address[0]}:{self.client_address[1]}"
        connection.transport = "http" + ("+tls" if gateway.ssl_context else "")
        connection.user, connection.on_session_open = user, None
        itrans, otrans = TMemoryBuffer(body), TMemoryBuffer()
        try:
            gateway.processor.process(gateway.limits.protocol(itrans), gateway.limits.protocol(otrans))
        except Exception as e:
            log.warning("HTTP request from %s dropped: %s: %s", connection.peer, type(e).__name__, e)
            self._reply(400, b"malformed Thrift request", "text/plain")
            return
        self._reply(200, otrans.getvalue())

    def do_GET(self):
        files = getattr(self.server.gateway, "files", None)
        if files is not None and self.path.startswith("/api/2.0/fs/"):
            files.do_GET(self)  # the Files API (engine/gateway/files.py)
            return
        self._reply(405, b"HiveServer2 Thrift over HTTP: POST to " + self.server.gateway.http_path.encode(),
                    "text/plain")

    def do_HEAD(self):
        files = getattr(self.server.gateway, "files", None)
        if files is not None and self.path.startswith("/api/2.0/fs/"):
            files.do_HEAD(self)
            return
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self):
        files = getattr(self.server.gateway, "files", None)
        if files is not None and self.path.startswith("/api/2.0/fs/"):
            files.do_PUT(self)
            return
        self.close_connection = True  # the body is not read
        self._reply(405, b"PUT is only for the Files API (/api/2.0/fs/files/Volumes/...)", "text/plain")

    def do_DELETE(self):
        files = getattr(self.server.gateway, "files", None)
        if files is not None and self.path.startswith("/api/2.0/fs/"):
            files.do_DELETE(self)
            return
        self._reply(405, b"DELETE is only for the Files API (/api/2.0/fs/...)", "text/plain")


class _ThreadingHttp(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog (socketserver's default is 5)

    def process_request(self, request, client_address):
        refused = self.gateway.limits.connections.acquire(client_address[0])
        if refused:
            log.warning("HTTP connection from %s:%s refused: %s", client_address[0], client_address[1], refused)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.gateway.limits.connections.release(client_address[0])
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.gateway.limits.connections.release(client_address[0])

    def get_request(self):
        conn, addr = super().get_request()
        if self.gateway.ssl_context is not None:
            # The handshake runs on the handler's thread, not the accept loop's.
            conn = self.gateway.ssl_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr


class HttpServer:
    """Thrift over HTTP (`transportMode=http;httpPath=cliservice`) with HTTP Basic auth."""

    def __init__(self, host: str, port: int, processor, authenticator, http_path="cliservice", ssl_context=None,
                 limits: GatewayLimits | None = None):
        self.processor, self.authenticator, self.ssl_context = processor, authenticator, ssl_context
        self.limits = limits or GatewayLimits()
        self.http_path = "/" + http_path.strip("/")
        self.http_paths = {self.http_path, ""}
        self.server = _ThreadingHttp((host, port), _HttpHandler)
        self.server.gateway = self
        self.port = self.server.server_address[1]
        self._verified: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def http_user(self, header: str | None, address: str | None = None) -> str | None:
        """The user of a request, or None when the credentials are wrong; raises LoginThrottled
        while sign-ins for that user or from `address` (the client's) are throttled. Every HTTP
        request carries the credentials: a verified header is remembered (by digest) for 5
        minutes, and such requests are not throttled."""
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
        if not self.authenticator.verify(user, password, address):
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
