"""Planning workspace statements (catalog/workspaces.py holds the model; docs/governance.md).

`CREATE | DROP | ALTER WORKSPACE` are for administrators. `SHOW WORKSPACES` lists every
workspace to an administrator and, to anyone else, the workspaces they belong to.
"""

from __future__ import annotations

from lakelens.catalog import Catalog, InvalidArgument, matches_like
from lakelens.catalog.grants import Access
from lakelens.catalog.workspaces import check_limits

from . import dialect as ll
from .describe import STRING, TS
from .names import SessionContext
from .plans import CatalogCommand, Rows


def plan_workspace(stmt: ll.WorkspaceCommand, catalog: Catalog, ctx: SessionContext):
    action, name = stmt.args["action"], stmt.this.lower()
    verb = {"create": "CREATE", "drop": "DROP"}.get(action, "ALTER")
    ctx.access.require_admin(f"{verb} WORKSPACE")
    if action == "create":
        run = lambda c: c.create_workspace(name, owner=ctx.user, comment=stmt.args.get("comment"),  # noqa: E731
                                           if_not_exists=bool(stmt.args.get("exists")))
    elif action == "drop":
        run = lambda c: c.drop_workspace(name, if_exists=bool(stmt.args.get("exists")))  # noqa: E731
    elif action in ("add", "remove"):
        members = stmt.args["members"]
        run = (lambda c: c.alter_workspace(name, add=members)) if action == "add" else (
            lambda c: c.alter_workspace(name, drop=members))
    elif action in ("bind", "unbind"):
        kind, parts = stmt.args["kind"], [p.lower() for p in stmt.args["target"]]
        if kind == "CATALOG" and len(parts) != 1:
            raise InvalidArgument("BIND CATALOG takes a catalog name")
        if kind == "SCHEMA":
            if len(parts) == 1:
                parts = [ctx.catalog, parts[0]]
            if len(parts) != 2:
                raise InvalidArgument("BIND SCHEMA takes catalog.schema")
        target = [(kind, ".".join(parts))]
        run = (lambda c: c.alter_workspace(name, bind=target)) if action == "bind" else (
            lambda c: c.alter_workspace(name, unbind=target))
    else:
        properties = check_limits(stmt.args["properties"])
        run = lambda c: c.alter_workspace(name, properties=properties)  # noqa: E731
    return CatalogCommand(describe=f"{action} workspace {name}", run=run)


def show_workspaces(catalog: Catalog, like: str | None, access: Access) -> Rows:
    rows = []
    for w in catalog.list_workspaces():
        if not matches_like(w.name, like) or not (access.admin or set(w.members) & access.names):
            continue
        limit = w.limit
        rows.append((w.name, w.owner, list(w.members), [n for _, n in w.catalogs], [n for _, _, n in w.schemas],
                     limit("max_concurrent_queries"), limit("max_gpus"), w.comment, w.created_at))
    return Rows([("workspace_name", STRING), ("owner", STRING), ("members", "array<string>"),
                 ("catalogs", "array<string>"), ("schemas", "array<string>"), ("max_concurrent_queries", "int"),
                 ("max_gpus", "int"), ("comment", STRING), ("created_at", TS)], rows)
