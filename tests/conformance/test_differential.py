"""Every query answers as Spark would: the same statement through lakelens (three-level names
resolved, rewritten, run) and through plain Spark over the same files by path must give the
same columns, types and rows, or the same error class (tests/conformance/compare.py says how
results compare).

The corpus: the 22 TPC-H queries, hand-written queries that exercise what
the rewrite touches (corpus/queries.sql), invalid statements (corpus/errors.sql), dbt-shaped
scripts that write tables (corpus/scripts/), and generated queries (generate.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .compare import Tally, run_both
from .conftest import FORMATS, HERE

TPCH = sorted((HERE / "tpch").glob("q*.sql"))


def statements(path: Path) -> list[tuple[str, str]]:
    """(name, sql) pairs of a corpus file: statements end with `;`, a `-- name:` line names the next."""
    from lakelens.sql import split_statements

    out = []
    for i, text in enumerate(split_statements(path.read_text())):
        m = re.search(r"--\s*name:\s*(\S+)", text)
        body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--")).strip()
        out.append((m.group(1) if m else f"{path.stem}#{i + 1}", body))
    return out


# The TPC-H and hand-written queries run on Delta; the generated ones rotate over the three
# formats (what differs between formats is only how a table reference resolves).
def compare_queries(ours, plain, queries) -> Tally:
    """Each (name, sql) query on both sides; one that plain Spark refuses is a corpus bug."""
    tally = Tally()
    for name, sql in queries:
        mine, base = run_both(ours, plain, sql)
        if base.error_class:
            tally.mismatches.append(f"{name} fails on plain Spark: {base.message[:300]}\n    SQL: {sql}")
            continue
        tally.check(name, sql, mine, base)
    return tally


def test_tpch_queries_answer_as_spark(sides):
    assert len(TPCH) == 22
    tally = compare_queries(*sides.use("delta"), [(p.stem, p.read_text()) for p in TPCH])
    assert not tally.mismatches, tally.report()


def test_corpus_queries_answer_as_spark(sides):
    tally = compare_queries(*sides.use("delta"), statements(HERE / "corpus" / "queries.sql"))
    assert not tally.mismatches, tally.report()


def test_invalid_statements_fail_with_sparks_error_class(sides):
    ours, plain = sides.use("delta")
    tally = Tally()
    for name, sql in statements(HERE / "corpus" / "errors.sql"):
        mine, base = run_both(ours, plain, sql)
        assert base.error_class, f"{name} succeeds on plain Spark: the corpus expects an error"
        tally.check(name, sql, mine, base)
    assert not tally.mismatches, tally.report()


SCRIPTS = sorted((HERE / "corpus" / "scripts").glob("*.sql"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_dbt_shaped_scripts_answer_as_spark(sides, script):
    """A script of writes and reads, run statement by statement in a fresh schema on each
    side (plain Spark: a database of its own session catalog, tables by its warehouse path)."""
    from lakelens.engine.spark import new_session

    ours = sides.ours
    schema, database = f"s_{script.stem}", f"plain_{script.stem}"
    ours.sql(f"CREATE SCHEMA {schema}")
    ours.sql(f"USE SCHEMA {schema}")
    plain = new_session(ours.runtime.spark_root(ours.config), ours.config)
    plain.sql(f"CREATE DATABASE {database}")
    plain.sql(f"USE {database}")
    tally = Tally()
    try:
        for name, sql in statements(script):
            tally.check(f"{script.stem}/{name}", sql, *run_both(ours, plain, sql))
    finally:
        ours.sql("USE SCHEMA default")
        ours.sql(f"DROP SCHEMA {schema} CASCADE")
        plain.sql(f"DROP DATABASE {database} CASCADE")
    assert not tally.mismatches, tally.report()


GENERATED = int(os.environ.get("LAKELENS_DIFF_GENERATED", "300"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_queries_answer_as_spark(sides, fmt):
    """LAKELENS_DIFF_GENERATED queries (generate.py, fixed seed), a third on each format."""
    from .generate import generated_queries

    mine = [(f"{fmt}/generated #{i}", sql) for i, sql in enumerate(generated_queries(GENERATED))
            if i % len(FORMATS) == FORMATS.index(fmt)]
    tally = compare_queries(*sides.use(fmt), mine)
    assert not tally.mismatches, tally.report()
