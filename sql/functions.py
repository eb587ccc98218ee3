"""Multimodal calls in statements: bind each to its spec, fold literal options, rename to a UDF.

`bind_functions` is a resolution rule (see resolve.py): it runs after names are resolved, so
it also sees the bodies of views and temporary views. For

    SELECT name, ocr(content, 'deu') FROM demo.media.scans WHERE try_phash(content) IS NOT NULL

it records two bindings (ocr with lang='deu', raising; phash, NULL on bad rows) and rewrites
the calls to ``ll_ocr_<h>(content) AS `ocr(content, 'deu')``` and ``ll_try_phash(content)``:
the engine registers one Arrow UDF per binding, and columns keep the names users wrote.

`near_duplicates(TABLE(…), …)` and `dedup(TABLE(…), …)` in FROM become placeholders plus a
`TableFunctionCall` the engine materialises first (LSH joins and connected components).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlglot import exp

from lakelens.catalog import InvalidArgument
from lakelens.catalog.metastore import matches_like
from lakelens.udfs import FUNCTIONS, FunctionSpec, lookup

from .plans import Rows, UdfBinding

TABLE_FUNCTIONS = ("near_duplicates", "dedup")
# method → default similarity threshold (exact: equal content hashes; simhash/phash/dhash/ahash:
# 1 − Hamming distance / 64, so 0.9 allows 6 differing bits and simhash's 0.95 allows 3, the
# setting Manku et al. used for 64-bit SimHash of web pages).
DEDUP_METHODS = {"minhash": 0.8, "exact": 1.0, "simhash": 0.95, "phash": 0.9, "dhash": 0.9, "ahash": 0.9,
                 "embedding": 0.9}
# Unique per statement: two statements of one session may run at once (HiveServer2 async).
TVF_PLACEHOLDER = "__lakelens_tvf_{}_{}__"


def udf_name(function: str, options: dict[str, Any], on_error: str) -> str:
    prefix = "ll_try_" if on_error == "null" else "ll_"
    if not options:
        return f"{prefix}{function}"
    digest = hashlib.sha1(repr(sorted(options.items())).encode()).hexdigest()[:8]
    return f"{prefix}{function}_{digest}"


def _literal_value(node: exp.Expression, spec: FunctionSpec, param) -> Any:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        value = -node.this.to_py()
    elif isinstance(node, exp.Literal):
        value = node.this if node.is_string else node.to_py()
    else:
        raise InvalidArgument(f"{spec.name}: argument {param.name} must be a constant, got {node.sql('spark')}")
    try:
        if param.type == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if param.type == "double":
            return float(value)
        return str(value) if param.type == "string" else value
    except (TypeError, ValueError):
        raise InvalidArgument(f"{spec.name}: argument {param.name} must be {param.type.upper()}, got {node.sql('spark')}") from None


def _split_args(call: exp.Expression) -> tuple[list[exp.Expression], dict[str, exp.Expression]]:
    positional, named = [], {}
    for arg in call.expressions:
        if isinstance(arg, (exp.Kwarg, exp.PropertyEQ)) and isinstance(arg.this, (exp.Var, exp.Identifier, exp.Column)):
            named[arg.this.name.lower()] = arg.expression
        elif named:
            raise InvalidArgument(f"{call.name}: positional arguments must come before named ones")
        else:
            positional.append(arg)
    return positional, named


def bind_call(call: exp.Anonymous, spec: FunctionSpec, try_form: bool) -> tuple[UdfBinding, list[exp.Expression]]:
    """Check a call against its spec; its binding and the column arguments left in the call."""
    sql_name = ("try_" if try_form else "") + spec.name
    positional, named = _split_args(call)
    params = spec.params
    if len(positional) > len(params):
        raise InvalidArgument(f"{sql_name} takes at most {len(params)} argument(s), got {len(positional)}: "
                              f"{spec.signature()}")
    values: dict[str, exp.Expression] = {p.name: a for p, a in zip(params, positional)}
    for key, value in named.items():
        param = next((p for p in params if p.name == key), None)
        if param is None:
            raise InvalidArgument(f"{sql_name} has no argument named {key!r}: {spec.signature()}")
        if key in values:
            raise InvalidArgument(f"{sql_name}: argument {key} is given twice")
        values[key] = value
    columns, options = [], {}
    for p in params:
        if p.name not in values:
            if not p.optional:
                raise InvalidArgument(f"{sql_name}: missing argument {p.name}: {spec.signature()}")
            continue
        if p.literal:
            value = _literal_value(values[p.name], spec, p)
            if value is not None or p.default is not None:
                options[p.name] = value if value is not None else p.default
        else:
            columns.append(values[p.name])
    on_error = "null" if try_form else "raise"
    binding = UdfBinding(udf_name(spec.name, options, on_error), spec.name, tuple(sorted(options.items())), on_error)
    return binding, columns


def _calls(node: exp.Expression) -> bool:
    return any(_as_call(n) is not None for n in node.walk())


def _as_call(node: exp.Expression):
    """(spec, try form) if `node` is a call of a library function."""
    if isinstance(node, exp.Anonymous):
        return lookup(node.name)
    return None


def _keep_column_names(expression: exp.Expression) -> None:
    """`SELECT ocr(content)` names its column `ocr(content)`, not after the registered UDF."""
    for select in expression.find_all(exp.Select):
        for projection in select.expressions:
            if isinstance(projection, (exp.Alias, exp.Star)) or not _calls(projection):
                continue
            if isinstance(projection, exp.Column):
                continue
            name = projection.sql(dialect="spark", normalize_functions="lower")
            projection.replace(exp.alias_(projection.copy(), exp.to_identifier(name, quoted=True)))


def bind_functions(expression: exp.Expression, bindings: dict[str, UdfBinding]) -> exp.Expression:
    """Rewrite every library call (innermost first) and collect its binding in `bindings`."""
    _keep_column_names(expression)
    calls = [n for n in expression.walk(bfs=False) if _as_call(n) is not None]
    for node in reversed(calls):  # children before parents: `embed_text(ocr(content))`
        spec, try_form = _as_call(node)
        binding, columns = bind_call(node, spec, try_form)
        bindings.setdefault(binding.udf_name, binding)
        node.replace(exp.Anonymous(this=binding.udf_name, expressions=columns))
    return expression


# ------------------------------------------------------------------------------ table functions
def table_function_calls(expression: exp.Expression):
    """`FROM near_duplicates(TABLE(…), …)` / `dedup(…)` nodes, innermost first."""
    found = [t for t in expression.walk(bfs=False)
             if isinstance(t, exp.Table) and isinstance(t.this, exp.Anonymous)
             and t.this.name.lower() in TABLE_FUNCTIONS]
    return list(reversed(found))


def parse_table_function(table: exp.Table) -> tuple[exp.Expression, dict]:
    """The input query and validated options of a near_duplicates/dedup call."""
    call = table.this
    name = call.name.lower()
    positional, named = _split_args(call)
    if not positional or not (isinstance(positional[0], exp.Anonymous) and positional[0].name.upper() == "TABLE"):
        raise InvalidArgument(f"{name}: the first argument must be TABLE(<query or table>), e.g. "
                              f"{name}(TABLE(SELECT id, body FROM docs), id => 'id', on => 'body')")
    inner = positional[0].expressions[0] if positional[0].expressions else None
    if not isinstance(inner, exp.Query):  # TABLE(name) was made a query by resolve.guard
        raise InvalidArgument(f"{name}: TABLE(...) must contain a query or a table name")
    extra = positional[1:]
    keys = ["id", "on", "method", "threshold"]
    for key, value in zip(keys, extra):
        named.setdefault(key, value)

    def text(key: str, default=None) -> str | None:
        if key not in named:
            return default
        value = named.pop(key)
        if not isinstance(value, exp.Literal):
            raise InvalidArgument(f"{name}: {key} must be a constant, got {value.sql('spark')}")
        return str(value.this)

    id_col, on_col = text("id"), text("on")
    if not id_col or not on_col:
        raise InvalidArgument(f"{name}: needs id => '<column>' and on => '<column>'")
    method = (text("method", "minhash") or "minhash").lower()
    if method not in DEDUP_METHODS:
        raise InvalidArgument(f"{name}: method must be one of {', '.join(DEDUP_METHODS)}, got {method!r}")
    def number(key: str, kind, default=None):
        raw = text(key, default)
        try:
            return kind(raw)
        except (TypeError, ValueError):
            raise InvalidArgument(f"{name}: {key} must be a number, got {raw!r}") from None

    threshold = number("threshold", float, DEDUP_METHODS[method])
    if not 0 < threshold <= 1:
        raise InvalidArgument(f"{name}: threshold must be in (0, 1], got {threshold}")
    options = {}
    for key, low, high in (("num_perm", 1, 1024), ("ngram", 1, 64), ("bands", 1, 1024)):
        if key in named:
            options[key] = number(key, int)
            if not low <= options[key] <= high:
                raise InvalidArgument(f"{name}: {key} must be between {low} and {high}, got {options[key]}")
    if named:
        raise InvalidArgument(f"{name}: unknown argument(s) {', '.join(sorted(named))} "
                              "(id, on, method, threshold, num_perm, ngram, bands)")
    return inner, {"id_column": id_col, "on_column": on_col, "method": method, "threshold": threshold,
                   "options": options}


# ------------------------------------------------------------------------------ SHOW / DESCRIBE
def function_names() -> list[tuple[str, FunctionSpec, bool]]:
    out = []
    for name in sorted(FUNCTIONS):
        spec = FUNCTIONS[name]
        out.append((name, spec, False))
        if spec.reads_media:
            out.append((f"try_{name}", spec, True))
    return sorted(out, key=lambda x: x[0])


def show_functions(like: str | None) -> Rows:
    cols = [("function", "string"), ("class", "string"), ("modality", "string"), ("device", "string"),
            ("signature", "string"), ("model", "string")]
    rows = [(name, spec.kind, spec.modality, spec.device, ("try_" if t else "") + spec.signature(), spec.model)
            for name, spec, t in function_names() if matches_like(name, like)]
    return Rows(cols, rows)


def describe_function(name: str, extended: bool) -> Rows | None:
    found = lookup(name)
    if found is None:
        return None
    spec, try_form = found
    sql_name = ("try_" if try_form else "") + spec.name
    lines = [f"Function: {sql_name}", f"Class: {spec.kind}", f"Modality: {spec.modality}",
             f"Device: {spec.device}", f"Usage: {('try_' if try_form else '') + spec.signature()}",
             f"Description: {spec.description}"]
    if try_form:
        lines.append(f"Errors: returns NULL where {spec.name} would fail the statement")
    elif spec.reads_media:
        lines.append(f"Errors: undecodable input fails the statement; try_{spec.name} returns NULL instead")
    if spec.model:
        lines.append(f"Model: {spec.model}")
    if extended:
        for p in spec.params:
            kind = "constant" if p.literal else "column"
            default = "" if not p.optional else f", default {p.default!r}"
            lines.append(f"Argument: {p.name} {p.type.upper()} ({kind}{default}){' — ' + p.doc if p.doc else ''}")
        lines.append(f"Batch size: {spec.batch_size}")
        for key, default, meaning in spec.config:
            lines.append(f"Config: udf.{spec.config_scope}.{key} (default {default!r}) — {meaning}")
        lines.append(f"Example: {spec.example}")
    return Rows([("function_desc", "string")], [(line,) for line in lines])
