"""The layers of docs/architecture.md, checked on the source: who may import whom.

catalog/ and udfs/ import nothing of ours (but the neutral `lakelens.errors`), sql/ imports
only catalog/ and udfs/, only engine/ imports Spark and Ray, and the gateway translates the
protocol without importing pyspark itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEUTRAL = "lakelens.errors"
MAY_IMPORT = {
    "catalog": {"lakelens.catalog"},
    "udfs": {"lakelens.udfs"},
    "sql": {"lakelens.sql", "lakelens.catalog", "lakelens.udfs"},
    "lakelens": {"lakelens", "lakelens.engine"},
    "engine": {"lakelens"},
}
ENGINE_ONLY = ("pyspark", "py4j", "ray")


def imports(path: Path, package: str) -> list[tuple[int, str]]:
    """Absolute names of every module a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    here = package.split(".")
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            out.append((node.lineno, name))
    return out


def sources(folder: str):
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        package_parts = parts if path.name == "__init__.py" else parts[:-1]
        top = "lakelens" if folder == "lakelens" else f"lakelens.{folder}"
        package = ".".join([top] + package_parts[1:])
        yield path, package


def _allowed(name: str, allowed: set[str]) -> bool:
    if name == NEUTRAL or name.startswith(NEUTRAL + "."):
        return True
    if "lakelens" in allowed and name.split(".")[0] == "lakelens":
        return True
    return any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_layers_import_only_what_they_may(folder):
    wrong = []
    for path, package in sources(folder):
        for line, name in imports(path, package):
            if name.split(".")[0] != "lakelens":
                if folder != "engine" and name.split(".")[0] in ENGINE_ONLY:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name} (only engine/ may)")
                continue
            if folder == "lakelens" and name == "lakelens":
                continue
            if not _allowed(name, MAY_IMPORT[folder]):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_frontends_do_not_touch_spark():
    """HiveServer2, Flight SQL and the web console translate protocols; the engine runs statements."""
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path, package in sources("engine") if {"gateway", "flight", "console"} & set(path.parts)
             for line, name in imports(path, package) if name.split(".")[0] in ENGINE_ONLY]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_wrong_import(tmp_path):
    """The checker itself: an upward import in catalog/ is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from lakelens.engine.session import Session\nfrom ..sql import plans\nimport pyspark\n")
    found = imports(bad, "lakelens.catalog")
    assert [n for _, n in found] == ["lakelens.engine.session", "lakelens.sql", "pyspark"]
    assert not _allowed("lakelens.engine.session", MAY_IMPORT["catalog"])
    assert not _allowed("lakelens.sql", MAY_IMPORT["catalog"]) and _allowed("lakelens.errors", MAY_IMPORT["catalog"])


def test_code_refers_to_docs_in_the_repository():
    """Docstrings and comments point at docs/architecture.md, not at notes outside the repo."""
    wrong = [f"{path.relative_to(ROOT)}" for folder in MAY_IMPORT for path, _ in sources(folder)
             if "DESIGN.md" in path.read_text() or "../shared" in path.read_text()]
    assert not wrong, wrong


def test_error_classes_are_stated_once():
    """A raiser names the class in `error_class=` (or by the exception's type), never again at
    the start of the message: `str(error)` adds it, so "X: X: …" cannot happen."""
    import re

    repeated = re.compile(r"""(Error|Unsupported|InvalidArgument|UnsupportedStatement|Conflict)\(\s*f?["'][A-Z][A-Z0-9_]{2,}(\.[A-Z0-9_]+)*: """)
    wrong = [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for folder in MAY_IMPORT for path, _ in sources(folder)
             for text in [path.read_text()] for m in repeated.finditer(text)]
    assert not wrong, wrong


def test_an_error_says_its_class_once():
    from lakelens.errors import LakelensError

    e = LakelensError("PARSE_SYNTAX_ERROR: near 'x'", error_class="PARSE_SYNTAX_ERROR", sqlstate="42601")
    assert str(e) == "[PARSE_SYNTAX_ERROR] near 'x'" and e.message == "near 'x'"
