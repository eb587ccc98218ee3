"""`lakelens serve`: the gateway's parts put together, started and stopped cleanly."""

from __future__ import annotations

import logging
import ssl
import threading

from lakelens.catalog import InvalidArgument, Principal

from lakelens.engine.runtime import Runtime
from lakelens.engine.session import catalog_for
from lakelens.engine.gateway.service import Processor, ThriftService
from lakelens.engine.gateway.sessions import SessionManager
from lakelens.engine.gateway.limits import GatewayLimits, LoginThrottle, LoginThrottled
from lakelens.engine.gateway.transport import BinaryServer, HttpServer

log = logging.getLogger("lakelens.gateway")

AUTH_MODES = ("nosasl", "none", "plain")
MAX_USER_NAME = 255


class Authenticator:
    """Who may connect. `none`/`nosasl`: anyone, as the user they name (HiveServer2's NONE).
    `plain`: a user of the catalog with their password (`lakelens user add`).

    Password checks are throttled per user and per client address (`LoginThrottle`: after
    `gateway.login_failures_before_delay` failures in a row, growing waits up to
    `gateway.login_max_delay_s` during which attempts are refused without hashing), and at
    most two run at once: each is a deliberately expensive scrypt."""

    HASHES_AT_ONCE = 2

    def __init__(self, mode: str, catalog, proxy_users: set[str], config=None):
        if mode not in AUTH_MODES:
            raise InvalidArgument(f"--auth must be one of {', '.join(AUTH_MODES)}, not {mode!r}")
        self.mode, self.catalog, self.proxy_users = mode, catalog, proxy_users
        free, max_delay = 3, 300.0
        if config is not None:
            free = config.number("gateway.login_failures_before_delay", 3, int, 1)
            max_delay = config.number("gateway.login_max_delay_s", 300.0, float, 0)
        self.throttle = LoginThrottle(free, max_delay)
        self._hashing = threading.BoundedSemaphore(self.HASHES_AT_ONCE)

    @property
    def requires_password(self) -> bool:
        return self.mode == "plain"

    def verify(self, user: str, password: str, address: str | None = None) -> bool:
        """Whether `password` is `user`'s. Raises LoginThrottled, without checking it, while
        that user or `address` (the client's) has failed too often lately."""
        if not self.requires_password:
            return True
        try:
            self.throttle.check(user, address)
            with self._hashing:
                self.throttle.check(user, address)  # failures recorded while this one waited its turn
                ok = self.catalog.check_password(user, password)
        except LoginThrottled as e:
            self.catalog.audit((user or "")[:256], "login", status=429, error=e.message, address=address)
            raise
        if ok:
            self.throttle.succeeded(user, address)
        else:
            self.throttle.failed(user, address)
            log.warning("failed sign-in for user %r from %s", (user or "")[:256], address or "an unknown address")
            self.catalog.audit((user or "")[:256], "login", status=401, error="wrong user name or password",
                               address=address)
        return ok

    def principal(self, transport_user, req_user, req_password, proxy_user, peer: str) -> Principal:
        """Who a new session runs as: the user the transport signed in (SASL, HTTP), else the
        OpenSession credentials (raw transport), or the user they impersonate; always remote."""
        auth = "password" if self.requires_password else "none"
        if transport_user is None:
            # Raw binary transport: the credentials come in OpenSession, if at all.
            address = peer.rsplit(":", 1)[0] if peer != "?" else None
            if self.requires_password and not self.verify(req_user or "", req_password or "", address):
                raise InvalidArgument("authentication failed: wrong user name or password")
            transport_user = req_user or "anonymous"
        user = transport_user
        if proxy_user and proxy_user != transport_user:
            if self.requires_password and transport_user not in self.proxy_users:
                raise InvalidArgument(f"user {transport_user} may not impersonate {proxy_user} "
                                      f"(allow it with gateway.proxy_users)")
            user, auth = proxy_user, "proxy"
        if len(user) > MAX_USER_NAME:  # names are logged, counted per user and recorded as owners
            raise InvalidArgument(f"user names have at most {MAX_USER_NAME} characters")
        return Principal(user, auth, peer, remote=True)


def fair_pools() -> str:
    from importlib import resources

    return str(resources.files("lakelens.conf").joinpath("fairscheduler.xml"))


