"""Governance statements: users and groups, GRANT/REVOKE, SHOW GRANTS (docs/governance.md).

Who may do what is decided by `Access` (catalog/grants.py). The planner loads it once per
statement (`access_of`) into the `SessionContext`, and resolution and the planner ask it
before they build a plan. A refused statement never reaches Spark.
"""

from __future__ import annotations

import re

from lakelens.catalog import Catalog, InvalidArgument, NotFound, PermissionDenied
from lakelens.catalog.grants import (
    ACCOUNT_USERS,
    CATALOG,
    FUNCTION,
    LOCATION,
    MANAGE,
    SCHEMA,
    SECURABLE_KINDS,
    Access,
    check_privilege,
    object_kind,
)
from lakelens.catalog.locations import canonical, within
from lakelens.catalog.workspaces import WorkspaceView
from lakelens.catalog.model import VIEW, VOLUME

from . import dialect as ll
from .names import SessionContext, full_name, schema_name
from .plans import CatalogCommand, Rows

STRING, BOOL, TS = "string", "boolean", "timestamp"


def access_of(ctx: SessionContext, catalog: Catalog) -> Access:
    """The principal's Access for one statement. The local user of embedded use is trusted with
    everything. A password user who has been removed loses access at their next statement."""
    principal = ctx.principal
    if not principal.remote:
        access = Access.everything(principal.name.lower(), catalog.groups_of(principal.name))
    else:
        access = catalog.access(principal.name)
        if principal.auth == "password" and not access.exists:
            raise PermissionDenied(f"user {principal.name} no longer exists")
    if isinstance(catalog, WorkspaceView):  # still a member? what is bound now?
        catalog.refresh(principal.name, access.names, access.admin)
    return access


# ---------------------------------------------------------------------------- securables
class Securable:
    """One securable named by a GRANT, REVOKE or SHOW GRANTS, resolved in the catalog."""

    def __init__(self, kind: str, key: str, name: str, catalog_id: int | None = None,
                 schema_id: int | None = None, manage=None):
        self.kind, self.key, self.name = kind, key, name
        self.catalog_id, self.schema_id = catalog_id, schema_id
        self._manage = manage  # Access -> bool: whether it may grant on this securable

    def may_manage(self, access: Access) -> bool:
        return access.admin or bool(self._manage and self._manage(access))


def resolve_securable(word: str, name, catalog: Catalog, ctx: SessionContext) -> Securable:
    kind = SECURABLE_KINDS[word]
    if kind == CATALOG:
        cat = catalog.get_catalog(".".join(name))
        return Securable(kind, str(cat.id), cat.name, manage=lambda a: a.on_catalog(cat, MANAGE))
    if kind == SCHEMA:
        sch = catalog.get_schema(*schema_name(name, ctx))
        return Securable(kind, str(sch.id), sch.full_name, catalog_id=sch.catalog_id,
                         manage=lambda a: a.on_schema(sch, MANAGE))
    if kind == FUNCTION:
        from lakelens.udfs import lookup

        found = lookup(".".join(name))
        if found is None:
            raise NotFound("function", f"{'.'.join(name).lower()} (grants apply to lakelens' multimodal "
                                       "functions; SHOW FUNCTIONS lists them)")
        fn = found[0].name  # try_ocr is governed with ocr
        return Securable(kind, fn, fn, manage=lambda a: a.admin or a._held(MANAGE, [(FUNCTION, fn)]))
    if kind == LOCATION:
        root = canonical(str(name))
        if not any(canonical(r) == root for r in ctx.policy.external_roots):
            roots = ""
            if ctx.access.admin:  # the server's configuration is an administrator's business
                roots = f" (the server's storage.external_roots: {', '.join(ctx.policy.external_roots) or 'none'})"
            raise NotFound("path", f"external location {name!r}{roots}")
        return Securable(kind, root, root, manage=lambda a: a.on_location(root, MANAGE))
    info = catalog.get_object(*full_name(name, ctx))
    want = VOLUME if word == "VOLUME" else None
    if want == VOLUME and info.kind != VOLUME or want is None and info.kind == VOLUME:
        raise InvalidArgument(f"{info.full_name} is a {info.kind.lower()}; say ON {info.kind} {info.full_name}",
                              error_class="WRONG_COMMAND_FOR_OBJECT_TYPE", sqlstate="42809")
    return Securable(object_kind(info), str(info.id), info.full_name, catalog_id=info.catalog_id,
                     schema_id=info.schema_id, manage=lambda a: a.on_object(info, MANAGE))


