"""Privileges: what each securable accepts, and what one principal holds (docs/governance.md).

The model is Unity Catalog's. A grant gives a user or a group one privilege on one securable.
Grants on a catalog or a schema apply to everything inside it, now and later. To reach an
object you also need USE CATALOG on its catalog and USE SCHEMA on its schema. The owner of a
securable holds every privilege on it. Ownership does not cascade: owning a catalog does not
give SELECT on its tables. It does let you manage them (grant, drop, change owners), as MANAGE
does. Admins hold everything. Everyone is in the built-in group `account users`.

`Access` is one principal's view, loaded once per statement (`Catalog.access`). The planner
asks it questions, and it answers from memory without going back to the metastore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from .errors import InvalidArgument, PermissionDenied
from .model import VIEW, VOLUME, CatalogInfo, ObjectInfo, SchemaInfo

ACCOUNT_USERS = "account users"  # every principal is a member (Databricks' name)

CATALOG, SCHEMA, TABLE_S, VOLUME_S, FUNCTION, LOCATION = (
    "CATALOG", "SCHEMA", "TABLE", "VOLUME", "FUNCTION", "EXTERNAL LOCATION")
ALL = "ALL PRIVILEGES"
MANAGE = "MANAGE"

_CHILD = {"USE SCHEMA", "BROWSE", "CREATE TABLE", "CREATE VOLUME", "CREATE FUNCTION", "SELECT", "MODIFY",
          "READ VOLUME", "WRITE VOLUME", "EXECUTE", MANAGE, ALL}
# What each kind of securable accepts in GRANT/REVOKE (a view takes a table's privileges).
PRIVILEGES: dict[str, frozenset[str]] = {
    CATALOG: frozenset(_CHILD | {"USE CATALOG", "CREATE SCHEMA"}),
    SCHEMA: frozenset(_CHILD),
    TABLE_S: frozenset({"SELECT", "MODIFY", MANAGE, ALL}),
    VOLUME_S: frozenset({"READ VOLUME", "WRITE VOLUME", MANAGE, ALL}),
    FUNCTION: frozenset({"EXECUTE", MANAGE, ALL}),
    LOCATION: frozenset({"CREATE EXTERNAL TABLE", "CREATE EXTERNAL VOLUME", "BROWSE", MANAGE, ALL}),
}
# Privileges on a catalog or schema that do not reveal its contents (SHOW lists a child only
# to those holding something on it, or BROWSE, SELECT, ... on a parent).
_DOORS = frozenset({"USE CATALOG", "USE SCHEMA", "CREATE SCHEMA", "CREATE TABLE", "CREATE VOLUME",
                    "CREATE FUNCTION"})
SECURABLE_KINDS = {"CATALOG": CATALOG, "SCHEMA": SCHEMA, "DATABASE": SCHEMA, "TABLE": TABLE_S, "VIEW": TABLE_S,
                   "VOLUME": VOLUME_S, "FUNCTION": FUNCTION, "EXTERNAL LOCATION": LOCATION}


def check_privilege(kind: str, privilege: str) -> str:
    """The privilege, normalised, or InvalidArgument naming what `kind` accepts."""
    privilege = " ".join(privilege.upper().split())
    if privilege == "ALL":
        privilege = ALL
    if privilege not in PRIVILEGES[kind]:
        raise InvalidArgument(f"{privilege} cannot be granted on a {kind.lower()}; it accepts "
                              f"{', '.join(sorted(PRIVILEGES[kind]))}", error_class="INVALID_PRIVILEGE",
                              sqlstate="0LP01")
    return privilege


def object_kind(info: ObjectInfo) -> str:
    return VOLUME_S if info.kind == VOLUME else TABLE_S


def denied(user: str, privilege: str, what: str) -> PermissionDenied:
    """`what` is "<kind> <name>"; the error keeps the name for the audit log (`securable`)."""
    error = PermissionDenied(f"user {user} lacks {privilege} on {what}")
    error.securable = what.split(" ", 1)[-1]
    return error


@dataclass
class Access:
    """What one principal may do, as loaded from the metastore for one statement.

    `names`: the user, their groups and `account users`. `grants`: (securable kind, key) →
    privileges held through any of those names. The key is a catalog, schema or object id,
    a function name, or an external location's path. `owned_catalogs`/`owned_schemas`: ids
    they own. `child_catalogs`/`child_schemas`: ids of catalogs and schemas holding something
    they own or hold a grant on, which makes the parent visible to them. `governed_functions`:
    functions whose EXECUTE an admin has restricted; every other function is open to all."""

    user: str
    admin: bool = False
    exists: bool = True
    names: frozenset[str] = frozenset()
    grants: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    owned_catalogs: set[int] = field(default_factory=set)
    owned_schemas: set[int] = field(default_factory=set)
    child_catalogs: set[int] = field(default_factory=set)
    child_schemas: set[int] = field(default_factory=set)
    governed_functions: set[str] = field(default_factory=set)
    # Reads the parents of the objects they own (a scan of the objects table), which only the
    # visibility questions need: loaded on first use, not for every statement.
    owned_parents: Callable[[], Iterable[tuple[int, int]]] | None = field(default=None, repr=False, compare=False)

    def _load_owned_parents(self) -> None:
        if self.owned_parents is not None:
            load, self.owned_parents = self.owned_parents, None
            for schema_id, catalog_id in load():
                self.child_schemas.add(schema_id)
                self.child_catalogs.add(catalog_id)

    @classmethod
    def everything(cls, user: str, groups: Iterable[str] = ()) -> "Access":
        """A principal trusted with everything: the local user of embedded use (a member of
        `groups`, for is_account_group_member)."""
        return cls(user, admin=True, names=frozenset({user, ACCOUNT_USERS, *groups}))

    # -- facts ----------------------------------------------------------------------
    def owns(self, owner: str | None) -> bool:
        return self.admin or (owner or "").lower() in self.names

    def member_of(self, group: str) -> bool:
        return group.lower() in self.names and group.lower() != self.user

    def _held(self, privilege: str, keys: Iterable[tuple[str, str]]) -> bool:
        for key in keys:
            held = self.grants.get(key)
            if held and (privilege in held or (ALL in held and privilege != MANAGE)):
                return True
        return False

    @staticmethod
    def _chain(info: ObjectInfo) -> list[tuple[str, str]]:
        return [(object_kind(info), str(info.id)), (SCHEMA, str(info.schema_id)), (CATALOG, str(info.catalog_id))]

    # -- privileges -----------------------------------------------------------------
    def on_catalog(self, cat: CatalogInfo, privilege: str) -> bool:
        return self.admin or self.owns(cat.owner) or self._held(privilege, [(CATALOG, str(cat.id))])

    def on_schema(self, sch: SchemaInfo, privilege: str) -> bool:
        if self.admin or self.owns(sch.owner):
            return True
        if privilege == MANAGE and sch.catalog_id in self.owned_catalogs:
            return True
        return self._held(privilege, [(SCHEMA, str(sch.id)), (CATALOG, str(sch.catalog_id))])

    def on_object(self, info: ObjectInfo, privilege: str) -> bool:
        if self.admin or self.owns(info.owner):
            return True
        if privilege == MANAGE and (info.schema_id in self.owned_schemas or info.catalog_id in self.owned_catalogs):
            return True
        return self._held(privilege, self._chain(info))

    def uses(self, catalog_id: int, schema_id: int | None = None) -> bool:
        """USE CATALOG on the catalog (and USE SCHEMA on the schema): what reaching a child needs."""
        if self.admin:
            return True
        cat_ok = catalog_id in self.owned_catalogs or self._held("USE CATALOG", [(CATALOG, str(catalog_id))])
        if not cat_ok or schema_id is None:
            return cat_ok
        return schema_id in self.owned_schemas or self._held(
            "USE SCHEMA", [(SCHEMA, str(schema_id)), (CATALOG, str(catalog_id))])

    def may_execute(self, function: str) -> bool:
        function = function.lower()
        return self.admin or function not in self.governed_functions or self._held(
            "EXECUTE", [(FUNCTION, function)])

    def on_location(self, root: str, privilege: str) -> bool:
        return self.admin or self._held(privilege, [(LOCATION, root)])

    # -- visibility (SHOW, DESCRIBE, metadata calls, information_schema) -----------------
    def _shows_children(self, key: tuple[str, str]) -> bool:
        """Whether grants on a catalog or schema reveal what is inside it: any privilege but the
        ones that only open a door (USE) or let one add to it (CREATE ...)."""
        return any(p not in _DOORS for p in self.grants.get(key, ()))

    def sees_catalog(self, cat: CatalogInfo) -> bool:
        self._load_owned_parents()
        return (self.admin or self.owns(cat.owner) or cat.id in self.child_catalogs
                or bool(self.grants.get((CATALOG, str(cat.id)))))

    def sees_schema(self, sch: SchemaInfo) -> bool:
        self._load_owned_parents()
        return (self.admin or self.owns(sch.owner) or sch.catalog_id in self.owned_catalogs
                or sch.id in self.child_schemas or bool(self.grants.get((SCHEMA, str(sch.id))))
                or self._shows_children((CATALOG, str(sch.catalog_id))))

    def sees_object(self, info: ObjectInfo) -> bool:
        if self.admin or self.owns(info.owner) or info.schema_id in self.owned_schemas \
                or info.catalog_id in self.owned_catalogs:
            return True
        return bool(self.grants.get((object_kind(info), str(info.id)))) or self._shows_children(
            (SCHEMA, str(info.schema_id))) or self._shows_children((CATALOG, str(info.catalog_id)))

    # -- refusals -------------------------------------------------------------------
    def require_object(self, info: ObjectInfo, privilege: str) -> None:
        """`privilege` on a table, view or volume, and the USE privileges of its parents."""
        if self.admin:
            return
        if not self.uses(info.catalog_id):
            raise denied(self.user, "USE CATALOG", f"catalog {info.catalog}")
        if not self.uses(info.catalog_id, info.schema_id):
            raise denied(self.user, "USE SCHEMA", f"schema {info.catalog}.{info.schema}")
        if not self.on_object(info, privilege):
            kind = "view" if info.kind == VIEW else info.kind.lower()
            raise denied(self.user, privilege, f"{kind} {info.full_name}")

    def require_schema(self, sch: SchemaInfo, privilege: str) -> None:
        if self.admin:
            return
        if not self.uses(sch.catalog_id):
            raise denied(self.user, "USE CATALOG", f"catalog {sch.catalog}")
        if privilege != MANAGE and not self.uses(sch.catalog_id, sch.id):
            raise denied(self.user, "USE SCHEMA", f"schema {sch.full_name}")
        if not self.on_schema(sch, privilege):
            raise denied(self.user, privilege, f"schema {sch.full_name}")

    def require_catalog(self, cat: CatalogInfo, privilege: str) -> None:
        if self.admin:
            return
        if privilege != MANAGE and privilege != "USE CATALOG" and not self.uses(cat.id):
            raise denied(self.user, "USE CATALOG", f"catalog {cat.name}")
        if not self.on_catalog(cat, privilege):
            raise denied(self.user, privilege, f"catalog {cat.name}")

    def require_admin(self, what: str) -> None:
        if not self.admin:
            raise PermissionDenied(f"{what} is for administrators; user {self.user} is not one")
