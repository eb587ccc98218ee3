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


class WrongNumArgs(LakelensError):
    """A known function called with more arguments than it takes (Spark's class and SQLSTATE)."""

    error_class = "WRONG_NUM_ARGS"
    sqlstate = "42605"


class InvalidIdentifier(LakelensError):
    """IDENTIFIER('…') spelling something that is not a name (Spark's class and SQLSTATE)."""

    error_class = "INVALID_IDENTIFIER"
    sqlstate = "42602"