def check_new_owner(catalog: Catalog, ctx: SessionContext, owner: str | None) -> None:
    """OWNER TO: an existing user or group, and (for all but administrators) the caller or a
    group they are in, so nobody hands an object to someone with more rights than theirs."""
    if owner is None:
        return
    if not catalog.principal_exists(owner) or owner.lower() == ACCOUNT_USERS:
        raise NotFound("principal", owner.lower())
    if not ctx.access.admin and owner.lower() not in ctx.access.names:
        raise PermissionDenied(f"user {ctx.user} may hand objects only to themselves or a group they are in, "
                               f"not to {owner.lower()}")


def location_of(path: str, ctx: SessionContext) -> str | None:
    """The external location (a configured root) holding `path`, if any."""
    for root in ctx.policy.external_roots:
        if within(path, root):
            return canonical(root)
    return None


# ---------------------------------------------------------------------------- GRANT / REVOKE
def plan_grant(stmt: ll.GrantStatement, catalog: Catalog, ctx: SessionContext):
    word = stmt.args["kind"]
    target = resolve_securable(word, stmt.this, catalog, ctx)
    privileges = [check_privilege(target.kind, p) for p in stmt.args["privileges"]]
    verb = "REVOKE" if stmt.args.get("revoke") else "GRANT"
    if not target.may_manage(ctx.access):
        raise PermissionDenied(f"user {ctx.user} may not {verb} on {word.lower()} {target.name}: that takes "
                               "its owner, MANAGE on it or an administrator")
    principals = list(stmt.args["principals"])

    def run(c: Catalog) -> None:
        c.change_grants(target.kind, target.key, principals, privileges, grantor=ctx.user,
                        revoke=verb == "REVOKE", catalog_id=target.catalog_id, schema_id=target.schema_id)

    return CatalogCommand(describe=f"{verb.lower()} {', '.join(privileges)} on {target.name}", run=run)


def plan_show_grants(stmt: ll.ShowGrants, catalog: Catalog, ctx: SessionContext) -> Rows:
    """Grants as Databricks shows them: principal, action type, object type, object key. On a
    securable the caller may manage: all of its grants; otherwise only the caller's own."""
    access = ctx.access
    principal = stmt.args.get("principal")
    if principal is not None and principal.lower() not in access.names and not access.admin:
        raise PermissionDenied(f"user {ctx.user} may see only their own grants and their groups'")
    if stmt.args.get("kind"):
        target = resolve_securable(stmt.args["kind"], stmt.this, catalog, ctx)
        rows = catalog.grant_rows(target.kind, target.key)
        if not target.may_manage(access):
            rows = [r for r in rows if r["principal"] in access.names]
        names = {(target.kind, target.key): target.name}
    else:
        rows = catalog.grant_rows(principals=[principal] if principal else None)
        if not access.admin:
            rows = [r for r in rows if r["principal"] in access.names]
        names = catalog.securable_names()
    if principal is not None:
        rows = [r for r in rows if r["principal"] == principal.lower()]
    # Databricks' columns, which dbt-spark reads by name (`standardize_grants_dict`).
    return Rows([("Principal", STRING), ("ActionType", STRING), ("ObjectType", STRING), ("ObjectKey", STRING)],
                [(r["principal"], r["privilege"], r["securable_type"],
                  names.get((r["securable_type"], r["securable_key"]), r["securable_key"])) for r in rows])


# ---------------------------------------------------------------------------- users and groups
def plan_user(stmt: ll.UserCommand, catalog: Catalog, ctx: SessionContext):
    action, name = stmt.args["action"], stmt.this
    self_password = (action == "alter" and stmt.args.get("admin") is None and name.lower() == ctx.user.lower()
                     and ctx.principal.auth in ("password", "os"))  # signed in with the password it changes
    if not self_password:  # a user may change their own password; all else is for admins
        ctx.access.require_admin(f"{action.upper()} USER")
    if name.lower() == ACCOUNT_USERS:
        raise InvalidArgument(f"`{ACCOUNT_USERS}` is a built-in group")
    if action == "create":
        run = (lambda c: c.create_user(name, stmt.args.get("password"), admin=bool(stmt.args.get("admin")),
                                       if_not_exists=bool(stmt.args.get("exists"))))
    elif action == "drop":
        if name.lower() == ctx.user.lower():
            raise InvalidArgument("an administrator cannot drop themselves; another administrator can")
        run = lambda c: c.drop_user(name, if_exists=bool(stmt.args.get("exists")))  # noqa: E731
    else:
        def run(c: Catalog) -> None:
            if name.lower() not in c.list_users():
                raise NotFound("user", name.lower())
            c.set_user(name, stmt.args.get("password"), admin=stmt.args.get("admin"))

    return CatalogCommand(describe=f"{action} user {name}", run=run)


