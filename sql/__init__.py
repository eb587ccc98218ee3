"""Statement text to plans: parse (lakelens dialect), classify, resolve names, rewrite.

`sql` reads the catalog and the function specs; it never runs anything (docs/architecture.md).
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import TokenType

from .dialect import Lakelens
from .errors import InvalidIdentifier, SqlSyntaxError, UnsupportedStatement, WrongNumArgs
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
    return [sql[a:b] for a, b in statement_spans(sql)]


def statement_spans(sql: str) -> list[tuple[int, int]]:
    """Where each statement of a script lies: `(start, end)` offsets of its text without the
    surrounding whitespace (a frontend maps a statement's error position back into the script)."""
    cuts, start = [], 0
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
            cuts.append((start, i))
            start = i + 1
        i += 1
    cuts.append((start, n))
    spans = []
    for a, b in cuts:
        part = sql[a:b]
        if _has_code(part):
            lead = len(part) - len(part.lstrip())
            spans.append((a + lead, a + len(part.rstrip())))
    return spans


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
    if "identifier" in sql.lower():
        sql = inline_identifier_clauses(sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read=Lakelens) if s is not None]
    except ParseError as e:
        if e.errors and all(_arity_only(err) for err in e.errors):
            # A known function called with too few arguments (`substr()`) is valid syntax in
            # Spark: let Spark say so, as WRONG_NUM_ARGS naming the function, and run what it
            # accepts (`concat()`). sqlglot checks arity while it parses.
            statements = [s for s in sqlglot.parse(sql, read=Lakelens, error_level=ErrorLevel.IGNORE)
                          if s is not None]
            return _one(statements, sql)
        err = e.errors[0] if e.errors else {}
        too_many = _TOO_MANY.match(err.get("description") or "")
        if too_many:
            raise WrongNumArgs(f"a function call passes {too_many.group(1)} arguments; it takes at most "
                               f"{too_many.group(2)} (line {err.get('line')}, column {err.get('col')})") from None
        line, col = err.get("line"), err.get("col")
        highlight = err.get("highlight") or ""
        if col and highlight:
            col = max(col - len(highlight) + 1, 1)
        # Spark's wording first; sqlglot's reason after it, without its class paths.
        desc = re.sub(r"<class 'sqlglot\.[\w.]*?(\w+)'>", r"\1", err.get("description") or str(e))
        near = f"Syntax error at or near {highlight!r}: " if highlight else "Syntax error: "
        raise SqlSyntaxError(f"{near}{desc}", line, col, sql) from None
    except TokenError as e:
        raise SqlSyntaxError(str(e), sql=sql) from None
    return _one(statements, sql)


_NAME_PART = r"(?:`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)"
_MULTIPART = re.compile(rf"\s*{_NAME_PART}(?:\s*\.\s*{_NAME_PART})*\s*")


def inline_identifier_clauses(sql: str) -> str:
    """`IDENTIFIER('a.b')` with a string literal → the name it spells, wherever it stands (a
    table, a column, a DDL or DML target), as Spark reads it: the string is parsed as a
    (multi-part) identifier, so a name that needs quoting must carry its backquotes.
    Anything else in IDENTIFIER() (an expression, a variable) is left to the resolver, which
    refuses it."""
    try:
        tokens = Lakelens().tokenize(sql)
    except TokenError:
        return sql  # the parser reports it
    spans = []
    for i in range(len(tokens) - 3):
        a, b, c, d = tokens[i:i + 4]
        if (a.text.upper() == "IDENTIFIER" and b.token_type == TokenType.L_PAREN
                and c.token_type == TokenType.STRING and d.token_type == TokenType.R_PAREN):
            if not _MULTIPART.fullmatch(c.text):
                raise InvalidIdentifier(f"The unquoted identifier {c.text} is invalid and must be back quoted as: "
                                        f"`{c.text}`")
            spans.append((a.start, d.end + 1, c.text.strip()))
    for start, end, name in reversed(spans):
        sql = sql[:start] + name + sql[end:]
    return sql


_TOO_MANY = re.compile(r"The number of provided arguments \((\d+)\) is greater than the maximum number of "
                       r"supported arguments \((\d+)\)")
_MISSING_ARG = re.compile(r"Required keyword: '\w+' missing for <class 'sqlglot\.expressions\.[\w.]*?(\w+)'>")


def _arity_only(err: dict) -> bool:
    m = _MISSING_ARG.match(err.get("description") or "")
    node = getattr(exp, m.group(1), None) if m else None
    return isinstance(node, type) and issubclass(node, exp.Func)


def _one(statements: list[exp.Expression], sql: str) -> exp.Expression:
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
    "inline_identifier_clauses", "split_statements", "statement_spans",
]
