"""The base of every error lakelens reports to a user. Imports nothing: every layer uses it.

An error carries its ``error_class`` (Spark's condition name where one exists) and a
five-character ``sqlstate``, so frontends (CLI, HiveServer2 gateway) report them the way
Spark and Databricks clients expect. The class is stated once, by the raiser, in
``error_class``; the message is the sentence after it, and ``str(error)`` is
``"[<ERROR_CLASS>] <message>"``, Spark's own wording, which clients such as dbt-spark match
on (docs/architecture.md, "Errors").
"""

from __future__ import annotations

import re

_CLASS_PREFIX = re.compile(r"\[?[A-Z][A-Z0-9_]{2,}(\.[A-Z0-9_]+)*\]?:? ")


class LakelensError(Exception):
    """Base of every error lakelens reports to a user."""

    error_class = "INTERNAL_ERROR"
    sqlstate = "XX000"

    def __init__(self, message: str, *, error_class: str | None = None, sqlstate: str | None = None):
        super().__init__(message)
        if error_class:
            self.error_class = error_class
        if sqlstate:
            self.sqlstate = sqlstate
        if message.startswith((f"{self.error_class}:", f"[{self.error_class}]")):
            # Text from elsewhere (a remote server, Spark) may already start with the class;
            # it is said once, by __str__. Our own raisers never write it (tests/test_layers.py).
            message = strip_class(message)
            self.args = (message,)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return f"[{self.error_class}] {self.message}"


class InvalidArgument(LakelensError):
    error_class = "INVALID_ARGUMENT"
    sqlstate = "22023"


class Unsupported(LakelensError):
    error_class = "UNSUPPORTED_FEATURE"
    sqlstate = "0A000"


class PermissionDenied(LakelensError):
    """The principal may not do this (a remote user naming a server path, a setting outside
    the allow-list, a reflective call); nothing was done."""

    error_class = "PERMISSION_DENIED"
    sqlstate = "42501"


def strip_class(text: str) -> str:
    """`[CLASS] text` or `CLASS: text` (as Spark and remote servers word errors) → `text`."""
    m = _CLASS_PREFIX.match(text)
    return text[m.end():] if m else text