def plan_group(stmt: ll.GroupCommand, catalog: Catalog, ctx: SessionContext):
    action, name = stmt.args["action"], stmt.this
    ctx.access.require_admin(f"{'ALTER' if action in ('add', 'drop') and stmt.args.get('members') else action.upper()} GROUP")
    members = stmt.args.get("members") or []
    if action == "create":
        run = lambda c: c.create_group(name, if_not_exists=bool(stmt.args.get("exists")))  # noqa: E731
    elif action == "drop" and not members:
        run = lambda c: c.drop_group(name, if_exists=bool(stmt.args.get("exists")))  # noqa: E731
    else:
        run = (lambda c: c.alter_group(name, add=members)) if action == "add" else (
            lambda c: c.alter_group(name, drop=members))
    return CatalogCommand(describe=f"{action} group {name}", run=run)


def show_users(catalog: Catalog, like: str | None, access: Access) -> Rows:
    from lakelens.catalog import matches_like

    access.require_admin("SHOW USERS")
    return Rows([("name", STRING), ("admin", BOOL), ("has_password", BOOL), ("created_at", TS)],
                [r for r in catalog.user_rows() if matches_like(r[0], like)])


def show_groups(catalog: Catalog, like: str | None, access: Access) -> Rows:
    from lakelens.catalog import matches_like

    access.require_admin("SHOW GROUPS")
    return Rows([("name", STRING), ("members", "array<string>")],
                [(g, members) for g, members in catalog.group_rows() if matches_like(g, like)])


# ---------------------------------------------------------------------------- statement text
_PASSWORD = re.compile(r"(\bPASSWORD\b\s*)('(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\")", re.IGNORECASE)


def password_secrets(statement: str) -> list[str]:
    """The password literals of a statement (CREATE/ALTER USER): each string token that follows
    the word PASSWORD, whatever comments or spacing lie between; the tokenizer drops comments."""
    if "password" not in statement.lower():
        return []
    from sqlglot.tokens import TokenType

    try:
        tokens = ll.Lakelens().tokenize(statement)
    except Exception:  # noqa: BLE001 - untokenizable text: mask every quoted string after the word
        return [m.group(2)[1:-1] for m in _PASSWORD.finditer(statement)] or re.findall(r"'([^']*)'", statement)
    return [t.text for prev, t in zip(tokens, tokens[1:])
            if prev.text.upper() == "PASSWORD" and t.token_type == TokenType.STRING]


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every occurrence of the secrets masked."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def redact_statement(text: str) -> str:
    """A statement as logs and the audit table keep it: passwords (CREATE/ALTER USER) masked."""
    return redact(_PASSWORD.sub(r"\1'***'", text), password_secrets(text))


_TWO_WORDS = {"CREATE", "DROP", "ALTER", "SHOW", "DESCRIBE", "DESC", "INSERT", "CREATE OR", "USE", "COMMENT", "UNDROP"}


def action_name(statement: str) -> str:
    """The audit log's action for a statement: its leading keywords (`SELECT`, `GRANT`,
    `CREATE TABLE`, `CREATE OR REPLACE VIEW`, `SHOW GRANTS`)."""
    words = re.findall(r"[A-Za-z_]+", re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement, flags=re.S))[:4]
    words = [w.upper() for w in words]
    if not words:
        return "UNKNOWN"
    n = 1
    if words[0] in _TWO_WORDS:
        n = 2
        if words[:3] == ["CREATE", "OR", "REPLACE"]:
            n = 4
    return " ".join(words[:n])


def may_describe(access: Access, info) -> None:
    """DESCRIBE, SHOW COLUMNS, SHOW CREATE TABLE: any privilege on the object, BROWSE included."""
    if not access.sees_object(info):
        kind = "view" if info.kind == VIEW else info.kind.lower()
        raise PermissionDenied(f"user {access.user} lacks BROWSE on {kind} {info.full_name}")


def denied_use(ctx: SessionContext, privilege: str, what: str) -> PermissionDenied:
    from lakelens.catalog.grants import denied

    return denied(ctx.user, privilege, what)
