"""The web console: a single-page application and its JSON API, served beside HiveServer2 and
Flight SQL by `lakelens serve` (docs/console.md).

    app.py       the API (Starlette) and the page's static files
    sessions.py  console sessions and statements, in the gateway's SessionManager
    results.py   results as pages of JSON cells, media cells by URL, downloads

The page itself is a TypeScript application in web/, built by `make setup` into static/.
"""

from __future__ import annotations

import socket
import threading


class ConsoleServer:
    """The console's HTTP server (uvicorn) on its own port and thread."""

    def __init__(self, config, catalog, authenticator, manager, host: str = "127.0.0.1", port: int = 10002,
                 ssl_cert: str | None = None, ssl_key: str | None = None):
        import uvicorn

        from lakelens.engine.console.app import Console, create_app

        self.host = host
        self.tls = bool(ssl_cert)
        self.app = create_app(Console(config, catalog, authenticator, manager, tls=self.tls))
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol
        # says TCP, and with proto 0 every answer on a kept-alive connection waited 40 ms for
        # the client's delayed ACK (measured).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(128)
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", ssl_certfile=ssl_cert,
            ssl_keyfile=ssl_key, timeout_keep_alive=5,
            # Bounds what one server takes on: connections at once, and a request's headers.
            limit_concurrency=config.number("console.max_connections", 256, int, 1),
            h11_max_incomplete_event_size=65536))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    def start(self) -> "ConsoleServer":
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="console-http", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()


__all__ = ["ConsoleServer"]
