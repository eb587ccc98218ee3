"""Errors raised by the catalog, shaped like Spark's error classes.

Every error carries an ``error_class`` (Spark's name where one exists) and a
five-character ``sqlstate`` so that frontends (CLI, HiveServer2 gateway) can
report them the way Spark and Databricks clients expect.
"""

from __future__ import annotations

from lakelens.errors import InvalidArgument, LakelensError, PermissionDenied, Unsupported


# (kind of securable) -> (error class, sqlstate) used by NotFound / AlreadyExists.
_NOT_FOUND = {
    "catalog": ("CATALOG_NOT_FOUND", "42P08"),
    "schema": ("SCHEMA_NOT_FOUND", "42704"),
    "table": ("TABLE_OR_VIEW_NOT_FOUND", "42P01"),
    "view": ("TABLE_OR_VIEW_NOT_FOUND", "42P01"),
    "relation": ("TABLE_OR_VIEW_NOT_FOUND", "42P01"),
    "volume": ("VOLUME_NOT_FOUND", "42704"),
    "function": ("ROUTINE_NOT_FOUND", "42883"),
    "path": ("PATH_NOT_FOUND", "42K03"),
    "file version": ("PATH_NOT_FOUND", "42K03"),
    "dropped table": ("TABLE_OR_VIEW_NOT_FOUND", "42P01"),
    "dropped view": ("TABLE_OR_VIEW_NOT_FOUND", "42P01"),
    "dropped volume": ("VOLUME_NOT_FOUND", "42704"),
    "dropped object": ("NOT_FOUND", "42704"),
    "workspace": ("WORKSPACE_NOT_FOUND", "42704"),
    "user": ("USER_NOT_FOUND", "42704"),
    "group": ("GROUP_NOT_FOUND", "42704"),
    "principal": ("PRINCIPAL_DOES_NOT_EXIST", "42704"),
}
_EXISTS = {
    "catalog": ("CATALOG_ALREADY_EXISTS", "42P04"),
    "schema": ("SCHEMA_ALREADY_EXISTS", "42P06"),
    "table": ("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07"),
    "view": ("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07"),
    "relation": ("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07"),
    "volume": ("VOLUME_ALREADY_EXISTS", "42P07"),
    "function": ("ROUTINE_ALREADY_EXISTS", "42723"),
    "path": ("PATH_ALREADY_EXISTS", "42K04"),
    "user": ("USER_ALREADY_EXISTS", "42710"),
    "group": ("GROUP_ALREADY_EXISTS", "42710"),
    "workspace": ("WORKSPACE_ALREADY_EXISTS", "42710"),
}


class NotFound(LakelensError):
    """A named securable does not exist; carries a close-match suggestion."""

    def __init__(self, kind: str, name: str, suggestion: str | None = None):
        error_class, sqlstate = _NOT_FOUND.get(kind, ("NOT_FOUND", "42704"))
        text = name
        if suggestion:
            text += f" — did you mean {suggestion}?"
        super().__init__(text, error_class=error_class, sqlstate=sqlstate)
        self.kind, self.name, self.suggestion = kind, name, suggestion


class AlreadyExists(LakelensError):
    def __init__(self, kind: str, name: str, detail: str = ""):
        error_class, sqlstate = _EXISTS.get(kind, ("ALREADY_EXISTS", "42710"))
        text = f"{kind} {name} already exists"
        if detail:
            text += f" ({detail})"
        super().__init__(text, error_class=error_class, sqlstate=sqlstate)
        self.kind, self.name = kind, name


class NotEmpty(LakelensError):
    def __init__(self, kind: str, name: str, count: int):
        error_class = "SCHEMA_NOT_EMPTY" if kind == "schema" else "CATALOG_NOT_EMPTY"
        super().__init__(
            f"cannot drop {kind} {name} because it contains {count} "
            f"object(s); use DROP {kind.upper()} {name} CASCADE to drop it with its contents",
            error_class=error_class,
            sqlstate="2BP01",
        )


class InvalidPath(LakelensError):
    """A volume path is malformed or tries to leave its volume."""

    error_class = "INVALID_VOLUME_PATH"
    sqlstate = "42K05"


__all__ = ["AlreadyExists", "InvalidArgument", "InvalidPath", "LakelensError", "NotEmpty", "NotFound", "PermissionDenied", "Unsupported"]
