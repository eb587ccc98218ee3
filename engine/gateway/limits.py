"""What the gateway accepts from a client: sizes, times, connections and failed sign-ins.

`GatewayLimits` holds the `gateway.*` keys (docs/security.md, "Limits") and is shared by both
ports; `ConnectionLimiter` counts open connections in total and per address; `LoginThrottle`
refuses sign-ins after repeated failures, per user and per address, with growing waits.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated

from lakelens.errors import LakelensError

# Elements of one list or map in a request. No TCLIService request needs many (the largest
# are OpenSession's configuration and ExecuteStatement's confOverlay), and each element costs
# a Python object whatever few bytes it takes on the wire.
_CONTAINER_LIMIT = 1_000_000


@dataclass
class GatewayLimits:
    """What the gateway accepts from a client: the `gateway.*` keys of conf/lakelens.toml.
    Timeouts of 0 mean none."""

    max_request_bytes: int = 64 << 20        # one Thrift request: HTTP body, frame, message, string
    request_timeout_s: float = 60.0          # HTTP: a read or write that stalls this long ends it
    handshake_timeout_s: float = 30.0        # binary: TLS + SASL + first message within this
    idle_timeout_s: float = 3600.0           # binary, signed in: nothing received this long
    max_connections: int = 512               # open binary + HTTP connections
    max_connections_per_address: int = 64
    connections: "ConnectionLimiter" = field(default=None, repr=False)  # shared by both ports

    def __post_init__(self):
        if self.connections is None:
            self.connections = ConnectionLimiter(self.max_connections, self.max_connections_per_address)

    @classmethod
    def from_config(cls, config) -> "GatewayLimits":
        return cls(
            max_request_bytes=config.number("gateway.max_request_bytes", 64 << 20, int, 1024),
            request_timeout_s=config.number("gateway.request_timeout_s", 60.0, float, 0),
            handshake_timeout_s=config.number("gateway.handshake_timeout_s", 30.0, float, 0),
            idle_timeout_s=config.number("gateway.session_idle_timeout_s", 3600.0, float, 0),
            max_connections=config.number("gateway.max_connections", 512, int, 1),
            max_connections_per_address=config.number("gateway.max_connections_per_address", 64, int, 1),
        )

    def protocol(self, trans):
        """The accelerated binary protocol, refusing a string or container larger than a request
        may be before reading it."""
        return TBinaryProtocolAccelerated(trans, string_length_limit=self.max_request_bytes,
                                          container_length_limit=min(_CONTAINER_LIMIT, self.max_request_bytes))


class ConnectionLimiter:
    """Open connections, in total and per client address."""

    def __init__(self, max_total: int, max_per_address: int):
        self.max_total, self.max_per_address = max_total, max_per_address
        self._per_address: dict[str, int] = {}
        self._total = 0
        self._lock = threading.Lock()

    def acquire(self, address: str) -> str | None:
        """Count a new connection from `address`; None when it may stay, else why it may not."""
        with self._lock:
            if self._total >= self.max_total:
                return f"{self._total} connections are open (gateway.max_connections = {self.max_total})"
            mine = self._per_address.get(address, 0)
            if mine >= self.max_per_address:
                return (f"{mine} connections are open from this address "
                        f"(gateway.max_connections_per_address = {self.max_per_address})")
            self._total += 1
            self._per_address[address] = mine + 1
            return None

    def release(self, address: str) -> None:
        with self._lock:
            self._total -= 1
            left = self._per_address.get(address, 1) - 1
            if left > 0:
                self._per_address[address] = left
            else:
                self._per_address.pop(address, None)

    @property
    def open(self) -> int:
        with self._lock:
            return self._total


class LoginThrottled(LakelensError):
    """A sign-in refused without checking the password: too many recent failures."""

    error_class = "LOGIN_THROTTLED"
    sqlstate = "28000"

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LoginThrottle:
    """Consecutive failed sign-ins per user and per client address. After `free` failures in a
    row, the next attempts for that user, or from that address, are refused without hashing
    anything for 2**(failures - free) seconds (at most `max_delay_s`) after the last failure;
    a success clears the user's and the address's count. Each table keeps the `max_entries`
    most recently failed keys, and a count is forgotten after `forget_s` without failures."""

    def __init__(self, free: int = 3, max_delay_s: float = 300.0, max_entries: int = 10_000,
                 forget_s: float = 3600.0):
        self.free, self.max_delay_s, self.max_entries, self.forget_s = free, max_delay_s, max_entries, forget_s
        self._tables: dict[str, OrderedDict[str, list]] = {"user": OrderedDict(), "address": OrderedDict()}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str | None, address: str | None):
        if user is not None:
            yield "user", (user or "").strip().lower()[:256]
        if address:
            yield "address", address

    def check(self, user: str | None, address: str | None) -> None:
        """Raise LoginThrottled when the user or the address must wait."""
        now = time.monotonic()
        with self._lock:
            for kind, key in self._keys(user, address):
                entry = self._tables[kind].get(key)
                if entry is not None and entry[1] > now:
                    wait = max(1, math.ceil(entry[1] - now))
                    who = f"for user {user or '(empty)'}" if kind == "user" else f"from address {address}"
                    raise LoginThrottled(f"too many failed sign-ins {who}; try again in {wait} s", wait)

    def failed(self, user: str | None, address: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            for kind, key in self._keys(user, address):
                table = self._tables[kind]
                entry = table.pop(key, None)
                if entry is None or now - entry[2] > self.forget_s:
                    entry = [0, 0.0, now]
                entry[0] += 1
                entry[2] = now
                if entry[0] >= self.free:
                    entry[1] = now + min(self.max_delay_s, 2.0 ** min(entry[0] - self.free, 30))
                table[key] = entry          # most recent last
                while len(table) > self.max_entries:
                    table.popitem(last=False)

    def succeeded(self, user: str | None, address: str | None) -> None:
        with self._lock:
            for kind, key in self._keys(user, address):
                self._tables[kind].pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(t) for t in self._tables.values())