def ssl_context(cert: str | None, key: str | None):
    if not cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class GatewayServer:
    def __init__(self, config, host="127.0.0.1", port=10000, http_port: int | None = 10001, auth="none",
                 ssl_cert=None, ssl_key=None, http_path="cliservice", warm_spark=True,
                 flight_port: int | None = None, console_port: int | None = None):
        # Many users share one Spark: schedule their jobs fairly (conf/fairscheduler.xml). A
        # scheduler is chosen when Spark starts: a gateway opened in a process whose Spark
        # already runs (embedded use, tests) shares that Spark as it is.
        if Runtime.get().spark_started:
            if "spark.scheduler.mode" not in config.values:
                log.warning("Spark already runs in this process: the gateway's sessions share its scheduler")
        else:
            for key, value in (("spark.scheduler.mode", "FAIR"), ("spark.scheduler.allocation.file", fair_pools())):
                if key not in config.values:
                    config.values[key], config.sources[key] = value, "gateway"
        self.config = config
        self.catalog = catalog_for(config)
        if auth == "plain" and not self.catalog.has_admin():
            # Never a default password: the first administrator is made on the server's machine.
            raise InvalidArgument("--auth plain needs an administrator, and this catalog has none: create one "
                                  "with `lakelens user add admin --admin` (it asks for the password) and start "
                                  "the server again", error_class="NO_ADMINISTRATOR", sqlstate="28000")
        proxies = set(config.list("gateway.proxy_users"))
        self.authenticator = Authenticator(auth, self.catalog, proxies, config)
        self.manager = SessionManager(config)
        self.service = ThriftService(self.manager, self.authenticator, config)
        self.processor = Processor(self.service)
        tls = ssl_context(ssl_cert, ssl_key)
        self.host, self.auth, self.tls = host, auth, tls is not None
        limits = GatewayLimits.from_config(config)  # one count of connections for both ports
        self.binary = BinaryServer(host, port, self.processor, self.authenticator, self.manager, tls, limits)
        self.http = (HttpServer(host, http_port, self.processor, self.authenticator, http_path, tls, limits)
                     if http_port is not None else None)
        if self.http is not None:
            from lakelens.engine.gateway.files import FilesApi

            self.http.files = FilesApi(config, self.catalog, auth == "plain")  # /api/2.0/fs/ on the HTTP port
        self.flight = None
        if flight_port is not None:
            # Arrow Flight SQL beside HiveServer2: the same sessions, users and limits (engine/flight/).
            from lakelens.engine.flight import FlightSqlServer, tls_pair

            self.flight = FlightSqlServer(config, self.manager, self.authenticator, host, flight_port,
                                          tls_pair(ssl_cert, ssl_key))
        self.console = None
        if console_port is not None:
            # The web console: its JSON API and page, on the same sessions and users (engine/console/).
            from lakelens.engine.console import ConsoleServer

            self.console = ConsoleServer(config, self.catalog, self.authenticator, self.manager, host, console_port,
                                         ssl_cert, ssl_key)
        self.warm_spark = warm_spark
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return self.binary.port

    @property
    def http_port(self) -> int | None:
        return self.http.port if self.http else None

    @property
    def flight_port(self) -> int | None:
        return self.flight.port if self.flight else None

    @property
    def console_url(self) -> str | None:
        return self.console.url if self.console else None

    def start(self) -> "GatewayServer":
        servers = [self.binary] + ([self.http] if self.http else [])
        for s in servers:
            t = threading.Thread(target=s.serve_forever, daemon=True, name=f"gateway-{type(s).__name__}")
            t.start()
            self._threads.append(t)
        if self.console:
            self.console.start()
        if self.warm_spark:
            # Start Spark now, off the accept loop: metadata calls answer at once, the first
            # query does not pay the JVM start.
            threading.Thread(target=self._warm, daemon=True, name="spark-warmup").start()
        threading.Thread(target=self._reconcile, daemon=True, name="catalog-reconcile").start()
        log.info("lakelens gateway listening: binary %s:%d%s%s%s, auth %s%s", self.host, self.port,
                 f", http {self.host}:{self.http_port}/{self.http.http_path.strip('/')}" if self.http else "",
                 f", flight sql {self.host}:{self.flight_port}" if self.flight else "",
                 f", console {self.console_url}" if self.console else "",
                 self.auth, ", TLS" if self.tls else "")
        return self

    def _warm(self) -> None:
        try:
            Runtime.get().spark_root(self.config)
            log.info("Spark is ready")
        except Exception as e:  # reported again to the first statement that needs Spark
            log.error("Spark failed to start: %s", e)

    def _reconcile(self) -> None:
        """Every catalog.reconcile_interval_s: undo what processes killed meanwhile left in the
        catalog (the process did it once when it opened the catalog; docs/security.md)."""
        interval = self.config.number("catalog.reconcile_interval_s", 600.0, float, 1)
        max_age = self.config.number("catalog.reconcile_max_age_s", 86400.0, float, 0)
        while not self._stopped.wait(interval):
            try:
                for line in self.catalog.reconcile(max_age):
                    log.warning("catalog reconciliation: %s", line)
            except Exception as e:  # the metastore may be briefly unreachable; try again later
                log.error("catalog reconciliation failed: %s", e)

    def wait(self) -> None:
        self._stopped.wait()

    def shutdown(self) -> None:
        if self._stopped.is_set():
            return
        log.info("shutting down: cancelling operations and closing sessions")
        self.binary.shutdown()
        if self.http:
            self.http.shutdown()
        if self.flight:
            self.flight.shutdown()
        if self.console:
            self.console.shutdown()
        self.manager.shutdown()
        self._stopped.set()
        log.info("gateway stopped")
