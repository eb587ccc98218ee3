"""The unified catalog: catalogs, schemas, tables, views and volumes in one metastore.

The metastore is a relational database reached through SQLAlchemy: a SQLite file by
default (WAL mode, so concurrent sessions and processes read while one writes) or
PostgreSQL when a ``postgresql://`` URL is configured. Names are case-insensitive and
stored lower-case, as in Spark and Unity Catalog. Uniqueness is enforced by the
database, so when two sessions create the same name one wins and the other gets
``AlreadyExists``.

Tables are created in two steps so that a failing CTAS leaves nothing behind: the
name is *reserved* (status ``CREATING``, invisible to readers), the engine writes the
data, then the table is *committed* with its columns or *aborted* (row and files
removed).
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import logging
import os
import shutil
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .errors import AlreadyExists, InvalidArgument, LakelensError, NotEmpty, NotFound, Unsupported
from .locations import check_external_location
from .object_volumes import ObjectVolumeFiles
from .storage import Storage, is_object_store, join, normalize, url_within
from .principals import AccessPolicy, Principal
from .users import hash_password, needs_rehash, password_matches
from .recycle import DEFAULT_RETENTION_DAYS, RecycleBin
from .workspaces import Workspaces
from .volumes import VolumeFiles, parse_volume_path
from .tables import (_meta, audit, catalogs, column_lineage, dropped_objects, governed_functions, grants,
                     group_members, groups, lineage, objects, schemas, users)
from .model import (
    ICEBERG_NAMESPACE,
    iceberg_table_name,
    EXTERNAL,
    MANAGED,
    TABLE,
    VIEW,
    VOLUME,
    CatalogInfo,
    Column,
    ObjectInfo,
    SchemaInfo,
)

def _lineage_names(conn, old: str, new: str | None) -> None:
    """Lineage is kept by name: when `old` (an object's full name, or a catalog or schema as
    `prefix.`) goes, its edges go too, or move to `new`, so that a later object of that name
    never inherits (or shows) another's history."""
    for table in (lineage, column_lineage):
        for column in (table.c.source, table.c.target):
            match = column.startswith(old, autoescape=True) if old.endswith(".") else column == old
            if new is None:
                conn.execute(table.delete().where(match))
                continue
            for row in conn.execute(sa.select(table.c.id, column).where(match)).all():
                conn.execute(table.update().where(table.c.id == row.id).values(
                    {column.name: new + row[1][len(old):]}))


ACTIVE, CREATING = "ACTIVE", "CREATING"
# Columns added after a release, with their DDL: added to older metastores when opened.
_ADDED_COLUMNS = {"objects": {"pending": "TEXT"}, "users": {"admin": "BOOLEAN NOT NULL DEFAULT FALSE"},
                  "lineage": {"source_type": "VARCHAR(16)", "source_path": "VARCHAR(1024)",
                              "target_type": "VARCHAR(16)", "statement_id": "VARCHAR(64)"}}


def _start_time(pid: str = "self") -> str | None:
    """A process's start time (Linux: clock ticks since boot), so that a pid reused by a later
    process is not taken for the one that wrote a reservation; None when it is not running."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


log = logging.getLogger(__name__)
_HOST = socket.gethostname()
PROCESS_ID = f"{_HOST}:{os.getpid()}:{_start_time() or '0'}"


def _canonical(location: str) -> str:
    return normalize(location) if is_object_store(location) else str(Path(location).resolve())


def _backup_of(staged: str) -> str:
    """Where an external table's old data waits while a replacement is swapped in."""
    return f"{staged}.old"


def _process_alive(ident: str) -> bool | None:
    """Whether the process named by a PROCESS_ID still runs; None when it ran on another host."""
    host, _, rest = ident.partition(":")
    pid, _, start = rest.partition(":")
    if host != _HOST:
        return None
    if ident == PROCESS_ID:
        return True
    return pid.isdigit() and _start_time(pid) == start


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _norm(name: str) -> str:
    if not name or not str(name).strip():
        raise InvalidArgument("empty name")
    return str(name).strip().lower()


def like_to_glob(pattern: str) -> str:
    """Spark's SHOW ... LIKE patterns use `*` and `|`; SQL LIKE uses `%` and `_`."""
    return pattern.lower().replace("%", "*").replace("_", "?") if "%" in pattern else pattern.lower()


