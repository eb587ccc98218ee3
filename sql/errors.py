"""Statement-level errors: syntax errors that point at the position."""

from __future__ import annotations

from lakelens.catalog.errors import LakelensError


class SqlSyntaxError(LakelensError):
    error_class = "PARSE_SYNTAX_ERROR"
    sqlstate = "42601"

    def __init__(self, message: str, line: int | None = None, col: int | None = None, sql: str = ""):
        where = f" (line {line}, column {col})" if line else ""
        pointer = ""
        if line and sql:
            lines = sql.splitlines() or [sql]
            if 0 < line <= len(lines):
                text = lines[line - 1]
                pointer = f"\n  {text}\n  {' ' * max(col - 1, 0)}^"
        super().__init__(f"{message}{where}{pointer}")
        self.line, self.col = line, col


class UnsupportedStatement(LakelensError):
    error_class = "UNSUPPORTED_STATEMENT"
    sqlstate = "0A000"
