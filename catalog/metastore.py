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
import os
import shutil
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .errors import AlreadyExists, InvalidArgument, NotEmpty, NotFound
from .locations import check_external_location
from .principals import AccessPolicy, Principal
from .users import hash_password, needs_rehash, password_matches
from .volumes import VolumeFiles, parse_volume_path
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

_meta = sa.MetaData()

catalogs = sa.Table(
    "catalogs",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("properties", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

schemas = sa.Table(
    "schemas",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("catalog_id", sa.Integer, sa.ForeignKey("catalogs.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("properties", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("catalog_id", "name", name="uq_schema_name"),
)

objects = sa.Table(
    "objects",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("storage", sa.String(16)),
    sa.Column("format", sa.String(16)),
    sa.Column("location", sa.Text),
    sa.Column("storage_key", sa.String(64), nullable=False, default=""),
    sa.Column("view_text", sa.Text),
    sa.Column("columns", sa.Text, nullable=False, default="[]"),
    sa.Column("partitioned_by", sa.Text, nullable=False, default="[]"),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("properties", sa.Text, nullable=False, default="{}"),
    sa.Column("status", sa.String(16), nullable=False, default="ACTIVE"),
    # Work in flight on the object's storage (JSON: the process doing it and the directory it
    # writes), so that `reconcile` can undo what a killed process left (a CREATING reservation,
    # the new data of a CREATE OR REPLACE). NULL when nothing is in flight.
    sa.Column("pending", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("schema_id", "name", name="uq_object_name"),
    sa.Index("ix_objects_schema_kind", "schema_id", "kind"),
)

lineage = sa.Table(
    "lineage",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(800), nullable=False),
    sa.Column("target", sa.String(800), nullable=False),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_lineage_target", "target"),
    sa.Index("ix_lineage_source", "source"),
)

users = sa.Table(
    "users",
    _meta,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("password_salt", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ACTIVE, CREATING = "ACTIVE", "CREATING"
# Columns added after a release, with their DDL: added to older metastores when opened.
_ADDED_COLUMNS = {"objects": {"pending": "TEXT"}}


def _start_time(pid: str = "self") -> str | None:
    """A process's start time (Linux: clock ticks since boot), so that a pid reused by a later
    process is not taken for the one that wrote a reservation; None when it is not running."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


_HOST = socket.gethostname()
PROCESS_ID = f"{_HOST}:{os.getpid()}:{_start_time() or '0'}"


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


class Catalog:
    """Access to the metastore. Thread-safe; share one per process and home."""

    def __init__(self, url: str, warehouse: str | os.PathLike, default_owner: str = "admin",
                 default_catalog: str = "main", default_schema: str = "default",
                 protected: Sequence[tuple[str, str | os.PathLike]] = ()):
        self.url = url
        self.warehouse = Path(warehouse)
        # Directories no external location may overlap (besides the warehouse and other objects).
        self.protected = [("the warehouse", self.warehouse), *protected]
        self.default_owner = default_owner
        if url.startswith("sqlite"):
            self.engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        _meta.create_all(self.engine)
        self._add_columns()
        self.ensure_defaults(default_catalog, default_schema)

    def _add_columns(self) -> None:
        inspector = sa.inspect(self.engine)
        for table, columns in _ADDED_COLUMNS.items():
            have = {c["name"] for c in inspector.get_columns(table)}
            for name, ddl in columns.items():
                if name not in have:
                    with self.engine.begin() as conn:
                        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))

    # ------------------------------------------------------------------ defaults
    def ensure_defaults(self, catalog: str = "main", schema: str = "default") -> None:
        """A fresh home has `main.default`, as Hive and Spark clients assume a `default` schema."""
        for fn, args in ((self.create_catalog, (catalog,)), (self.create_schema, (catalog, schema))):
            try:
                fn(*args, if_not_exists=True, comment="created automatically")
            except AlreadyExists:  # raced with another process doing the same
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
    def _to_schema(cat_name: str, row) -> SchemaInfo:
        return SchemaInfo(row.id, cat_name, row.name, row.owner, row.comment,
                          json.loads(row.properties or "{}"), row.created_at, row.updated_at)

    @staticmethod
    def _to_object(cat_name: str, schema_name: str, row) -> ObjectInfo:
        cols = tuple(Column(**c) for c in json.loads(row.columns or "[]"))
        return ObjectInfo(
            id=row.id, catalog=cat_name, schema=schema_name, name=row.name, kind=row.kind,
            storage=row.storage, format=row.format, location=row.location, view_text=row.view_text,
            columns=cols, owner=row.owner, comment=row.comment,
            properties=json.loads(row.properties or "{}"), created_at=row.created_at,
            updated_at=row.updated_at, storage_key=row.storage_key or "",
            partitioned_by=tuple(json.loads(row.partitioned_by or "[]")),
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
        return self.get_catalog(final)

    def drop_catalog(self, name: str, *, cascade: bool = False, if_exists: bool = False) -> None:
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
            doomed = [self._to_object(cat.name, by_id[o.schema_id], o) for o in objs]
            if ids:
                conn.execute(objects.delete().where(objects.c.schema_id.in_(ids)))
                conn.execute(schemas.delete().where(schemas.c.id.in_(ids)))
            conn.execute(catalogs.delete().where(catalogs.c.id == cat.id))
        self._remove_managed_storage(doomed)

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
            return self._to_schema(cat.name, row)

    def list_schemas(self, catalog: str, like: str | None = None) -> list[SchemaInfo]:
        with self.engine.connect() as conn:
            cat = self._catalog_row(conn, catalog)
            rows = conn.execute(
                sa.select(schemas).where(schemas.c.catalog_id == cat.id).order_by(schemas.c.name)).all()
        return [self._to_schema(cat.name, r) for r in rows if matches_like(r.name, like)]

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

    def drop_schema(self, catalog: str, name: str, *, cascade: bool = False, if_exists: bool = False) -> None:
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
            doomed = [self._to_object(cat.name, row.name, o) for o in objs]
            conn.execute(objects.delete().where(objects.c.schema_id == row.id))
            conn.execute(schemas.delete().where(schemas.c.id == row.id))
        self._remove_managed_storage(doomed)

    # ------------------------------------------------------------------ objects
    def new_storage_key(self) -> str:
        return uuid.uuid4().hex

    def managed_location(self, kind: str, fmt: str | None, key: str) -> str:
        """Where managed data lives. Keyed by a uuid, not the name, so renames are free and a
        dropped-and-recreated name never meets the old files. Iceberg tables sit under the
        warehouse of the engine's Hadoop Iceberg catalog (namespace `tables`)."""
        if kind == VOLUME:
            return str(self.warehouse / "volumes" / key)
        if fmt == "iceberg":
            return str(self.warehouse / "iceberg" / ICEBERG_NAMESPACE / iceberg_table_name(key))
        return str(self.warehouse / "tables" / key)

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
        if self.warehouse.resolve() in Path(location).resolve().parents:
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
        return done

    def _sweep_orphans(self) -> list[str]:
        areas = [self.warehouse / "tables", self.warehouse / "volumes", self.warehouse / "iceberg" / ICEBERG_NAMESPACE]
        found = [d for area in areas if area.is_dir() for d in area.iterdir() if d.is_dir()]
        if not found:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(objects.c.location, objects.c.pending)
                                .where(sa.or_(objects.c.location.isnot(None), objects.c.pending.isnot(None)))).all()
        pending = [json.loads(r.pending).get("location") for r in rows if r.pending]
        used = {str(Path(p).resolve()) for p in [r.location for r in rows] + pending if p}
        out = []
        for d in found:
            if str(d.resolve()) not in used and not d.name.startswith("."):
                shutil.rmtree(d, ignore_errors=True)
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
                with self.engine.begin() as conn:
                    conn.execute(objects.update().where(objects.c.id == old.id).values(
                        view_text=view_text, columns=json.dumps([c.__dict__ for c in columns]),
                        comment=comment if comment is not None else old.comment, updated_at=_now()))
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
        if location is not None:
            loc = Path(location).expanduser()
            if not loc.is_absolute():
                raise InvalidArgument(f"external volume location must be an absolute path: {location!r}")
            if loc.exists() and not loc.is_dir():
                raise InvalidArgument(f"external volume location is not a directory: {location!r}")
            loc = loc.resolve()
            storage = EXTERNAL
        else:
            loc = Path(self.managed_location(VOLUME, None, key))
            storage = MANAGED
        info = self._insert_object(catalog, schema, name, kind=VOLUME, status=ACTIVE, storage=storage,
                                   location=str(loc), storage_key=key, comment=comment,
                                   owner=owner or self.default_owner)
        loc.mkdir(parents=True, exist_ok=True)
        return info

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
        return str(check_external_location(location, remote=principal.remote, allowed_roots=policy.external_roots,
                                           protected=self.protected, others=others))

    def open_volume(self, path: str) -> tuple[VolumeFiles, str]:
        """The files of the volume a `/Volumes/c/s/v/rel` path names, and `rel`."""
        vp = parse_volume_path(path)
        return VolumeFiles(self.get_object(vp.catalog, vp.schema, vp.volume, kinds=(VOLUME,))), vp.rel

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
                return self._to_object(cat.name, sch.name, row)
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
        return [self._to_object(cat.name, r.schema_name, r) for r in rows if matches_like(r.name, like)]

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
        except IntegrityError:
            raise AlreadyExists("relation", f"{catalog}.{schema}.{name}") from None
        return self.get_object(catalog, schema, name)

    def drop_object(self, info: ObjectInfo) -> None:
        """Forget an object; managed storage is deleted after the metastore commit."""
        with self.engine.begin() as conn:
            conn.execute(objects.delete().where(objects.c.id == info.id))
        self._remove_managed_storage([info])

    def _remove_managed_storage(self, infos: Iterable[ObjectInfo]) -> None:
        for info in infos:
            if info.storage == MANAGED and info.location:
                self._remove_in_warehouse(info.location)

    # ------------------------------------------------------------------ lineage
    def record_lineage(self, sources: Iterable[str], target: str, operation: str, user: str) -> None:
        rows = [dict(source=s, target=target, operation=operation, created_by=user, created_at=_now())
                for s in sorted(set(sources)) if s != target]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(lineage.insert(), rows)

    def lineage_of(self, full_name: str) -> dict[str, list[str]]:
        with self.engine.connect() as conn:
            up = conn.execute(sa.select(lineage.c.source).where(lineage.c.target == full_name).distinct()).scalars()
            down = conn.execute(sa.select(lineage.c.target).where(lineage.c.source == full_name).distinct()).scalars()
            return {"upstream": sorted(up), "downstream": sorted(down)}

    # ------------------------------------------------------------------ users
    def set_user(self, name: str, password: str) -> None:
        """Create a user, or change the password of an existing one."""
        name = _norm(name)
        if not password:
            raise InvalidArgument(f"user {name}: empty password")
        salt, digest = hash_password(password)
        now = _now()
        with self.engine.begin() as conn:
            done = conn.execute(users.update().where(users.c.name == name).values(
                password_salt=salt, password_hash=digest, updated_at=now)).rowcount
            if not done:
                conn.execute(users.insert().values(name=name, password_salt=salt, password_hash=digest,
                                                   created_at=now, updated_at=now))

    def drop_user(self, name: str) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(users.delete().where(users.c.name == _norm(name))).rowcount:
                raise NotFound("user", _norm(name))

    def list_users(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(users.c.name).order_by(users.c.name)).scalars())

    def check_password(self, name: str, password: str) -> bool:
        """True when `name` is a user and `password` is theirs. Unknown users cost the same time."""
        try:
            key = _norm(name)
        except InvalidArgument:
            return False
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == key)).first()
        if row is None:
            password_matches(password or "", "00" * 16, "00" * 32)
            return False
        ok = password_matches(password or "", row.password_salt, row.password_hash)
        if ok and needs_rehash(row.password_hash):
            self.set_user(key, password)  # stored at today's cost from now on
        return ok