def matches_like(name: str, pattern: str | None) -> bool:
    if not pattern:
        return True
    return any(fnmatch.fnmatchcase(name, like_to_glob(p.strip())) for p in pattern.split("|"))


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Catalog(RecycleBin, Workspaces):
    """Access to the metastore. Thread-safe; share one per process and home."""

    def __init__(self, url: str, warehouse: str | os.PathLike, default_owner: str = "admin",
                 default_catalog: str = "main", default_schema: str = "default",
                 protected: Sequence[tuple[str, str | os.PathLike]] = (),
                 retention_days: float = DEFAULT_RETENTION_DAYS, storage: Storage | None = None,
                 local_root: str | os.PathLike | None = None):
        self.url = url
        # Filesystems for locations (storage.py): the s3a settings of object storage.
        self.storage = storage or Storage()
        # A local directory (a Path) or an object store URL (`s3://bucket/prefix`, a str).
        self.warehouse = normalize(warehouse) if is_object_store(warehouse) else Path(warehouse)
        # Where kept versions of local volumes' files go when the warehouse is on object storage.
        self.local_root = Path(local_root) if local_root else None
        # How long DROP and REMOVE keep what they took (recycle.py); 0 keeps nothing.
        self.retention_days = retention_days
        # Directories no external location may overlap (besides the warehouse and other objects).
        self.protected = [("the warehouse", self.warehouse), *protected]
        self.default_owner = default_owner
        if url.startswith("sqlite"):
            self.engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        _meta.create_all(self.engine)
        # A metastore from before grants (its users had no admin flag) gets the defaults a
        # fresh home has, so its clients' `USE default` keeps working.
        upgraded = ("users", "admin") in self._add_columns()
        self.ensure_defaults(default_catalog, default_schema, default_grants=upgraded)

    def _add_columns(self) -> set[tuple[str, str]]:
        inspector = sa.inspect(self.engine)
        added = set()
        for table, columns in _ADDED_COLUMNS.items():
            have = {c["name"] for c in inspector.get_columns(table)}
            for name, ddl in columns.items():
                if name not in have:
                    with self.engine.begin() as conn:
                        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
                    added.add((table, name))
        return added

    # ------------------------------------------------------------------ defaults
    def ensure_defaults(self, catalog: str = "main", schema: str = "default", default_grants: bool = False) -> None:
        """A fresh home has `main.default`, as Hive and Spark clients assume a `default` schema
        (PyHive and beeline send `USE default` when they connect). As in a Databricks
        workspace's catalog, every user (`account users`) may use both: that opens the door,
        and shows nothing inside (docs/governance.md)."""
        from .grants import ACCOUNT_USERS

        with self.engine.connect() as conn:
            fresh = conn.execute(sa.select(catalogs.c.id).where(catalogs.c.name == _norm(catalog))).first() is None
        for fn, args in ((self.create_catalog, (catalog,)), (self.create_schema, (catalog, schema))):
            try:
                fn(*args, if_not_exists=True, comment="created automatically")
            except AlreadyExists:  # raced with another process doing the same
                pass
        if fresh or default_grants:
            cat, sch = self.get_catalog(catalog), self.get_schema(catalog, schema)
            try:
                self.change_grants("CATALOG", str(cat.id), [ACCOUNT_USERS], ["USE CATALOG"], grantor="system",
                                   revoke=False)
                self.change_grants("SCHEMA", str(sch.id), [ACCOUNT_USERS], ["USE SCHEMA"], grantor="system",
                                   revoke=False, catalog_id=cat.id)
            except IntegrityError:  # another process made the same grants
                pass

    # ------------------------------------------------------------------ helpers
    def _suggest(self, name: str, candidates: Iterable[str]) -> str | None:
        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        return close[0] if close else None

    def _catalog_row(self, conn, name: str):
        row = conn.execute(sa.select(catalogs).where(catalogs.c.name == _norm(name))).first()
        if row is None:
            names = conn.execute(sa.select(catalogs.c.name)).scalars()
            raise NotFound("catalog", _norm(name), self._suggest(_norm(name), names))
        return row

    def _schema_row(self, conn, catalog: str, schema: str):
        cat = self._catalog_row(conn, catalog)
        row = conn.execute(
            sa.select(schemas).where(schemas.c.catalog_id == cat.id, schemas.c.name == _norm(schema))
        ).first()
        if row is None:
            names = conn.execute(sa.select(schemas.c.name).where(schemas.c.catalog_id == cat.id)).scalars()
            full = f"{cat.name}.{_norm(schema)}"
            close = self._suggest(_norm(schema), names)
            raise NotFound("schema", full, f"{cat.name}.{close}" if close else None)
        return cat, row

    @staticmethod
    def _to_catalog(row) -> CatalogInfo:
        return CatalogInfo(row.id, row.name, row.owner, row.comment, json.loads(row.properties or "{}"),
                           row.created_at, row.updated_at)

    @staticmethod
    def _to_schema(cat, row) -> SchemaInfo:
        return SchemaInfo(row.id, cat.name, row.name, row.owner, row.comment,
                          json.loads(row.properties or "{}"), row.created_at, row.updated_at, catalog_id=cat.id)

    @staticmethod
    def _to_object(cat, schema_name: str, row) -> ObjectInfo:
        cols = tuple(Column(**c) for c in json.loads(row.columns or "[]"))
        return ObjectInfo(
            id=row.id, catalog=cat.name, schema=schema_name, name=row.name, kind=row.kind,
            storage=row.storage, format=row.format, location=row.location, view_text=row.view_text,
            columns=cols, owner=row.owner, comment=row.comment,
            properties=json.loads(row.properties or "{}"), created_at=row.created_at,
            updated_at=row.updated_at, storage_key=row.storage_key or "",
            partitioned_by=tuple(json.loads(row.partitioned_by or "[]")),
            schema_id=row.schema_id, catalog_id=cat.id,
        )

    # ------------------------------------------------------------------ catalogs
    def create_catalog(self, name: str, *, comment: str | None = None, owner: str | None = None,
                       properties: dict | None = None, if_not_exists: bool = False) -> CatalogInfo:
        name = _norm(name)
        now = _now()
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(catalogs.c.id).where(catalogs.c.name == name)).first():
                    if if_not_exists:
                        return self.get_catalog(name)
                    raise AlreadyExists("catalog", name)
                conn.execute(catalogs.insert().values(
                    name=name, owner=owner or self.default_owner, comment=comment,
                    properties=json.dumps(properties or {}), created_at=now, updated_at=now))
        except IntegrityError:
            if if_not_exists:
                return self.get_catalog(name)
            raise AlreadyExists("catalog", name) from None
        return self.get_catalog(name)

    def get_catalog(self, name: str) -> CatalogInfo:
        with self.engine.connect() as conn:
            return self._to_catalog(self._catalog_row(conn, name))

    def list_catalogs(self, like: str | None = None) -> list[CatalogInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(catalogs).order_by(catalogs.c.name)).all()
        return [self._to_catalog(r) for r in rows if matches_like(r.name, like)]

    def alter_catalog(self, name: str, *, owner: str | None = None, comment: str | None = None,
                      rename_to: str | None = None, properties: dict | None = None) -> CatalogInfo:
        with self.engine.begin() as conn:
            row = self._catalog_row(conn, name)
            values: dict = {"updated_at": _now()}
            if owner is not None:
                values["owner"] = owner
            if comment is not None:
                values["comment"] = comment
            if properties:
                values["properties"] = json.dumps({**json.loads(row.properties or "{}"), **properties})
            if rename_to:
                new = _norm(rename_to)
                if conn.execute(sa.select(catalogs.c.id).where(catalogs.c.name == new)).first():
                    raise AlreadyExists("catalog", new)
                values["name"] = new
            conn.execute(catalogs.update().where(catalogs.c.id == row.id).values(**values))
            final = values.get("name", row.name)
            if final != row.name:
                _lineage_names(conn, f"{row.name}.", f"{final}.")
        return self.get_catalog(final)

    def drop_catalog(self, name: str, *, cascade: bool = False, if_exists: bool = False,
                     by: str | None = None) -> None:
        """Drop a catalog; with CASCADE its schemas go and its objects move to the recycle
        bin (each kept for its schema's retention), so UNDROP works once the schema is back."""
        doomed: list[ObjectInfo] = []
        with self.engine.begin() as conn:
            try:
                cat = self._catalog_row(conn, name)
            except NotFound:
                if if_exists:
                    return
                raise
            schema_rows = conn.execute(sa.select(schemas).where(schemas.c.catalog_id == cat.id)).all()
            ids = [s.id for s in schema_rows]
            objs = conn.execute(sa.select(objects).where(objects.c.schema_id.in_(ids))).all() if ids else []
            # An empty `default` schema does not make a catalog "non-empty".
            contents = len(objs) + sum(1 for s in schema_rows if s.name != "default")
            if contents and not cascade:
                raise NotEmpty("catalog", cat.name, contents)
            by_id = {s.id: s.name for s in schema_rows}
            doomed = [info for info in (self._to_object(cat, by_id[o.schema_id], o) for o in objs)
                      if not self._to_bin(conn, info, by or self.default_owner, self._retention(conn, info.schema_id))]
            blobs = [b for info in doomed if info.kind == VOLUME for b in self._forget_versions(conn, info.id)]
            if ids:
                conn.execute(objects.delete().where(objects.c.schema_id.in_(ids)))
                conn.execute(schemas.delete().where(schemas.c.id.in_(ids)))
            self.unbind_everywhere(conn, "SCHEMA", ids)
            self.unbind_everywhere(conn, "CATALOG", [cat.id])
            conn.execute(grants.delete().where(sa.or_(
                grants.c.catalog_id == cat.id,
                sa.and_(grants.c.securable_type == "CATALOG", grants.c.securable_key == str(cat.id)))))
            conn.execute(catalogs.delete().where(catalogs.c.id == cat.id))
            _lineage_names(conn, f"{cat.name}.", None)
        self._remove_managed_storage(doomed)
        self._remove_blobs(blobs)

    # ------------------------------------------------------------------ schemas
    def create_schema(self, catalog: str, name: str, *, comment: str | None = None, owner: str | None = None,
                      properties: dict | None = None, if_not_exists: bool = False) -> SchemaInfo:
        name = _norm(name)
        now = _now()
        try:
            with self.engine.begin() as conn:
                cat = self._catalog_row(conn, catalog)
                exists = conn.execute(sa.select(schemas.c.id).where(
                    schemas.c.catalog_id == cat.id, schemas.c.name == name)).first()
                if exists:
                    if if_not_exists:
                        return self.get_schema(catalog, name)
                    raise AlreadyExists("schema", f"{cat.name}.{name}")
                conn.execute(schemas.insert().values(
                    catalog_id=cat.id, name=name, owner=owner or self.default_owner, comment=comment,
                    properties=json.dumps(properties or {}), created_at=now, updated_at=now))
        except IntegrityError:
            if if_not_exists:
                return self.get_schema(catalog, name)
            raise AlreadyExists("schema", f"{_norm(catalog)}.{name}") from None
        return self.get_schema(catalog, name)

    def get_schema(self, catalog: str, name: str) -> SchemaInfo:
        with self.engine.connect() as conn:
            cat, row = self._schema_row(conn, catalog, name)
            return self._to_schema(cat, row)

    def list_schemas(self, catalog: str, like: str | None = None) -> list[SchemaInfo]:
        with self.engine.connect() as conn:
            cat = self._catalog_row(conn, catalog)
            rows = conn.execute(
                sa.select(schemas).where(schemas.c.catalog_id == cat.id).order_by(schemas.c.name)).all()
        return [self._to_schema(cat, r) for r in rows if matches_like(r.name, like)]

    def alter_schema(self, catalog: str, name: str, *, owner: str | None = None, comment: str | None = None,
                     properties: dict | None = None) -> SchemaInfo:
        with self.engine.begin() as conn:
            _, row = self._schema_row(conn, catalog, name)
            values: dict = {"updated_at": _now()}
            if owner is not None:
                values["owner"] = owner
            if comment is not None:
                values["comment"] = comment
            if properties:
                values["properties"] = json.dumps({**json.loads(row.properties or "{}"), **properties})
            conn.execute(schemas.update().where(schemas.c.id == row.id).values(**values))
        return self.get_schema(catalog, name)

    def drop_schema(self, catalog: str, name: str, *, cascade: bool = False, if_exists: bool = False,
                    by: str | None = None) -> None:
        """Drop a schema; with CASCADE its objects move to the recycle bin (see drop_catalog)."""
        with self.engine.begin() as conn:
            try:
                cat, row = self._schema_row(conn, catalog, name)
            except NotFound as e:
                if if_exists and e.kind == "schema":
                    return
                raise
            objs = conn.execute(sa.select(objects).where(objects.c.schema_id == row.id)).all()
            if objs and not cascade:
                raise NotEmpty("schema", f"{cat.name}.{row.name}", len(objs))
            days = self._retention(conn, row.id)
            doomed = [info for info in (self._to_object(cat, row.name, o) for o in objs)
                      if not self._to_bin(conn, info, by or self.default_owner, days)]
            blobs = [b for info in doomed if info.kind == VOLUME for b in self._forget_versions(conn, info.id)]
            conn.execute(objects.delete().where(objects.c.schema_id == row.id))
            conn.execute(grants.delete().where(sa.or_(
                grants.c.schema_id == row.id,
                sa.and_(grants.c.securable_type == "SCHEMA", grants.c.securable_key == str(row.id)))))
            conn.execute(schemas.delete().where(schemas.c.id == row.id))
            self.unbind_everywhere(conn, "SCHEMA", [row.id])
            _lineage_names(conn, f"{cat.name}.{row.name}.", None)
        self._remove_managed_storage(doomed)
        self._remove_blobs(blobs)

    # ------------------------------------------------------------------ objects
    def new_storage_key(self) -> str:
        return uuid.uuid4().hex

    def managed_location(self, kind: str, fmt: str | None, key: str) -> str:
        """Where managed data lives. Keyed by a uuid, not the name, so renames are free and a
        dropped-and-recreated name never meets the old files. Iceberg tables sit under the
        warehouse of the engine's Hadoop Iceberg catalog (namespace `tables`)."""
        if kind == VOLUME:
            return join(self.warehouse, "volumes", key)
        if fmt == "iceberg":
            return join(self.warehouse, "iceberg", ICEBERG_NAMESPACE, iceberg_table_name(key))
        return join(self.warehouse, "tables", key)

    def _insert_object(self, catalog: str, schema: str, name: str, *, kind: str, status: str,
                       replace_creating: bool = False, **values) -> ObjectInfo:
        name = _norm(name)
        now = _now()
        values.setdefault("owner", self.default_owner)
        values["properties"] = json.dumps(values.get("properties") or {})
        for key in ("columns", "partitioned_by"):
            values[key] = json.dumps(values.get(key) or [])
        try:
            with self.engine.begin() as conn:
                cat, sch = self._schema_row(conn, catalog, schema)
                full = f"{cat.name}.{sch.name}.{name}"
                existing = conn.execute(sa.select(objects.c.id, objects.c.kind).where(
                    objects.c.schema_id == sch.id, objects.c.name == name)).first()
                if existing:
                    raise AlreadyExists(existing.kind.lower(), full)
                conn.execute(objects.insert().values(
                    schema_id=sch.id, name=name, kind=kind, status=status, created_at=now, updated_at=now,
                    **values))
        except IntegrityError:
            raise AlreadyExists(kind.lower(), f"{_norm(catalog)}.{_norm(schema)}.{name}",
                                "created concurrently by another session") from None
        return self.get_object(catalog, schema, name, include_creating=True)

    def reserve_table(self, catalog: str, schema: str, name: str, *, fmt: str, location: str | None,
                      storage_key: str, comment: str | None = None, properties: dict | None = None,
                      owner: str | None = None, partitioned_by: Sequence[str] = ()) -> ObjectInfo:
        """Claim a table name before its data is written (status CREATING, invisible to readers)."""
        external = location is not None
        loc = location if external else self.managed_location(TABLE, fmt, storage_key)
        return self._insert_object(
            catalog, schema, name, kind=TABLE, status=CREATING, storage=EXTERNAL if external else MANAGED,
            format=fmt, location=loc, storage_key=storage_key, comment=comment, properties=properties,
            owner=owner or self.default_owner, partitioned_by=list(partitioned_by),
            pending=json.dumps({"by": PROCESS_ID, "location": loc}))

    def commit_table(self, object_id: int, columns: Sequence[Column]) -> None:
        with self.engine.begin() as conn:
            conn.execute(objects.update().where(objects.c.id == object_id).values(
                status=ACTIVE, columns=json.dumps([c.__dict__ for c in columns]), pending=None, updated_at=_now()))

    # ------------------------------------------------------------------ replacing a table's data
    def begin_replace(self, info: ObjectInfo) -> str:
        """Where the new data of `CREATE OR REPLACE` goes, while the old stays readable: a new
        managed directory, or for an external table a hidden sibling of its location. Recorded
        as pending, so a crash leaves nothing `reconcile` cannot undo."""
        key = self.new_storage_key()
        if info.storage == MANAGED:
            target = self.managed_location(TABLE, info.format, key)
        elif is_object_store(info.location):
            raise Unsupported(f"CREATE OR REPLACE of external table {info.full_name} on object storage: "
                              "its directory cannot be swapped atomically there; use a Delta or Iceberg table, "
                              "or INSERT OVERWRITE")
        else:
            loc = Path(info.location)
            target = str(loc.parent / f".{loc.name}.lakelens-replace-{key}")
        with self.engine.begin() as conn:
            done = conn.execute(objects.update().where(objects.c.id == info.id, objects.c.pending.is_(None)).values(
                pending=json.dumps({"by": PROCESS_ID, "location": target, "key": key})))
        if done.rowcount != 1:
            raise AlreadyExists("table", info.full_name, "another CREATE OR REPLACE of it is in progress")
        return target

    def finish_replace(self, info: ObjectInfo, target: str, *, columns: Sequence[Column],
                       comment: str | None = None, properties: dict | None = None) -> None:
        """Make the data written at `target` the table's, in one metastore commit; the old goes."""
        pending = self._pending(info.id)
        values = dict(columns=json.dumps([c.__dict__ for c in columns]), pending=None, updated_at=_now(),
                      comment=comment, properties=json.dumps(properties or {}))
        if info.storage == MANAGED:
            values.update(location=target, storage_key=pending["key"])
        else:
            # The location is the user's: swap directories (two renames on one filesystem).
            os.replace(info.location, _backup_of(target))
            os.replace(target, info.location)
        with self.engine.begin() as conn:
            conn.execute(objects.update().where(objects.c.id == info.id).values(**values))
        if info.storage == MANAGED:
            self._remove_managed_storage([info])
        else:
            shutil.rmtree(_backup_of(target), ignore_errors=True)

    def cancel_replace(self, info: ObjectInfo, target: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(objects.update().where(objects.c.id == info.id).values(pending=None))
        self._remove_pending_dir(info.storage, target)

    def _pending(self, object_id: int) -> dict:
        with self.engine.connect() as conn:
            raw = conn.execute(sa.select(objects.c.pending).where(objects.c.id == object_id)).scalar()
        return json.loads(raw) if raw else {}

    def _remove_pending_dir(self, storage: str, target: str) -> None:
        if storage == MANAGED:
            self._remove_in_warehouse(target)
        elif ".lakelens-replace-" in Path(target).name:  # only the staging directory we named
            shutil.rmtree(target, ignore_errors=True)

    def _remove_in_warehouse(self, location: str) -> None:
        # Never delete anything outside the warehouse, whatever a row says.
        if is_object_store(self.warehouse):
            if is_object_store(location) and url_within(location, self.warehouse) and \
                    normalize(location) != self.warehouse:
                self.storage.rmtree(location)
        elif not is_object_store(location) and self.warehouse.resolve() in Path(location).resolve().parents:
            shutil.rmtree(location, ignore_errors=True)

    # ------------------------------------------------------------------ crash consistency
    def reconcile(self, max_age_s: float = 86400) -> list[str]:
        """Undo what killed processes left behind; returns what was done (one line each).

        A reservation (CREATING) or replacement whose process is gone — or, for another
        host's, older than `max_age_s` — is rolled back: the row goes (the name is free again)
        with its files, or the replacement's new files go and the table keeps its data. Then
        managed directories no row refers to (a crash between a DROP's commit and its file
        removal) are deleted. The directories are listed before the rows are read, so a
        reservation made meanwhile — its row always precedes its files — is never taken for
        an orphan."""
        done: list[str] = []
        now = _now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(objects.c.id, objects.c.name, objects.c.status, objects.c.storage, objects.c.location,
                          objects.c.pending, objects.c.updated_at)
                .where(sa.or_(objects.c.pending.isnot(None), objects.c.status == CREATING))).all()
        for row in rows:
            pending = json.loads(row.pending) if row.pending else {}
            alive = _process_alive(pending.get("by", ""))
            if alive is None:
                updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=timezone.utc)
                alive = (now - updated).total_seconds() < max_age_s
            if alive:
                continue
            if row.status == CREATING:
                with self.engine.begin() as conn:
                    gone = conn.execute(objects.delete().where(objects.c.id == row.id, objects.c.status == CREATING))
                if gone.rowcount and row.storage == MANAGED:
                    self._remove_pending_dir(MANAGED, row.location)
                done.append(f"rolled back the unfinished creation of {row.name} ({row.location})")
            else:
                target = pending.get("location")
                with self.engine.begin() as conn:
                    conn.execute(objects.update().where(objects.c.id == row.id).values(pending=None))
                if target:
                    backup = _backup_of(target)
                    if row.storage == EXTERNAL and not Path(row.location).exists() and Path(backup).exists():
                        os.replace(backup, row.location)  # killed between the two renames
                    self._remove_pending_dir(row.storage, target)
                done.append(f"rolled back an unfinished replacement of {row.name}")
        done += self._sweep_orphans()
        done += self.purge_expired()
        return done

    def _sweep_orphans(self) -> list[str]:
        areas = [join(self.warehouse, "tables"), join(self.warehouse, "volumes"),
                 join(self.warehouse, "iceberg", ICEBERG_NAMESPACE)]
        try:
            found = [join(area, name) for area in areas for name in self.storage.children(area)]
        except LakelensError as e:  # unreachable storage: sweep next time
            log.warning("orphan sweep skipped: %s", e)
            return []
        if not is_object_store(self.warehouse):
            found = [d for d in found if Path(d).is_dir()]
        if not found:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(objects.c.location, objects.c.pending)
                                .where(sa.or_(objects.c.location.isnot(None), objects.c.pending.isnot(None)))).all()
            binned = conn.execute(sa.select(dropped_objects.c.location)).scalars().all()
        pending = [json.loads(r.pending).get("location") for r in rows if r.pending]
        used = {_canonical(p) for p in [r.location for r in rows] + pending + binned if p}
        out = []
        for d in found:
            if _canonical(d) not in used and not d.rstrip("/").rsplit("/", 1)[-1].startswith("."):
                try:
                    self.storage.rmtree(d)
                except LakelensError as e:  # the next reconciliation tries again
                    log.warning("orphan sweep: %s", e)
                    continue
                out.append(f"removed orphaned storage {d}")
        return out

    def abort_table(self, info: ObjectInfo) -> None:
        """Undo a reservation: the row goes, and so do any files a failed write left."""
        with self.engine.begin() as conn:
            conn.execute(objects.delete().where(objects.c.id == info.id, objects.c.status == CREATING))
        if info.storage == MANAGED:
            self._remove_managed_storage([info])

    def create_view(self, catalog: str, schema: str, name: str, *, view_text: str, columns: Sequence[Column],
                    comment: str | None = None, owner: str | None = None, replace: bool = False,
                    if_not_exists: bool = False) -> ObjectInfo:
        if replace or if_not_exists:
            try:
                old = self.get_object(catalog, schema, name)
            except NotFound:
                old = None
            if old is not None:
                if if_not_exists:
                    return old
                if old.kind != VIEW:
                    raise AlreadyExists("table", old.full_name, "CREATE OR REPLACE VIEW cannot replace a table")
                # A replaced view starts without grants, as Spark's (and dbt-spark, which grants a
                # view model's grants again after replacing it, relies on it): what the new query
                # reads was never granted on. CREATE OR REPLACE TABLE keeps a table's grants.
                with self.engine.begin() as conn:
                    conn.execute(objects.update().where(objects.c.id == old.id).values(
                        view_text=view_text, columns=json.dumps([c.__dict__ for c in columns]),
                        comment=comment if comment is not None else old.comment, updated_at=_now()))
                    conn.execute(grants.delete().where(grants.c.securable_type == "TABLE",
                                                       grants.c.securable_key == str(old.id)))
                return self.get_object(catalog, schema, name)
        return self._insert_object(catalog, schema, name, kind=VIEW, status=ACTIVE, view_text=view_text,
                                   columns=[c.__dict__ for c in columns], comment=comment,
                                   owner=owner or self.default_owner)

    def create_volume(self, catalog: str, schema: str, name: str, *, location: str | None = None,
                      comment: str | None = None, owner: str | None = None,
                      if_not_exists: bool = False) -> ObjectInfo:
        if if_not_exists:
            try:
                return self.get_object(catalog, schema, name, kinds=(VOLUME,))
            except NotFound:
                pass
        key = self.new_storage_key()
        if location is not None and is_object_store(location):
            loc = normalize(location)
            self._check_object_location(loc)
            storage = EXTERNAL
        elif location is not None:
            path = Path(location).expanduser()
            if not path.is_absolute():
                raise InvalidArgument(f"external volume location must be an absolute path: {location!r}")
            if path.exists() and not path.is_dir():
                raise InvalidArgument(f"external volume location is not a directory: {location!r}")
            loc = str(path.resolve())
            storage = EXTERNAL
        else:
            loc = self.managed_location(VOLUME, None, key)
            self.storage.check(loc)
            storage = MANAGED
        info = self._insert_object(catalog, schema, name, kind=VOLUME, status=ACTIVE, storage=storage,
                                   location=loc, storage_key=key, comment=comment,
                                   owner=owner or self.default_owner)
        self.storage.makedirs(loc)
        return info

    def _check_object_location(self, location: str) -> None:
        """An object-store location answers (bucket, credentials) and is not a file."""
        st = self.storage.check(location)
        if st is not None and not st.is_dir:
            raise InvalidArgument(f"external location is an object, not a prefix: {location!r}")

    def external_location(self, location: str, principal: Principal, policy: AccessPolicy,
                          for_name: str | None = None) -> str:
        """`location` resolved, if `principal` may put an external volume or table there
        (locations.py: never over the warehouse, the home or another object's storage;
        remote principals only under `policy.external_roots`)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(catalogs.c.name.label("c"), schemas.c.name.label("s"), objects.c.name, objects.c.location)
                .select_from(objects.join(schemas, objects.c.schema_id == schemas.c.id)
                             .join(catalogs, schemas.c.catalog_id == catalogs.c.id))
                .where(objects.c.location.isnot(None))).all()
        others = [(f"{r.c}.{r.s}.{r.name}", r.location) for r in rows if f"{r.c}.{r.s}.{r.name}" != for_name]
        checked = str(check_external_location(location, remote=principal.remote,
                                              allowed_roots=policy.external_roots,
                                              protected=self.protected, others=others))
        if is_object_store(checked):
            self._check_object_location(checked)
        return checked

    def open_volume(self, path: str, by: str | None = None) -> tuple[VolumeFiles, str]:
        """The files of the volume a `/Volumes/c/s/v/rel` path names, and `rel`. What `by`
        overwrites or removes through them is kept as a prior version (recycle.py)."""
        vp = parse_volume_path(path)
        info = self.get_object(vp.catalog, vp.schema, vp.volume, kinds=(VOLUME,))
        keep = self.file_keeper(info, by or self.default_owner)
        if is_object_store(info.location):
            return ObjectVolumeFiles(info, self.storage, keep=keep), vp.rel
        return VolumeFiles(info, keep=keep), vp.rel

    def get_object(self, catalog: str, schema: str, name: str, *, kinds: Sequence[str] | None = None,
                   include_creating: bool = False) -> ObjectInfo:
        name = _norm(name)
        with self.engine.connect() as conn:
            cat, sch = self._schema_row(conn, catalog, schema)
            visible = sa.true() if include_creating else objects.c.status == ACTIVE
            of_kind = objects.c.kind.in_(list(kinds)) if kinds else sa.true()
            row = conn.execute(sa.select(objects).where(
                objects.c.schema_id == sch.id, objects.c.name == name, visible, of_kind)).first()
            if row is not None:
                return self._to_object(cat, sch.name, row)
            # Only a miss pays for reading the schema's names, to suggest a close one.
            candidates = conn.execute(sa.select(objects.c.name).where(
                objects.c.schema_id == sch.id, visible, of_kind)).scalars().all()
        kind = "relation" if kinds is None or set(kinds) >= {TABLE, VIEW} else kinds[0].lower()
        close = self._suggest(name, candidates)
        full = f"{cat.name}.{sch.name}.{name}"
        raise NotFound(kind, full, f"{cat.name}.{sch.name}.{close}" if close else None)

    def list_objects(self, catalog: str, schema: str | None = None, *, kinds: Sequence[str] | None = None,
                     like: str | None = None) -> list[ObjectInfo]:
        """All visible objects of a schema (or of every schema of a catalog) in one query."""
        with self.engine.connect() as conn:
            cat = self._catalog_row(conn, catalog)
            q = (sa.select(objects, schemas.c.name.label("schema_name"))
                 .join(schemas, objects.c.schema_id == schemas.c.id)
                 .where(schemas.c.catalog_id == cat.id, objects.c.status == ACTIVE))
            if schema is not None:
                _, sch = self._schema_row(conn, catalog, schema)
                q = q.where(objects.c.schema_id == sch.id)
            if kinds:
                q = q.where(objects.c.kind.in_(list(kinds)))
            rows = conn.execute(q.order_by(schemas.c.name, objects.c.name)).all()
        return [self._to_object(cat, r.schema_name, r) for r in rows if matches_like(r.name, like)]

    def update_object(self, info: ObjectInfo, *, columns: Sequence[Column] | None = None,
                      comment: str | None = None, owner: str | None = None, properties: dict | None = None,
                      unset_properties: Sequence[str] = (), rename_to: str | None = None) -> ObjectInfo:
        values: dict = {"updated_at": _now()}
        if columns is not None:
            values["columns"] = json.dumps([c.__dict__ for c in columns])
        if comment is not None:
            values["comment"] = comment
        if owner is not None:
            values["owner"] = owner
        if properties or unset_properties:
            merged = {**info.properties, **(properties or {})}
            for k in unset_properties:
                merged.pop(k, None)
            values["properties"] = json.dumps(merged)
        catalog, schema, name = info.catalog, info.schema, info.name
        if rename_to:
            parts = [_norm(p) for p in rename_to.split(".")]
            new_name = parts[-1]
            if len(parts) > 1 and parts[:-1] != [info.catalog, info.schema][-len(parts[:-1]):]:
                raise InvalidArgument(f"RENAME cannot move {info.full_name} to another schema ({rename_to})")
            values["name"] = new_name
            name = new_name
        try:
            with self.engine.begin() as conn:
                conn.execute(objects.update().where(objects.c.id == info.id).values(**values))
                if name != info.name:
                    _lineage_names(conn, info.full_name, f"{catalog}.{schema}.{name}")
        except IntegrityError:
            raise AlreadyExists("relation", f"{catalog}.{schema}.{name}") from None
        return self.get_object(catalog, schema, name)

    def drop_object(self, info: ObjectInfo, *, by: str | None = None, purge: bool = False) -> bool:
        """Drop an object: into the recycle bin (recycle.py) unless `purge` or its schema's
        retention is 0, when it is forgotten and its managed storage deleted after the
        metastore commit. True when it went to the bin."""
        with self.engine.begin() as conn:
            kept = not purge and self._to_bin(conn, info, by or self.default_owner,
                                              self._retention(conn, info.schema_id))
            conn.execute(objects.delete().where(objects.c.id == info.id))
            conn.execute(grants.delete().where(grants.c.securable_type.in_(["TABLE", "VOLUME"]),
                                               grants.c.securable_key == str(info.id)))
            _lineage_names(conn, info.full_name, None)
            blobs = self._forget_versions(conn, info.id) if info.kind == VOLUME and not kept else []
        if not kept:
            self._remove_managed_storage([info])
            self._remove_blobs(blobs)
        return kept

    def _remove_managed_storage(self, infos: Iterable[ObjectInfo]) -> None:
        for info in infos:
            if info.storage == MANAGED and info.location:
                self._remove_in_warehouse(info.location)

    # ------------------------------------------------------------------ lineage
    def record_lineage(self, sources: Iterable, target: str, operation: str, user: str, *,
                       target_type: str = "TABLE", columns: Iterable[tuple[str, str, str, str | None]] = (),
                       statement_id: str | None = None) -> None:
        """One write's lineage. `sources`: full names, or (full name, TABLE|VIEW|VOLUME, volume
        path) triples; `columns`: (source, source column, target column, functions) rows."""
        now = _now()
        triples = {}
        for s in sources:
            name, kind, path = (s, "TABLE", None) if isinstance(s, str) else s
            if name != target:
                triples.setdefault(name, (kind, path))
        rows = [dict(source=name, target=target, operation=operation, created_by=user, created_at=now,
                     source_type=kind, source_path=path, target_type=target_type, statement_id=statement_id)
                for name, (kind, path) in sorted(triples.items())]
        col_rows = [dict(source=src, source_type=triples.get(src, ("TABLE", None))[0], source_column=scol,
                         target=target, target_type=target_type, target_column=tcol, function_name=fn,
                         created_by=user, created_at=now, statement_id=statement_id)
                    for src, scol, tcol, fn in dict.fromkeys(columns) if src in triples]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(lineage.insert(), rows)
                if col_rows:
                    conn.execute(column_lineage.insert(), col_rows)

    def lineage_rows(self) -> list[dict]:
        """Every table-level edge, in system.access.table_lineage's columns."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(lineage).order_by(lineage.c.id)).all()
        return [dict(source_table_full_name=r.source, source_type=r.source_type or "TABLE", source_path=r.source_path,
                     target_table_full_name=r.target, target_type=r.target_type or "TABLE", operation=r.operation,
                     created_by=r.created_by, event_time=r.created_at, statement_id=r.statement_id) for r in rows]

    def column_lineage_rows(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(column_lineage).order_by(column_lineage.c.id)).all()
        return [dict(source_table_full_name=r.source, source_type=r.source_type, source_column_name=r.source_column,
                     target_table_full_name=r.target, target_type=r.target_type, target_column_name=r.target_column,
                     function_name=r.function_name, created_by=r.created_by, event_time=r.created_at,
                     statement_id=r.statement_id) for r in rows]

    def lineage_of(self, full_name: str) -> dict[str, list[str]]:
        with self.engine.connect() as conn:
            up = conn.execute(sa.select(lineage.c.source).where(lineage.c.target == full_name).distinct()).scalars()
            down = conn.execute(sa.select(lineage.c.target).where(lineage.c.source == full_name).distinct()).scalars()
            return {"upstream": sorted(up), "downstream": sorted(down)}

    # ------------------------------------------------------------------ users and groups
    def set_user(self, name: str, password: str | None, *, admin: bool | None = None) -> None:
        """Create a user, or change an existing one's password (and admin flag, when given).
        `password` None: a user without one, who cannot sign in with `--auth plain` (a name
        for grants on servers with `--auth none`); on an existing user it keeps the password."""
        name = _norm(name)
        if password is not None and not password:
            raise InvalidArgument(f"user {name}: empty password")
        values: dict = {"updated_at": _now()}
        if password is not None:
            values["password_salt"], values["password_hash"] = hash_password(password)
        if admin is not None:
            values["admin"] = bool(admin)
        with self.engine.begin() as conn:
            if conn.execute(sa.select(groups.c.name).where(groups.c.name == name)).first():
                raise AlreadyExists("user", name, "a group has that name")
            done = conn.execute(users.update().where(users.c.name == name).values(**values)).rowcount
            if not done:
                values.setdefault("password_salt", "")
                values.setdefault("password_hash", "")
                values.setdefault("admin", False)
                conn.execute(users.insert().values(name=name, created_at=values["updated_at"], **values))

    def create_user(self, name: str, password: str | None = None, *, admin: bool = False,
                    if_not_exists: bool = False) -> None:
        """CREATE USER: a new user (AlreadyExists when the name is taken)."""
        with self.engine.connect() as conn:
            if conn.execute(sa.select(users.c.name).where(users.c.name == _norm(name))).first():
                if if_not_exists:
                    return
                raise AlreadyExists("user", _norm(name))
        self.set_user(name, password, admin=admin)

    def drop_user(self, name: str, *, if_exists: bool = False) -> None:
        """Remove a user, their group memberships and their grants. A user who still owns
        catalogs, schemas or objects is refused: an admin hands those over first."""
        key = _norm(name)
        with self.engine.begin() as conn:
            owned = [r.name for r in conn.execute(sa.select(catalogs.c.name).where(sa.func.lower(catalogs.c.owner) == key))]
            owned += [r.name for r in conn.execute(sa.select(schemas.c.name).where(sa.func.lower(schemas.c.owner) == key))]
            owned += [r.name for r in conn.execute(sa.select(objects.c.name).where(sa.func.lower(objects.c.owner) == key))]
            if owned:
                # Ownership is by name: a user created later under it would inherit these.
                raise InvalidArgument(f"user {key} owns {len(owned)} securable(s) ({', '.join(sorted(owned)[:5])}"
                                      f"{', …' if len(owned) > 5 else ''}); hand them over with ALTER … OWNER TO "
                                      "first", error_class="PRINCIPAL_OWNS_SECURABLES", sqlstate="2BP01")
            if not conn.execute(users.delete().where(users.c.name == key)).rowcount:
                if if_exists:
                    return
                raise NotFound("user", key)
            conn.execute(group_members.delete().where(group_members.c.member == key))
            conn.execute(grants.delete().where(grants.c.principal == key))

    def list_users(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(users.c.name).order_by(users.c.name)).scalars())

    def user_rows(self) -> list[tuple[str, bool, bool, datetime]]:
        """(name, admin, has a password, created) of every user."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users.c.name, users.c.admin, users.c.password_hash, users.c.created_at)
                                .order_by(users.c.name)).all()
        return [(r.name, bool(r.admin), bool(r.password_hash), r.created_at) for r in rows]

    def has_admin(self) -> bool:
        """Whether some user is an admin who can sign in with a password."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(users.c.name).where(users.c.admin == sa.true(),
                                                              users.c.password_hash != "")).first() is not None

    def create_group(self, name: str, *, if_not_exists: bool = False) -> None:
        from .grants import ACCOUNT_USERS

        key = _norm(name)
        if key == ACCOUNT_USERS:
            raise InvalidArgument(f"`{ACCOUNT_USERS}` is built in: every user is a member")
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(users.c.name).where(users.c.name == key)).first():
                    raise AlreadyExists("group", key, "a user has that name")
                conn.execute(groups.insert().values(name=key, created_at=_now()))
        except IntegrityError:
            if not if_not_exists:
                raise AlreadyExists("group", key) from None

    def drop_group(self, name: str, *, if_exists: bool = False) -> None:
        key = _norm(name)
        with self.engine.begin() as conn:
            conn.execute(group_members.delete().where(group_members.c.group_name == key))
            if not conn.execute(groups.delete().where(groups.c.name == key)).rowcount:
                if if_exists:
                    return
                raise NotFound("group", key)
            conn.execute(grants.delete().where(grants.c.principal == key))

    def alter_group(self, name: str, *, add: Sequence[str] = (), drop: Sequence[str] = ()) -> None:
        """Add users to a group or take them out (each must be a user; groups do not nest)."""
        key = _norm(name)
        with self.engine.begin() as conn:
            if not conn.execute(sa.select(groups.c.name).where(groups.c.name == key)).first():
                raise NotFound("group", key)
            for member in add:
                member = _norm(member)
                if not conn.execute(sa.select(users.c.name).where(users.c.name == member)).first():
                    raise NotFound("user", member)
                if not conn.execute(sa.select(group_members).where(group_members.c.group_name == key,
                                                                   group_members.c.member == member)).first():
                    conn.execute(group_members.insert().values(group_name=key, member=member))
            for member in drop:
                conn.execute(group_members.delete().where(group_members.c.group_name == key,
                                                          group_members.c.member == _norm(member)))

    def group_rows(self) -> list[tuple[str, list[str]]]:
        """(group, members) of every group."""
        with self.engine.connect() as conn:
            names = list(conn.execute(sa.select(groups.c.name).order_by(groups.c.name)).scalars())
            members = conn.execute(sa.select(group_members).order_by(group_members.c.member)).all()
        by_group: dict[str, list[str]] = {n: [] for n in names}
        for m in members:
            by_group.setdefault(m.group_name, []).append(m.member)
        return list(by_group.items())

    def groups_of(self, user: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(group_members.c.group_name)
                                     .where(group_members.c.member == user.lower())).scalars())

    def principal_exists(self, name: str) -> bool:
        from .grants import ACCOUNT_USERS

        key = _norm(name)
        if key == ACCOUNT_USERS:
            return True
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.select(users.c.name).where(users.c.name == key)).first()
                        or conn.execute(sa.select(groups.c.name).where(groups.c.name == key)).first())

    # ------------------------------------------------------------------ grants
    def access(self, user: str):
        """What `user` may do (catalog/grants.py `Access`), read in one pass over the metastore."""
        from .grants import ACCOUNT_USERS, Access

        key = user.lower()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users.c.admin).where(users.c.name == key)).first()
            member_of = conn.execute(sa.select(group_members.c.group_name)
                                     .where(group_members.c.member == key)).scalars().all()
            names = frozenset({key, ACCOUNT_USERS, *member_of})
            access = Access(key, admin=bool(row and row.admin), exists=row is not None, names=names)
            if access.admin:
                return access
            for g in conn.execute(sa.select(grants.c.securable_type, grants.c.securable_key, grants.c.privilege,
                                            grants.c.catalog_id, grants.c.schema_id)
                                  .where(grants.c.principal.in_(list(names)))):
                access.grants.setdefault((g.securable_type, g.securable_key), set()).add(g.privilege)
                if g.catalog_id is not None:
                    access.child_catalogs.add(g.catalog_id)
                if g.schema_id is not None:
                    access.child_schemas.add(g.schema_id)
            access.owned_catalogs = set(conn.execute(
                sa.select(catalogs.c.id).where(sa.func.lower(catalogs.c.owner).in_(list(names)))).scalars())
            for s in conn.execute(sa.select(schemas.c.id, schemas.c.catalog_id).where(sa.func.lower(schemas.c.owner).in_(list(names)))):
                access.owned_schemas.add(s.id)
                access.child_catalogs.add(s.catalog_id)
            access.governed_functions = set(conn.execute(sa.select(governed_functions.c.name)).scalars())

        def owned_parents() -> list[tuple[int, int]]:
            with self.engine.connect() as conn:
                return [(o.schema_id, o.catalog_id) for o in conn.execute(
                    sa.select(objects.c.schema_id, schemas.c.catalog_id)
                    .join(schemas, objects.c.schema_id == schemas.c.id)
                    .where(sa.func.lower(objects.c.owner).in_(list(names))).distinct())]

        access.owned_parents = owned_parents
        return access

    def change_grants(self, kind: str, key: str, principals: Sequence[str], privileges: Sequence[str], *,
                      grantor: str, revoke: bool, catalog_id: int | None = None, schema_id: int | None = None) -> None:
        """GRANT (or REVOKE) privileges on one securable to (from) principals, in one transaction.
        A function's first GRANT or REVOKE makes it governed: it starts from EXECUTE for
        `account users`, the right every user had until then."""
        from .grants import ACCOUNT_USERS, ALL, FUNCTION

        now = _now()
        names = [_norm(p) for p in principals]
        for name in names:
            if not self.principal_exists(name):
                raise NotFound("principal", name)
        with self.engine.begin() as conn:
            if kind == FUNCTION and not conn.execute(
                    sa.select(governed_functions.c.name).where(governed_functions.c.name == key)).first():
                conn.execute(governed_functions.insert().values(name=key, created_at=now))
                conn.execute(grants.insert().values(securable_type=kind, securable_key=key, principal=ACCOUNT_USERS,
                                                    privilege="EXECUTE", grantor="system", created_at=now))
            for name in names:
                for privilege in privileges:
                    where = (grants.c.securable_type == kind, grants.c.securable_key == key,
                             grants.c.principal == name)
                    if revoke:
                        # REVOKE ALL PRIVILEGES takes back everything but MANAGE, as it granted.
                        which = grants.c.privilege != "MANAGE" if privilege == ALL else grants.c.privilege == privilege
                        conn.execute(grants.delete().where(*where, which))
                    elif not conn.execute(sa.select(grants.c.id).where(*where, grants.c.privilege == privilege)).first():
                        conn.execute(grants.insert().values(
                            securable_type=kind, securable_key=key, catalog_id=catalog_id, schema_id=schema_id,
                            principal=name, privilege=privilege, grantor=grantor, created_at=now))

    def grant_rows(self, kind: str | None = None, key: str | None = None,
                   principals: Sequence[str] | None = None) -> list[dict]:
        """Grants as rows (securable_type, securable_key, principal, privilege, grantor, created_at),
        filtered by securable and/or principals."""
        q = sa.select(grants).order_by(grants.c.securable_type, grants.c.securable_key, grants.c.principal,
                                       grants.c.privilege)
        if kind is not None:
            q = q.where(grants.c.securable_type == kind, grants.c.securable_key == key)
        if principals is not None:
            q = q.where(grants.c.principal.in_([_norm(p) for p in principals]))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def securable_names(self) -> dict[tuple[str, str], str]:
        """(kind, key) → the full name of every catalog, schema and object, to show grants by name."""
        out: dict[tuple[str, str], str] = {}
        with self.engine.connect() as conn:
            cats = {r.id: r.name for r in conn.execute(sa.select(catalogs.c.id, catalogs.c.name))}
            schs = {}
            for r in conn.execute(sa.select(schemas.c.id, schemas.c.catalog_id, schemas.c.name)):
                schs[r.id] = f"{cats.get(r.catalog_id)}.{r.name}"
            for r in conn.execute(sa.select(objects.c.id, objects.c.schema_id, objects.c.name, objects.c.kind)):
                out[("VOLUME" if r.kind == VOLUME else "TABLE", str(r.id))] = f"{schs.get(r.schema_id)}.{r.name}"
        out.update({("CATALOG", str(k)): v for k, v in cats.items()})
        out.update({("SCHEMA", str(k)): v for k, v in schs.items()})
        return out

    # ------------------------------------------------------------------ audit
    def audit(self, user: str, action: str, *, status: int = 200, error: str | None = None,
              params: dict | None = None, securables: Sequence[str] = (), address: str | None = None,
              client: str | None = None, session_id: str | None = None, workspace: str | None = None) -> None:
        """Append one event to the audit log; never raises (a full disk must not turn a denied
        statement into an internal error), but says so in the server log."""
        try:
            with self.engine.begin() as conn:
                conn.execute(audit.insert().values(
                    event_time=_now(), user_identity=(user or "").lower()[:255], workspace=workspace,
                    source_address=(address or None) and address[:255], client=(client or None) and client[:255],
                    session_id=session_id, action_name=action[:64], request_params=json.dumps(params or {}),
                    securables=json.dumps(sorted(set(securables))), status_code=status,
                    error_message=(error or None) and error[:4000]))
        except Exception:  # noqa: BLE001 - see the docstring
            import logging

            logging.getLogger("lakelens.catalog").exception("could not write the audit event %s of %s", action, user)

    def audit_rows(self, user: str | None = None, limit: int = 100_000, *,
                   without_clients: Sequence[str] = ()) -> list[dict]:
        """The newest audit events (all, or one user's; none of `without_clients`), newest first."""
        q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if user is not None:
            q = q.where(audit.c.user_identity == user)
        if without_clients:
            q = q.where(sa.or_(audit.c.client.is_(None), audit.c.client.not_in(list(without_clients))))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def check_password(self, name: str, password: str) -> bool:
        """True when `name` is a user and `password` is theirs. Unknown users cost the same time."""
        try:
            key = _norm(name)
        except InvalidArgument:
            return False
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == key)).first()
        if row is None or not row.password_hash:
            password_matches(password or "", "00" * 16, "00" * 32)
            return False
        ok = password_matches(password or "", row.password_salt, row.password_hash)
        if ok and needs_rehash(row.password_hash):
            self.set_user(key, password)  # stored at today's cost from now on
        return ok
