"""Workspaces: a named space where a team works on the data bound to it (docs/governance.md).

A workspace has members (users and groups), bindings (whole catalogs, or single schemas) and
limits (`max_concurrent_queries`, `max_gpus`). A session opened in a workspace sees only what
is bound to it: `WorkspaceView` wraps the catalog so that every name lookup and listing the
planner makes answers as if nothing else existed (`NOT_FOUND`, never a hint at the rest).
Sharing data with another team is binding it to their workspace too: no copy. Grants still
decide what each member may do with what is bound; administrators are bound like everyone.
A session opened without a workspace sees the whole metastore, as before workspaces.

`Workspaces` is a mixin of `Catalog` (definitions, members, bindings); `WorkspaceView` is what
a session in a workspace plans and runs against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from .model import CatalogInfo, ObjectInfo, SchemaInfo
from .tables import catalogs, schemas, workspace_bindings, workspace_members, workspaces
from .volumes import parse_volume_path

LIMITS = {"max_concurrent_queries": "statements running at once in the workspace (more wait)",
          "max_gpus": "GPUs its statements' Ray actor pools may hold (0: no GPU-class function on a GPU)"}


@dataclass(frozen=True)
class WorkspaceInfo:
    id: int
    name: str
    owner: str
    comment: str | None
    properties: dict
    members: tuple[str, ...] = ()
    catalogs: tuple[tuple[int, str], ...] = ()                 # (catalog id, name): bound whole
    schemas: tuple[tuple[int, int, str], ...] = ()             # (schema id, catalog id, "cat.schema")
    created_at: datetime | None = None

    def limit(self, key: str) -> int | None:
        raw = self.properties.get(key)
        return None if raw in (None, "") else int(raw)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_limits(properties: dict) -> dict:
    """Workspace properties: the known limits, each a whole number >= 0 ('' unsets one)."""
    out = {}
    for key, value in properties.items():
        key = key.lower()
        if key not in LIMITS:
            raise InvalidArgument(f"unknown workspace property {key!r}; known: {', '.join(sorted(LIMITS))}")
        value = str(value).strip()
        if value and not (value.isascii() and value.isdecimal()):
            raise InvalidArgument(f"{key} must be a whole number >= 0, got {value!r}")
        if key == "max_concurrent_queries" and value and int(value) < 1:
            raise InvalidArgument(f"{key} must be at least 1 (or '' for no limit), got {value!r}")
        out[key] = value
    return out


class Workspaces:
    """Mixin of `Catalog`: workspace definitions, members and bindings."""

    def create_workspace(self, name: str, *, owner: str, comment: str | None = None,
                         properties: dict | None = None, if_not_exists: bool = False) -> WorkspaceInfo:
        name = name.lower()
        now = _now()
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(workspaces.c.id).where(workspaces.c.name == name)).first():
                    if if_not_exists:
                        return self.get_workspace(name)
                    raise AlreadyExists("workspace", name)
                conn.execute(workspaces.insert().values(
                    name=name, owner=owner, comment=comment, properties=json.dumps(check_limits(properties or {})),
                    created_at=now, updated_at=now))
        except IntegrityError:
            if not if_not_exists:
                raise AlreadyExists("workspace", name) from None
        return self.get_workspace(name)

    def _workspace_row(self, conn, name: str):
        row = conn.execute(sa.select(workspaces).where(workspaces.c.name == name.lower())).first()
        if row is None:
            raise NotFound("workspace", name.lower())
        return row

    def get_workspace(self, name: str) -> WorkspaceInfo:
        with self.engine.connect() as conn:
            return self._workspace_info(conn, self._workspace_row(conn, name))

    def _workspace_info(self, conn, row) -> WorkspaceInfo:
        members = conn.execute(sa.select(workspace_members.c.principal).where(
            workspace_members.c.workspace_id == row.id).order_by(workspace_members.c.principal)).scalars().all()
        bound = conn.execute(sa.select(workspace_bindings.c.securable_type, workspace_bindings.c.securable_id)
                             .where(workspace_bindings.c.workspace_id == row.id)).all()
        cat_ids = [b.securable_id for b in bound if b.securable_type == "CATALOG"]
        sch_ids = [b.securable_id for b in bound if b.securable_type == "SCHEMA"]
        cats = conn.execute(sa.select(catalogs.c.id, catalogs.c.name).where(catalogs.c.id.in_(cat_ids))).all() \
            if cat_ids else []
        schs = conn.execute(sa.select(schemas.c.id, schemas.c.catalog_id, catalogs.c.name.label("cat"), schemas.c.name)
                            .join(catalogs, schemas.c.catalog_id == catalogs.c.id)
                            .where(schemas.c.id.in_(sch_ids))).all() if sch_ids else []
        return WorkspaceInfo(row.id, row.name, row.owner, row.comment, json.loads(row.properties or "{}"),
                             tuple(members), tuple(sorted((c.id, c.name) for c in cats)),
                             tuple(sorted(((s.id, s.catalog_id, f"{s.cat}.{s.name}") for s in schs), key=lambda t: t[2])),
                             row.created_at)

    def list_workspaces(self) -> list[WorkspaceInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(workspaces).order_by(workspaces.c.name)).all()
            return [self._workspace_info(conn, r) for r in rows]

    def drop_workspace(self, name: str, *, if_exists: bool = False) -> None:
        with self.engine.begin() as conn:
            try:
                row = self._workspace_row(conn, name)
            except NotFound:
                if if_exists:
                    return
                raise
            conn.execute(workspace_members.delete().where(workspace_members.c.workspace_id == row.id))
            conn.execute(workspace_bindings.delete().where(workspace_bindings.c.workspace_id == row.id))
            conn.execute(workspaces.delete().where(workspaces.c.id == row.id))

    def alter_workspace(self, name: str, *, add: Sequence[str] = (), drop: Sequence[str] = (),
                        bind: Sequence[tuple[str, str]] = (), unbind: Sequence[tuple[str, str]] = (),
                        properties: dict | None = None) -> WorkspaceInfo:
        """Members in `add`/`drop` (users or groups); `bind`/`unbind` are ("CATALOG", name) or
        ("SCHEMA", "catalog.schema"); `properties` set limits ('' unsets one)."""
        for p in add:
            if not self.principal_exists(p):
                raise NotFound("principal", p.lower())
        with self.engine.begin() as conn:
            row = self._workspace_row(conn, name)
            for p in add:
                if not conn.execute(sa.select(workspace_members.c.principal).where(
                        workspace_members.c.workspace_id == row.id, workspace_members.c.principal == p.lower())).first():
                    conn.execute(workspace_members.insert().values(workspace_id=row.id, principal=p.lower()))
            for p in drop:
                conn.execute(workspace_members.delete().where(workspace_members.c.workspace_id == row.id,
                                                              workspace_members.c.principal == p.lower()))
            for kind, target in bind:
                key = self._binding_key(conn, kind, target)
                if not conn.execute(sa.select(workspace_bindings.c.workspace_id).where(
                        workspace_bindings.c.workspace_id == row.id, workspace_bindings.c.securable_type == kind,
                        workspace_bindings.c.securable_id == key)).first():
                    conn.execute(workspace_bindings.insert().values(workspace_id=row.id, securable_type=kind,
                                                                    securable_id=key))
            for kind, target in unbind:
                key = self._binding_key(conn, kind, target)
                conn.execute(workspace_bindings.delete().where(
                    workspace_bindings.c.workspace_id == row.id, workspace_bindings.c.securable_type == kind,
                    workspace_bindings.c.securable_id == key))
            if properties:
                merged = {**json.loads(row.properties or "{}"), **check_limits(properties)}
                merged = {k: v for k, v in merged.items() if v != ""}
                conn.execute(workspaces.update().where(workspaces.c.id == row.id).values(
                    properties=json.dumps(merged), updated_at=_now()))
        return self.get_workspace(name)

    def _binding_key(self, conn, kind: str, target: str) -> int:
        if kind == "CATALOG":
            return self._catalog_row(conn, target).id
        cat, _, sch = target.partition(".")
        return self._schema_row(conn, cat, sch)[1].id

    def unbind_everywhere(self, conn, kind: str, ids: Iterable[int]) -> None:
        """A dropped catalog or schema leaves every workspace (so a re-created name is not bound)."""
        ids = list(ids)
        if ids:
            conn.execute(workspace_bindings.delete().where(workspace_bindings.c.securable_type == kind,
                                                           workspace_bindings.c.securable_id.in_(ids)))


def _hidden(error: NotFound) -> NotFound:
    """The same miss without its suggestion: a close name could be one outside the workspace."""
    return NotFound(error.kind, error.name)


# What passes through a WorkspaceView unchanged: methods that take no catalog or schema name
# (objects already resolved through the view, ids it handed out, users, groups, grants by key,
# workspaces themselves, which are administrators' business) and plain attributes. Anything
# else a caller reaches for fails loudly instead of quietly seeing the whole metastore.
_PASS_THROUGH = frozenset("""
abort_table access alter_group alter_workspace audit audit_rows begin_replace cancel_replace
change_grants check_password commit_table create_group create_user create_workspace drop_group
drop_object drop_user drop_workspace external_location file_keeper file_versions finish_replace
get_workspace group_rows groups_of has_admin list_users list_versions list_workspaces
managed_location new_storage_key principal_exists purge_dropped purge_versions record_lineage
recycle_dir restore_file retention_days set_user undrop update_object user_rows version_path
engine url warehouse protected default_owner storage local_root
""".split())


@dataclass(frozen=True)
class _Bound:
    """What a workspace binds, by id and by name: catalogs bound whole, single schemas, and the
    catalogs holding those schemas (visible, but only in part)."""

    cat_ids: frozenset = frozenset()
    sch_ids: frozenset = frozenset()
    partial: frozenset = frozenset()
    cat_names: frozenset = frozenset()
    sch_names: frozenset = frozenset()

    @classmethod
    def of(cls, info: WorkspaceInfo) -> "_Bound":
        return cls(frozenset(c for c, _ in info.catalogs), frozenset(s for s, _, _ in info.schemas),
                   frozenset(c for _, c, _ in info.schemas), frozenset(n for _, n in info.catalogs),
                   frozenset(n for _, _, n in info.schemas))


class WorkspaceView:
    """The catalog as a session in one workspace sees it: only the catalogs and schemas bound
    to the workspace exist. Methods that take names check them; the rest of the catalog's
    surface passes through only if listed in `_PASS_THROUGH` (deny by default)."""

    def __init__(self, catalog, workspace: str):
        self._catalog = catalog
        self.workspace_name = workspace.lower()
        self.info: WorkspaceInfo | None = None
        self._bound = _Bound()

    def __getattr__(self, name):
        if name in _PASS_THROUGH:
            return getattr(self._catalog, name)
        raise AttributeError(f"{name} is not available inside a workspace (catalog/workspaces.py)")

    # ------------------------------------------------------------------ membership
    def refresh(self, user: str, names: Iterable[str], admin: bool) -> WorkspaceInfo:
        """Reload the workspace (once per statement): its bindings, and whether `user` (known
        by `names`: themselves, their groups, `account users`) may still work in it. A user
        who may not — or a workspace that does not exist — gets the same refusal."""
        try:
            info = self._catalog.get_workspace(self.workspace_name)
        except NotFound:
            info = None
        if info is None or not (admin or set(info.members) & {n.lower() for n in names}):
            raise PermissionDenied(f"user {user} may not use workspace {self.workspace_name}")
        self._bound = _Bound.of(info)  # one snapshot, swapped in at once: old or new, never a mix
        self.info = info
        return info

    def _state(self) -> WorkspaceInfo:
        if self.info is None:
            raise PermissionDenied(f"workspace {self.workspace_name} is not open")
        return self.info

    # -- what is bound ---------------------------------------------------------------
    def binds_catalog(self, cat_id: int) -> bool:
        self._state()
        bound = self._bound
        return cat_id in bound.cat_ids or cat_id in bound.partial

    def binds_schema(self, catalog_id: int, schema_id: int) -> bool:
        self._state()
        bound = self._bound
        return catalog_id in bound.cat_ids or schema_id in bound.sch_ids

    def binds_name(self, full_name: str) -> bool:
        """A `catalog.schema[.object]` name inside what is bound."""
        self._state()
        parts = full_name.split(".")
        bound = self._bound
        return parts[0] in bound.cat_names or ".".join(parts[:2]) in bound.sch_names

    # -- lookups ---------------------------------------------------------------------
    def get_catalog(self, name: str) -> CatalogInfo:
        try:
            cat = self._catalog.get_catalog(name)
        except NotFound as e:
            raise _hidden(e) from None
        if not self.binds_catalog(cat.id):
            raise NotFound("catalog", cat.name)
        return cat

    def get_schema(self, catalog: str, name: str) -> SchemaInfo:
        self.get_catalog(catalog)
        try:
            sch = self._catalog.get_schema(catalog, name)
        except NotFound as e:
            raise _hidden(e) from None
        if not self.binds_schema(sch.catalog_id, sch.id):
            raise NotFound("schema", sch.full_name)
        return sch

    def get_object(self, catalog: str, schema: str, name: str, **kwargs) -> ObjectInfo:
        self.get_schema(catalog, schema)
        return self._catalog.get_object(catalog, schema, name, **kwargs)

    def list_catalogs(self, like: str | None = None) -> list[CatalogInfo]:
        return [c for c in self._catalog.list_catalogs(like) if self.binds_catalog(c.id)]

    def list_schemas(self, catalog: str, like: str | None = None) -> list[SchemaInfo]:
        self.get_catalog(catalog)
        return [s for s in self._catalog.list_schemas(catalog, like) if self.binds_schema(s.catalog_id, s.id)]

    def list_objects(self, catalog: str, schema: str | None = None, **kwargs) -> list[ObjectInfo]:
        if schema is not None:
            self.get_schema(catalog, schema)
        else:
            self.get_catalog(catalog)
        return [o for o in self._catalog.list_objects(catalog, schema, **kwargs)
                if self.binds_schema(o.catalog_id, o.schema_id)]

    def open_volume(self, path: str, by: str | None = None):
        vp = parse_volume_path(path)
        self.get_schema(vp.catalog, vp.schema)
        return self._catalog.open_volume(path, by=by)

    def dropped(self, *args, **kwargs) -> list[dict]:
        return [e for e in self._catalog.dropped(*args, **kwargs)
                if self.binds_schema(e["info"].catalog_id, e["info"].schema_id)]

    # -- what names other things ----------------------------------------------------------
    def lineage_rows(self) -> list[dict]:
        return [r for r in self._catalog.lineage_rows()
                if self.binds_name(r["source_table_full_name"]) and self.binds_name(r["target_table_full_name"])]

    def column_lineage_rows(self) -> list[dict]:
        return [r for r in self._catalog.column_lineage_rows()
                if self.binds_name(r["source_table_full_name"]) and self.binds_name(r["target_table_full_name"])]

    def lineage_of(self, full_name: str) -> dict[str, list[str]]:
        return {k: [n for n in v if self.binds_name(n)] for k, v in self._catalog.lineage_of(full_name).items()}

    def securable_names(self) -> dict[tuple[str, str], str]:
        def bound(kind: str, name: str) -> bool:
            if kind == "CATALOG":
                return name in self._bound.cat_names or any(s.startswith(name + ".") for s in self._bound.sch_names)
            return kind not in ("SCHEMA", "TABLE", "VOLUME") or self.binds_name(name)

        self._state()
        return {k: v for k, v in self._catalog.securable_names().items() if bound(k[0], v)}

    def grant_rows(self, *args, **kwargs) -> list[dict]:
        rows = self._catalog.grant_rows(*args, **kwargs)
        out = []
        for r in rows:
            kind = r["securable_type"]
            if kind == "CATALOG" and not self.binds_catalog(int(r["securable_key"])):
                continue
            if kind == "SCHEMA" and not self.binds_schema(r["catalog_id"] or 0, int(r["securable_key"])):
                continue
            if kind in ("TABLE", "VOLUME") and not self.binds_schema(r["catalog_id"] or 0, r["schema_id"] or 0):
                continue
            out.append(r)
        return out

    # -- changing what is bound ----------------------------------------------------------
    def drop_catalog(self, name: str, *, if_exists: bool = False, **kwargs) -> None:
        try:
            self.get_catalog(name)
        except NotFound:
            if if_exists:
                return
            raise
        self._catalog.drop_catalog(name, if_exists=if_exists, **kwargs)

    def alter_catalog(self, name: str, **kwargs) -> CatalogInfo:
        self.get_catalog(name)
        return self._catalog.alter_catalog(name, **kwargs)

    def drop_schema(self, catalog: str, name: str, *, if_exists: bool = False, **kwargs) -> None:
        try:
            self.get_schema(catalog, name)
        except NotFound as e:
            if if_exists and e.kind == "schema":
                return
            raise
        self._catalog.drop_schema(catalog, name, if_exists=if_exists, **kwargs)

    def alter_schema(self, catalog: str, name: str, **kwargs) -> SchemaInfo:
        self.get_schema(catalog, name)
        return self._catalog.alter_schema(catalog, name, **kwargs)

    def create_view(self, catalog: str, schema: str, name: str, **kwargs) -> ObjectInfo:
        self.get_schema(catalog, schema)
        return self._catalog.create_view(catalog, schema, name, **kwargs)

    def create_volume(self, catalog: str, schema: str, name: str, **kwargs) -> ObjectInfo:
        self.get_schema(catalog, schema)
        return self._catalog.create_volume(catalog, schema, name, **kwargs)

    def reserve_table(self, catalog: str, schema: str, name: str, **kwargs) -> ObjectInfo:
        self.get_schema(catalog, schema)
        return self._catalog.reserve_table(catalog, schema, name, **kwargs)

    # -- creating inside the workspace -------------------------------------------------
    def create_catalog(self, name: str, *, if_not_exists: bool = False, **kwargs) -> CatalogInfo:
        """A catalog created in a workspace is bound to it (or it could not be seen). A name
        taken outside the workspace is refused, never bound (binding is an administrator's)."""
        try:
            existing = self._catalog.get_catalog(name)
        except NotFound:
            existing = None
        if existing is not None:
            if if_not_exists and self.binds_catalog(existing.id):
                return existing
            raise AlreadyExists("catalog", existing.name, "the name is taken" if not self.binds_catalog(existing.id)
                                else "")
        cat = self._catalog.create_catalog(name, **kwargs)
        self._catalog.alter_workspace(self.workspace_name, bind=[("CATALOG", cat.name)])
        return cat

    def create_schema(self, catalog: str, name: str, *, if_not_exists: bool = False, **kwargs) -> SchemaInfo:
        """In a catalog bound whole, as anywhere; in one only some schemas of which are bound,
        the new schema is bound too. A name taken by an unbound schema is refused, not bound."""
        cat = self.get_catalog(catalog)
        try:
            existing = self._catalog.get_schema(catalog, name)
        except NotFound:
            existing = None
        if existing is not None:
            if if_not_exists and self.binds_schema(existing.catalog_id, existing.id):
                return existing
            raise AlreadyExists("schema", existing.full_name,
                                "" if self.binds_schema(existing.catalog_id, existing.id) else "the name is taken")
        sch = self._catalog.create_schema(catalog, name, **kwargs)
        if cat.id not in self._bound.cat_ids:
            self._catalog.alter_workspace(self.workspace_name, bind=[("SCHEMA", sch.full_name)])
        return sch
