"""Who runs a statement: the principal, carried from the frontend through planning to execution.

Embedded use (the `lakelens` CLI, `lakelens.connect()`) runs as the local OS user, who is
trusted with the local filesystem: `PUT` from the laptop's disk, external volumes anywhere.
A gateway session is *remote*: whatever it sends is checked against the server's policy
(docs/security.md) — it never names a server path, calls into the JVM, or changes settings
outside the allow-list.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from .errors import PermissionDenied


@dataclass(frozen=True)
class Principal:
    """A user as the server knows them.

    `auth`: how they were authenticated — `os` (the local OS user, embedded), `password`
    (`--auth plain`), `none` (`--auth none`/`nosasl`: the name the client sent, unverified),
    `proxy` (impersonated by a proxy user). `address`: where they connect from (`host:port`,
    None for local use)."""

    name: str
    auth: str = "os"
    address: str | None = None
    remote: bool = False

    @classmethod
    def local(cls, name: str | None = None) -> "Principal":
        return cls(name or getpass.getuser())


@dataclass(frozen=True)
class AccessPolicy:
    """What the server allows remote principals (local principals are trusted with the disk).

    `external_roots`: directories external volumes and tables may live under (Unity
    Catalog's external locations); `local_paths`: server directories remote `PUT`/`GET`
    may read or write (admins only; empty: refused, use the Files API); `session_settings`:
    Spark settings a remote session may change (exact keys, or prefixes ending in `*`)."""

    external_roots: tuple[str, ...] = ()
    local_paths: tuple[str, ...] = ()
    session_settings: tuple[str, ...] = ()

    def setting_allowed(self, key: str) -> bool:
        key = key.strip().lower()
        for pattern in self.session_settings:
            pattern = pattern.lower()
            if pattern.endswith("*") and key.startswith(pattern[:-1]) or key == pattern:
                return True
        return False


def check_setting(principal: Principal, policy: AccessPolicy, key: str) -> None:
    """Refuse a Spark setting a remote principal may not change (local principals may)."""
    if principal.remote and not policy.setting_allowed(key):
        raise PermissionDenied(
            f"setting {key.strip()!r} cannot be changed by a remote session; allowed: "
            f"{', '.join(policy.session_settings) or 'none'} (an administrator configures the server, "
            "and may extend the list with gateway.session_settings)")
