"""Three-level names: filling in the session's current catalog and schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from sqlglot import exp

from lakelens.catalog import AccessPolicy, InvalidArgument, Principal
from lakelens.catalog.grants import Access


@dataclass(frozen=True)
class SessionContext:
    """What a statement is planned against: the session's current catalog and schema, who runs
    it (the principal) and what the server allows remote principals (the policy)."""

    catalog: str = "main"
    schema: str = "default"
    principal: Principal = Principal("admin")
    # Session-scoped temporary views: one-part name → query text with every name qualified.
    temp_views: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    policy: AccessPolicy = AccessPolicy()
    # What the principal may do, loaded once per statement by the planner (sql/governance.py).
    access: Access | None = field(default=None, compare=False, hash=False)
    # Relations the engine staged for this session's next statement (rows a client sent, e.g. a
    # Flight SQL ingest), by their reserved `__lakelens_staged_…` names: only these may be read.
    staged: frozenset[str] = field(default_factory=frozenset, compare=False, hash=False)

    @property
    def user(self) -> str:
        return self.principal.name

    @property
    def remote(self) -> bool:
        return self.principal.remote


def full_name(parts: list[str], ctx: SessionContext) -> tuple[str, str, str]:
    """`t` → (cat, schema, t); `s.t` → (cat, s, t); `c.s.t` → (c, s, t)."""
    parts = [p.lower() for p in parts]
    if len(parts) == 1:
        return ctx.catalog, ctx.schema, parts[0]
    if len(parts) == 2:
        return ctx.catalog, parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise InvalidArgument(f"name {'.'.join(parts)!r} has {len(parts)} parts; at most catalog.schema.object")


def schema_name(parts: list[str] | None, ctx: SessionContext) -> tuple[str, str]:
    """`s` → (cat, s); `c.s` → (c, s); None → current."""
    if not parts:
        return ctx.catalog, ctx.schema
    parts = [p.lower() for p in parts]
    if len(parts) == 1:
        return ctx.catalog, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise InvalidArgument(f"schema name {'.'.join(parts)!r} has too many parts; use catalog.schema")


def table_parts(table: exp.Table) -> list[str]:
    """The parts of a table name as written (a 4+-part name keeps all its parts, so that
    `full_name` refuses it rather than resolving a shorter name)."""
    parts = [p.name for p in (table.args.get("catalog"), table.args.get("db")) if p is not None]
    this = table.this
    if isinstance(this, exp.Dot):
        return parts + [p.name for p in this.flatten()]
    return parts + ([this.name] if this is not None else [])


def qualified_table(cat: str, schema: str, name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name), db=exp.to_identifier(schema), catalog=exp.to_identifier(cat))
