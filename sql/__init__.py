"""Statement text to plans: parse (lakelens dialect), classify, resolve names, rewrite.

`sql` reads the catalog and the function specs; it never runs anything (docs/architecture.md).
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .dialect import Lakelens
from .errors import SqlSyntaxError, UnsupportedStatement
from .names import SessionContext
from .planner import plan_statement
from .plans import (
    CatalogCommand,
    CreateTable,
    CreateView,
    Explain,
    TempView,
    Plan,
    Rows,
    SessionChange,
    SparkQuery,
    SparkWrite,
)


def split_statements(sql: str) -> list[str]:
    """Split a script on top-level `;` (quotes and comments respected), dropping empty parts."""
    out, start = [], 0
    i, n = 0, len(sql)
    quote = None
    while i < n:
        ch = sql[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in ("'", '"', "`"):
            quote = ch
        elif ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif ch == ";":
            out.append(sql[start:i])
            start = i + 1
        i += 1
    out.append(sql[start:])
    return [s.strip() for s in out if _has_code(s)]


def _has_code(text: str) -> bool:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return bool(re.sub(r"--[^\n]*", " ", text).strip())


_CONF_COMMAND = re.compile(r"\s*(SET|RESET)\b(.*)", re.I | re.S)


def parse_statement(sql: str) -> exp.Expression:
    """Parse exactly one statement; syntax errors name the line and column."""
    conf = _CONF_COMMAND.fullmatch(sql.strip().rstrip(";"))
    if conf and (conf.group(1).upper() == "RESET" or "=" not in conf.group(2)):
        # `SET`, `SET key`, `SET -v`, `RESET [key]`: read (or reset) Spark configuration.
        return exp.Command(this=conf.group(1).upper(), expression=exp.Literal.string(conf.group(2).strip()))
    try:
        statements = [s for s in sqlglot.parse(sql, read=Lakelens) if s is not None]
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        line, col = err.get("line"), err.get("col")
        highlight = err.get("highlight") or ""
        if col and highlight:
            col = max(col - len(highlight) + 1, 1)
        desc = err.get("description") or str(e)
        near = f" near {highlight!r}" if highlight else ""
        raise SqlSyntaxError(f"{desc}{near}", line, col, sql) from None
    except TokenError as e:
        raise SqlSyntaxError(str(e), sql=sql) from None
    if not statements:
        raise SqlSyntaxError("empty statement", sql=sql)
    if len(statements) > 1:
        raise SqlSyntaxError("expected one statement; run scripts with several statements one at a time", sql=sql)
    stmt = statements[0]
    if isinstance(stmt, exp.Command):
        raise UnsupportedStatement(
            f"lakelens cannot parse this statement: {sql.strip()[:200]}")
    return stmt


__all__ = [
    "CatalogCommand", "CreateTable", "CreateView", "Explain", "Plan", "Rows", "SessionChange", "SessionContext", "TempView",
    "SparkQuery", "SparkWrite", "SqlSyntaxError", "UnsupportedStatement", "parse_statement", "plan_statement",
    "split_statements",
]
