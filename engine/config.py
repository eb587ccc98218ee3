"""Effective configuration: shipped defaults < $LAKELENS_HOME/lakelens.toml < explicit overrides.

Every value remembers where it came from, so `lakelens config` can say so.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lakelens.catalog import LakelensError
from lakelens.catalog.storage import is_object_store, normalize


def _flatten(d: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):  # TOML arrays: comma-separated, read back with Config.list
            out[key] = ",".join(str(x) for x in v)
        else:
            out[key] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def default_home() -> Path:
    return Path(os.environ.get("LAKELENS_HOME") or "~/.lakelens").expanduser()


def _shipped_defaults() -> str:
    return resources.files("lakelens.conf").joinpath("lakelens.toml").read_text()


def log4j_path() -> str:
    return str(resources.files("lakelens.conf").joinpath("log4j2.properties"))


def invalid_config(key: str, wanted: str, value) -> LakelensError:
    return LakelensError(f"{key} must be {wanted}, got {value!r}", error_class="INVALID_CONFIG",
                         sqlstate="22023")


@dataclass
class Config:
    home: Path
    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, home: str | os.PathLike | None = None, overrides: dict | None = None) -> "Config":
        home_path = Path(home).expanduser() if home else default_home()
        cfg = cls(home_path.resolve())
        cfg._merge(_flatten(tomllib.loads(_shipped_defaults())), "default")
        user_file = cfg.home / "lakelens.toml"
        if user_file.exists():
            try:
                cfg._merge(_flatten(tomllib.loads(user_file.read_text())), str(user_file))
            except tomllib.TOMLDecodeError as e:
                raise ValueError(f"invalid configuration file {user_file}: {e}") from None
        cfg._merge({str(k): str(v) for k, v in (overrides or {}).items()}, "override")
        return cfg

    def _merge(self, values: dict[str, str], source: str) -> None:
        for k, v in values.items():
            self.values[k] = v
            self.sources[k] = source

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        return default if value in (None, "") else value

    def number(self, key: str, default, kind=float, minimum=0):
        """A numeric setting (`kind` int or float, at least `minimum`), else `default` when unset."""
        value = self.get(key)
        if value is None:
            return default
        value = value.strip()
        try:
            number = kind(float(value)) if kind is int and float(value).is_integer() else kind(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise invalid_config(key, f"a number >= {minimum}" if kind is float else f"an integer >= {minimum}", value)
        return number

    def list(self, key: str) -> list[str]:
        """A list setting: a TOML array or a comma-separated string; [] when unset."""
        return [part.strip() for part in (self.get(key) or "").split(",") if part.strip()]

    @property
    def catalog_url(self) -> str:
        return self.get("catalog.url") or f"sqlite:///{self.home / 'metastore.db'}"

    @property
    def warehouse(self) -> Path | str:
        """A local directory (Path), or an object store URL (`s3://bucket/prefix`, a str)."""
        value = self.get("warehouse.path")
        if value and is_object_store(value):
            return normalize(value)
        if value and value.startswith("file://"):
            value = normalize(value)
        return Path(value).expanduser() if value else self.home / "warehouse"

    def s3a_settings(self) -> dict[str, str]:
        """Hadoop's s3a keys (`fs.s3a.*`) as Spark is given them (`spark.hadoop.fs.s3a.*`): the
        Python side reads the same ones (catalog/storage.py)."""
        prefix = "spark.hadoop."
        return {k[len(prefix):]: v for k, v in self.values.items() if k.startswith(prefix + "fs.s3a.") and v != ""}

    @property
    def uses_object_storage(self) -> bool:
        """Whether Spark needs the s3a connector: `storage.s3` on, or (auto) any s3a setting,
        an s3:// warehouse or external root."""
        mode = (self.get("storage.s3") or "auto").lower()
        if mode not in ("auto", "on", "off"):
            raise invalid_config("storage.s3", "auto, on or off", mode)
        if mode != "auto":
            return mode == "on"
        return bool(self.s3a_settings()) or is_object_store(self.warehouse) or any(
            is_object_store(r) for r in self.list("storage.external_roots"))

    @property
    def user(self) -> str:
        return self.get("session.user") or getpass.getuser()

    def spark_conf(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k.startswith("spark.")}

    def describe(self) -> list[tuple[str, str, str]]:
        """(key, value, source) rows for `lakelens config`, secrets redacted (`redact`)."""
        rows = [("home", str(self.home), "LAKELENS_HOME" if os.environ.get("LAKELENS_HOME") else "default")]
        rows.append(("catalog.url (effective)", redact("catalog.url", self.catalog_url),
                     self.sources.get("catalog.url", "default")))
        rows += [(k, redact(k, self.values[k]), self.sources[k]) for k in sorted(self.values)]
        return rows


# A key names a secret when its last part holds one of these words (spark.authenticate.secret,
# spark.ssl.keyPassword, *.token, *.credentials) or two of its parts read as one (fs.s3a.access.key).
_SECRET_WORD = re.compile(r"pass(word|wd|phrase)|secret|token|credential|^pwd$", re.IGNORECASE)
_SECRET_PAIRS = {"access.key", "secret.key", "private.key", "api.key", "auth.key", "session.key", "account.key",
                 "encryption.key"}  # fs.s3a.encryption.key: an SSE-C key
# scheme://user:PASSWORD@host — the password part of a URL's user info.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^\s/]*)(?P<at>@)")
# ?password=...&token=... in URLs and connection strings.
_PARAM_SECRET = re.compile(r"(?P<head>\b(?:password|passwd|pwd|secret|token|access_key|secret_key|api_key)=)"
                           r"(?P<secret>[^&;\s]+)", re.IGNORECASE)
REDACTED = "***"


def redact_text(text: str) -> str:
    """`text` with passwords in URLs (`postgresql://user:***@host/db`) and secret-looking query
    parameters (`password=***`) hidden. For messages and values that may hold a URL."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED + m.group("at"), text)
    return _PARAM_SECRET.sub(lambda m: m.group("head") + REDACTED, text)


def redact(key: str, value: str | None) -> str | None:
    """A configuration value fit to print: `***` for keys that name a secret (password, secret,
    token, credential, access/secret key, ...), URL passwords hidden in the rest."""
    if value in (None, ""):
        return value
    if _SECRET_WORD.search(key.rsplit(".", 1)[-1]) or _is_secret_key(key):
        return REDACTED
    return redact_text(str(value))


def _is_secret_key(key: str) -> bool:
    parts = [p.lower() for p in re.split(r"[._-]", key)]
    pairs = {f"{a}.{b}" for a, b in zip(parts, parts[1:])}
    return bool(pairs & _SECRET_PAIRS)
