"""Ready-made SQL pipelines (conf/recipes/*.sql): list them, fill in their parameters, run them.

A recipe is one SQL statement (`CREATE OR REPLACE TABLE ${target} AS …`) with a header:

    -- recipe: documents_to_chunks
    -- What it does (any number of lines).
    -- param: source = demo.media.docs   what the parameter is

Parameters are typed by their default: a number stays a number, a dotted name stays a name
(one to three identifiers), anything else must be a plain word. A value of the wrong shape is
refused before any SQL is built, so a parameter can never add SQL of its own.

`lakelens recipes` lists them, `lakelens recipes show NAME --set k=v` prints the filled-in SQL
(for `lakelens sql -f`), `--dbt` prints it as a dbt model, `lakelens recipes run NAME` runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

from lakelens.catalog import InvalidArgument

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_WORD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Param:
    name: str
    default: str
    doc: str

    @property
    def kind(self) -> str:
        if _NUMBER.match(self.default):
            return "number"
        if _NAME.match(self.default) and "." in self.default:
            return "name"
        return "word"

    def check(self, value: str) -> str:
        pattern = {"number": _NUMBER, "name": _NAME, "word": _WORD}[self.kind]
        if not pattern.match(value):
            shape = {"number": "a number", "name": "a table or volume name (catalog.schema.name)",
                     "word": "a plain word (letters, digits, _ and -)"}[self.kind]
            raise InvalidArgument(f"recipe parameter {self.name} must be {shape}, got {value!r}")
        return value


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    params: tuple[Param, ...]
    body: str

    def render(self, values: dict[str, str] | None = None) -> str:
        values = dict(values or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidArgument(f"recipe {self.name} has no parameter {', '.join(unknown)} "
                                  f"(parameters: {', '.join(known)})")
        filled = {p.name: p.check(str(values.get(p.name, p.default))) for p in self.params}
        return _PLACEHOLDER.sub(lambda m: filled[m.group(1)], self.body)

    def query(self, values: dict[str, str] | None = None) -> str:
        """The SELECT that builds the target (a dbt model's body): the statement minus its CREATE."""
        sql = self.render(values)
        match = re.match(r"\s*CREATE\s+OR\s+REPLACE\s+TABLE\s+\S+\s+AS\s+", sql, re.IGNORECASE)
        return sql[match.end():] if match else sql

    def dbt_model(self, values: dict[str, str] | None = None) -> str:
        return (f"-- dbt model from the lakelens recipe {self.name}\n"
                "{{ config(materialized='table', file_format='delta') }}\n" + self.query(values) + "\n")


def parse(text: str) -> Recipe:
    name, description, params, body = None, [], [], []
    for line in text.splitlines():
        header = re.match(r"^--\s?(.*)$", line)
        if header and not body:
            content = header.group(1)
            if content.startswith("recipe:"):
                name = content.split(":", 1)[1].strip()
            elif content.startswith("param:"):
                m = re.match(r"param:\s*([a-z_][a-z0-9_]*)\s*=\s*(\S+)\s*(.*)$", content)
                if not m:
                    raise ValueError(f"bad recipe parameter line: {line!r}")
                params.append(Param(m.group(1), m.group(2), m.group(3).strip()))
            else:
                description.append(content.strip())
        else:
            body.append(line)
    if not name:
        raise ValueError("a recipe starts with '-- recipe: <name>'")
    sql = "\n".join(body).strip().rstrip(";")
    missing = set(_PLACEHOLDER.findall(sql)) - {p.name for p in params}
    if missing:
        raise ValueError(f"recipe {name} uses undeclared parameter(s) {', '.join(sorted(missing))}")
    return Recipe(name, " ".join(d for d in description if d), tuple(params), sql)


def recipes() -> dict[str, Recipe]:
    folder = files("lakelens.conf").joinpath("recipes")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            recipe = parse(entry.read_text(encoding="utf-8"))
            found[recipe.name] = recipe
    return found


def recipe(name: str) -> Recipe:
    known = recipes()
    if name not in known:
        raise InvalidArgument(f"no recipe named {name!r} (recipes: {', '.join(known)})")
    return known[name]
