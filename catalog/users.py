"""Users who may sign in to the gateway with a password (`--auth plain`).

Passwords are never stored: each user row holds a random salt and the scrypt hash of the
password with it, and checks compare hashes in constant time. The hash column names its
parameters (`scrypt$<log2 N>$<r>$<p>$<hex>`), so the cost can rise without invalidating the
hashes already stored; a bare hex hash is one made before that, with N=2**14, r=8, p=1.
"""

from __future__ import annotations

import hashlib
import hmac
import os

# OWASP's current scrypt recommendation (Password Storage Cheat Sheet): N=2**17, r=8, p=1,
# 128 MiB and ~0.5 s per check here. Sign-in happens once per session (HTTP clients' verified
# credentials are remembered), and the gateway runs at most two checks at a time.
_LOG_N, _R, _P = 17, 8, 1
_LEGACY = (14, 8, 1)          # bare hex hashes
_MAX_LOG_N = 20               # what a stored hash may ask for (1 GiB at r=8)
_DKLEN = 32


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    n = 1 << log_n
    # scrypt needs 128 * r * N bytes per lane (and p lanes may run in turn): leave room.
    maxmem = max(256 << 20, 2 * 128 * r * n * max(p, 1))
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_DKLEN)


def hash_password(password: str, salt: bytes | None = None) -> tuple[str, str]:
    """(salt hex, stored hash) for a password, at the current cost; a new random salt unless
    one is given. The stored hash is `scrypt$17$8$1$<hex>`."""
    salt = salt if salt is not None else os.urandom(16)
    digest = _scrypt(password, salt, _LOG_N, _R, _P)
    return salt.hex(), f"scrypt${_LOG_N}${_R}${_P}${digest.hex()}"


def _parameters(stored: str) -> tuple[tuple[int, int, int], str] | None:
    """((log2 N, r, p), digest hex) of a stored hash; None when it is not one."""
    if not stored.startswith("scrypt$"):
        return _LEGACY, stored
    parts = stored.split("$")
    if len(parts) != 5 or not all(x.isdigit() for x in parts[1:4]):
        return None
    log_n, r, p = (int(x) for x in parts[1:4])
    if not (1 <= log_n <= _MAX_LOG_N and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    return (log_n, r, p), parts[4]


def password_matches(password: str, salt_hex: str, stored: str) -> bool:
    """Whether `password` is the one hashed into `stored` (either format) with this salt."""
    parsed = _parameters(stored)
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        parsed = None
    if parsed is None or (salt_hex == "00" * 16 and stored == "00" * 32):
        # A malformed row, or the metastore's stand-in for an unknown user: pay the current
        # cost anyway, so the answer's timing does not tell which users exist.
        _scrypt(password, b"\x00" * 16, _LOG_N, _R, _P)
        return False
    (log_n, r, p), digest_hex = parsed
    digest = _scrypt(password, salt, log_n, r, p)
    return hmac.compare_digest(digest.hex(), digest_hex.lower())


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made at a lower cost than today's (rehash at the next sign-in)."""
    parsed = _parameters(stored)
    return parsed is not None and parsed[0] != (_LOG_N, _R, _P)
