"""Users who may sign in to the gateway with a password (`--auth plain`).

Passwords are never stored: each user row holds a random salt and the scrypt hash of the
password with it, and checks compare hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os

# scrypt cost: ~15 ms per check on these machines; sign-in happens once per session.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> tuple[str, str]:
    """(salt hex, hash hex) for a password; a new random salt unless one is given."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return salt.hex(), digest.hex()


def password_matches(password: str, salt_hex: str, hash_hex: str) -> bool:
    _, digest = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(digest, hash_hex)
