"""Effective configuration: shipped defaults < $LAKELENS_HOME/lakelens.toml < explicit overrides.

Every value remembers where it came from, so `lakelens config` can say so.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lakelens.catalog import LakelensError


def _flatten(d: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
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

    @property
    def catalog_url(self) -> str:
        return self.get("catalog.url") or f"sqlite:///{self.home / 'metastore.db'}"

    @property
    def warehouse(self) -> Path:
        return Path(self.get("warehouse.path") or self.home / "warehouse")

    @property
    def user(self) -> str:
        return self.get("session.user") or getpass.getuser()

    def spark_conf(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k.startswith("spark.")}

    def describe(self) -> list[tuple[str, str, str]]:
        rows = [("home", str(self.home), "LAKELENS_HOME" if os.environ.get("LAKELENS_HOME") else "default")]
        rows.append(("catalog.url (effective)", self.catalog_url, self.sources.get("catalog.url", "default")))
        rows += [(k, self.values[k], self.sources[k]) for k in sorted(self.values)]
        return rows
