"""The recycle bin and file versions: what DROP and REMOVE took away can come back.

* A dropped table, view or volume moves to `dropped_objects` with everything UNDROP needs to
  put it back as it was: its row (columns, properties, owner, storage), its grants and its
  lineage edges. Its managed files stay where they are, under a uuid that no other object
  uses, so restoring is a metastore transaction and never a copy.
* A volume file that is overwritten or removed is kept first: hard-linked (or copied, across
  file systems) to `<warehouse>/recycle/files/<uuid>`, or for a volume on object storage
  copied on the server to `<volume>/.lakelens-versions/<uuid>` (catalog/object_volumes.py),
  with a `file_versions` row. Versions of
  a path count from 1; the live file is the one after the last kept.
* Both are kept for `catalog.retention_days` (a catalog's or schema's `retention_days`
  property overrides it; 0 keeps nothing), then the janitor (`purge_expired`, run by every
  reconciliation) deletes them. `purge_dropped` / `purge_versions` delete them at once.

`RecycleBin` is a mixin of `Catalog`: it uses the catalog's engine and helpers.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .errors import AlreadyExists, InvalidArgument, LakelensError, NotFound, Unsupported
from .object_volumes import VERSIONS_DIR
from .storage import is_object_store, join, normalize
from .model import MANAGED, VOLUME, ObjectInfo
from .tables import column_lineage, dropped_objects, file_versions, grants, lineage, objects, schemas

RETENTION_PROPERTY = "retention_days"
DEFAULT_RETENTION_DAYS = 7.0  # Unity Catalog's UNDROP window
MAX_RETENTION_DAYS = 36500.0


log = logging.getLogger(__name__)
_BLOB = re.compile(r"[0-9a-f]{32}(\.[A-Za-z0-9]{1,15})?")
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,15}")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def _jsonable(row) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()}


def _revive(values: dict, table: sa.Table) -> dict:
    """A row saved by `_jsonable`, back in `table`'s column types (timestamps parsed)."""
    out = {}
    for k, v in values.items():
        if k in table.c and isinstance(table.c[k].type, sa.DateTime) and isinstance(v, str):
            v = datetime.fromisoformat(v)
        out[k] = v
    return out


def retention_of(default: float, *property_sets: dict) -> float:
    """Days to keep what is dropped: the first `retention_days` among the property sets
    (schema, then catalog), else `default`."""
    for props in property_sets:
        raw = (props or {}).get(RETENTION_PROPERTY)
        if raw not in (None, ""):
            try:
                days = float(raw)
            except ValueError:
                days = math.nan
            if not 0 <= days <= MAX_RETENTION_DAYS:  # NaN fails too
                raise InvalidArgument(f"{RETENTION_PROPERTY} must be a number of days from 0 to "
                                      f"{MAX_RETENTION_DAYS:g}, got {raw!r}")
            return days
    return default


class RecycleBin:
    """Mixin: the recycle bin and volume file versions of a `Catalog`."""

    retention_days: float = DEFAULT_RETENTION_DAYS

    # ------------------------------------------------------------------ retention
    def _retention(self, conn, schema_id: int) -> float:
        from .tables import catalogs

        row = conn.execute(sa.select(schemas.c.properties.label("s"), catalogs.c.properties.label("c"))
                           .join(catalogs, schemas.c.catalog_id == catalogs.c.id)
                           .where(schemas.c.id == schema_id)).first()
        if row is None:
            return self.retention_days
        return retention_of(self.retention_days, json.loads(row.s or "{}"), json.loads(row.c or "{}"))

    @property
    def recycle_dir(self) -> Path:
        """Kept versions of local volumes' files (object-store volumes keep theirs beside them)."""
        if isinstance(self.warehouse, Path):
            return self.warehouse / "recycle" / "files"
        if self.local_root is None:
            raise Unsupported("file versions of a local volume need a local directory: the warehouse is on "
                              "object storage and the catalog was given no local root")
        return self.local_root / "recycle" / "files"

    # ------------------------------------------------------------------ dropping
    def _to_bin(self, conn, info: ObjectInfo, by: str, days: float) -> bool:
        """Move one object's row, grants and lineage into the bin (inside the caller's
        transaction); False when the retention is 0 and it should simply go."""
        if days <= 0:
            return False
        row = conn.execute(sa.select(objects).where(objects.c.id == info.id)).first()
        if row is None:
            return False
        grant_rows = conn.execute(sa.select(grants).where(
            grants.c.securable_type.in_(["TABLE", "VOLUME"]), grants.c.securable_key == str(info.id))).all()
        edges = {}
        for table in (lineage, column_lineage):
            hit = sa.or_(table.c.source == info.full_name, table.c.target == info.full_name)
            edges[table.name] = [_jsonable(r) for r in conn.execute(sa.select(table).where(hit)).all()]
            conn.execute(table.delete().where(hit))
        now = _now()
        drop_id = str(uuid.uuid4())
        if info.kind == VOLUME:  # its kept file versions go into the bin with it
            conn.execute(file_versions.update().where(file_versions.c.volume_id == info.id,
                                                      file_versions.c.dropped_id.is_(None)).values(dropped_id=drop_id))
        conn.execute(dropped_objects.insert().values(
            drop_id=drop_id, object_id=info.id, catalog_name=info.catalog, schema_name=info.schema,
            catalog_id=info.catalog_id, schema_id=info.schema_id,
            name=info.name, kind=info.kind, storage=info.storage, location=info.location,
            object_row=json.dumps(_jsonable(row)), grants=json.dumps([_jsonable(g) for g in grant_rows]),
            lineage=json.dumps(edges), dropped_by=by, dropped_at=now, expires_at=now + timedelta(days=days)))
        return True

    def dropped(self, catalog: str | None = None, schema: str | None = None, *, name: str | None = None,
                kinds: Sequence[str] | None = None, drop_id: str | None = None) -> list[dict]:
        """Entries of the bin that have not expired, most recently dropped first: each a dict
        with `drop_id`, `info` (the ObjectInfo it had, with id 0 — its old id may belong to
        another object now — and its parents' current ids when they exist), `moved` (its schema
        is gone, or is another schema of the same name now) and the drop's facts (`dropped_at`,
        `dropped_by`, `expires_at`)."""
        from .tables import catalogs

        q = sa.select(dropped_objects).where(dropped_objects.c.expires_at > _now())
        if catalog is not None:
            q = q.where(dropped_objects.c.catalog_name == catalog.lower())
        if schema is not None:
            q = q.where(dropped_objects.c.schema_name == schema.lower())
        if name is not None:
            q = q.where(dropped_objects.c.name == name.lower())
        if kinds:
            q = q.where(dropped_objects.c.kind.in_(list(kinds)))
        if drop_id is not None:
            q = q.where(dropped_objects.c.drop_id == drop_id.lower())
        out = []
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(dropped_objects.c.dropped_at.desc())).all()
            parents = {}
            for r in rows:
                key = (r.catalog_name, r.schema_name)
                if key not in parents:
                    parents[key] = conn.execute(
                        sa.select(schemas.c.id, schemas.c.catalog_id).join(catalogs, schemas.c.catalog_id == catalogs.c.id)
                        .where(catalogs.c.name == r.catalog_name, schemas.c.name == r.schema_name)).first()
                values = json.loads(r.object_row)
                parent = parents[key]
                info = ObjectInfo(
                    id=0, catalog=r.catalog_name, schema=r.schema_name, name=r.name, kind=r.kind,
                    storage=r.storage, format=values.get("format"), location=r.location,
                    view_text=values.get("view_text"), columns=(), owner=values.get("owner") or "",
                    comment=values.get("comment"), properties=json.loads(values.get("properties") or "{}"),
                    created_at=datetime.fromisoformat(values["created_at"]),
                    updated_at=datetime.fromisoformat(values["updated_at"]),
                    storage_key=values.get("storage_key") or "",
                    schema_id=parent.id if parent else 0, catalog_id=parent.catalog_id if parent else 0)
                out.append(dict(drop_id=r.drop_id, info=info, dropped_at=_aware(r.dropped_at),
                                dropped_by=r.dropped_by, expires_at=_aware(r.expires_at),
                                moved=parent is None or parent.id != r.schema_id))
        return out

    def undrop(self, drop_id: str) -> ObjectInfo:
        """Put a dropped object back under its name, with its grants and lineage. Its schema
        must exist (by name) and the name must be free."""
        try:
            return self._undrop(drop_id)
        except IntegrityError:  # the name was taken meanwhile: nothing changed
            raise AlreadyExists("relation", drop_id, "its name was taken while it was restored") from None

    def _undrop(self, drop_id: str) -> ObjectInfo:
        with self.engine.begin() as conn:
            entry = conn.execute(sa.select(dropped_objects).where(dropped_objects.c.drop_id == drop_id)).first()
            # Claimed first: a concurrent PURGE (or the janitor) then finds nothing to delete.
            if entry is None or conn.execute(dropped_objects.delete().where(
                    dropped_objects.c.drop_id == drop_id)).rowcount != 1:
                raise NotFound("dropped object", drop_id)
            full = f"{entry.catalog_name}.{entry.schema_name}.{entry.name}"
            cat, sch = self._schema_row(conn, entry.catalog_name, entry.schema_name)
            taken = conn.execute(sa.select(objects.c.kind).where(
                objects.c.schema_id == sch.id, objects.c.name == entry.name)).first()
            if taken:
                raise AlreadyExists(taken.kind.lower(), full,
                                    f"rename or drop it before UNDROP {entry.kind}")
            values = _revive(json.loads(entry.object_row), objects)
            values["schema_id"] = sch.id
            old_id = values.pop("id")
            if conn.execute(sa.select(objects.c.id).where(objects.c.id == old_id)).first() is None:
                values["id"] = old_id  # keep the id: what refers to it (file versions) stays right
            new_id = conn.execute(objects.insert().values(**values)).inserted_primary_key[0]
            for g in json.loads(entry.grants):
                g = _revive(g, grants)
                g.pop("id", None)
                g.update(securable_key=str(new_id), catalog_id=cat.id, schema_id=sch.id)
                conn.execute(grants.insert().values(**g))
            for table in (lineage, column_lineage):
                rows = [_revive(r, table) for r in json.loads(entry.lineage).get(table.name, [])]
                for r in rows:
                    r.pop("id", None)
                if rows:
                    conn.execute(table.insert(), rows)
            conn.execute(file_versions.update().where(file_versions.c.dropped_id == drop_id)
                         .values(volume_id=new_id, dropped_id=None))
        return self.get_object(entry.catalog_name, entry.schema_name, entry.name)

    def purge_dropped(self, drop_ids: Sequence[str]) -> int:
        """Delete bin entries now, with their managed files; how many went."""
        gone = 0
        for drop_id in drop_ids:
            with self.engine.begin() as conn:
                entry = conn.execute(sa.select(dropped_objects).where(dropped_objects.c.drop_id == drop_id)).first()
                if entry is None or conn.execute(dropped_objects.delete().where(
                        dropped_objects.c.drop_id == drop_id)).rowcount != 1:
                    continue  # restored or purged meanwhile
                blobs = self._forget_versions(conn, dropped_id=drop_id) if entry.kind == VOLUME else []
            if entry.storage == MANAGED and entry.location:
                self._remove_in_warehouse(entry.location)
            self._remove_blobs(blobs)
            gone += 1
        return gone

    # ------------------------------------------------------------------ file versions
    def _forget_versions(self, conn, volume_id: int | None = None, path: str | None = None, *,
                         dropped_id: str | None = None) -> list[str]:
        """Delete a volume's kept versions (under `path`, a file or directory) in `conn` — a live
        volume's by id, a dropped one's by its drop id; the blobs to remove once it commits."""
        q = sa.select(file_versions.c.id, file_versions.c.blob).where(
            file_versions.c.dropped_id == dropped_id if dropped_id else
            sa.and_(file_versions.c.volume_id == volume_id, file_versions.c.dropped_id.is_(None)))
        if path:
            q = q.where(sa.or_(file_versions.c.path == path,
                               file_versions.c.path.startswith(path.rstrip("/") + "/", autoescape=True)))
        rows = conn.execute(q).all()
        if rows:
            conn.execute(file_versions.delete().where(file_versions.c.id.in_([r.id for r in rows])))
        return [r.blob for r in rows]

    def _blob_path(self, blob: str) -> str:
        """Where a kept copy is: `blob` is its name under recycle_dir, or for a volume on object
        storage the URL of a copy under that volume's hidden versions prefix (nothing else is
        accepted, whatever a row says)."""
        if _BLOB.fullmatch(blob):
            return str(self.recycle_dir / blob)
        if is_object_store(blob):
            head, _, name = blob.rpartition("/")
            if _BLOB.fullmatch(name) and head.endswith("/" + VERSIONS_DIR) and normalize(blob) == blob:
                return blob
        raise InvalidArgument(f"not a kept file version: {blob!r}")

    def _remove_blobs(self, blobs: Sequence[str]) -> None:
        for blob in blobs:
            try:
                self.storage.delete_file(self._blob_path(blob))
            except InvalidArgument:
                continue  # never anything outside the bin
            except LakelensError as e:  # unreachable storage: the copy stays rather than fail the purge
                log.warning("a kept file version was not deleted (%s): %s", blob, e)

    def file_keeper(self, info: ObjectInfo, by: str):
        """The callback a volume's files call before a file is replaced or removed
        (`keep(files, rel, reason)`); None when its schema keeps nothing."""
        with self.engine.connect() as conn:
            days = self._retention(conn, info.schema_id)
        if days <= 0:
            return None

        def keep(files, rel: str, reason: str) -> None:
            suffix = PurePosixPath(rel).suffix[:16]  # kept for format sniffing; nothing Hadoop would glob
            name = f"{uuid.uuid4().hex}{suffix if _SUFFIX.fullmatch(suffix) else ''}"
            if files.versions_root is None:
                blob, dest = name, str(self.recycle_dir / name)
            else:
                blob = dest = join(files.versions_root, name)
            st = files.preserve(rel, dest)
            now = _now()
            try:
                with self.engine.begin() as conn:
                    last = conn.execute(sa.select(sa.func.max(file_versions.c.version)).where(
                        file_versions.c.volume_id == info.id, file_versions.c.dropped_id.is_(None),
                        file_versions.c.path == rel)).scalar() or 0
                    conn.execute(file_versions.insert().values(
                        volume_id=info.id, path=rel, version=last + 1, size=st.size,
                        modified_at=datetime.fromtimestamp(st.mtime, tz=timezone.utc), replaced_at=now,
                        replaced_by=by, reason=reason, blob=blob, expires_at=now + timedelta(days=days)))
            except BaseException:
                self.storage.delete_file(dest)
                raise

        return keep

    def file_versions(self, info: ObjectInfo, rel: str = "") -> list[dict]:
        """The kept versions of a file, or of every file under a directory (`rel` "" = the
        whole volume), oldest first."""
        q = sa.select(file_versions).where(file_versions.c.volume_id == info.id, file_versions.c.dropped_id.is_(None),
                                           file_versions.c.expires_at > _now())
        if rel:
            q = q.where(sa.or_(file_versions.c.path == rel.rstrip("/"),
                               file_versions.c.path.startswith(rel.rstrip("/") + "/", autoescape=True)))
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(file_versions.c.path, file_versions.c.version)).all()
        return [dict(path=r.path, version=r.version, size=r.size, modified_at=_aware(r.modified_at),
                     replaced_at=_aware(r.replaced_at), replaced_by=r.replaced_by, reason=r.reason, blob=r.blob,
                     expires_at=_aware(r.expires_at)) for r in rows]

    def list_versions(self, files, rel: str = "") -> list[dict]:
        """`LIST VERSIONS`: every kept version of a file, or of the files under a directory
        that have any, each followed by its live version (status CURRENT) when there is one.
        Status of a kept version: OVERWRITTEN or REMOVED."""
        rel = rel.rstrip("/")
        by_path: dict[str, list[dict]] = {}
        for v in self.file_versions(files.info, rel):
            by_path.setdefault(v["path"], []).append(v)
        target = files.stat(rel)
        if rel and target is not None and not target.is_dir and rel not in by_path:
            by_path[rel] = []
        if not by_path and target is None:
            raise NotFound("path", f"{files.info.volume_path}/{rel}".rstrip("/"))
        out = []
        for path, versions in sorted(by_path.items()):
            user_path = f"{files.info.volume_path}/{path}"
            for v in versions:
                out.append(dict(path=user_path, version=v["version"], size=v["size"], modification_time=v["modified_at"],
                                status=v["reason"], changed_by=v["replaced_by"], changed_at=v["replaced_at"],
                                expires_at=v["expires_at"]))
            st = _live_file(files, path)
            if st is not None:
                out.append(dict(path=user_path, version=(versions[-1]["version"] if versions else 0) + 1,
                                size=st.size, modification_time=st.modified,
                                status="CURRENT", changed_by=None, changed_at=None, expires_at=None))
        return out

    def version_path(self, files, rel: str, version) -> str:
        """Where version `version` of a volume file is (a local path or a URL): a kept copy, or
        the live file when it is the current version."""
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidArgument(f"a file version is a positive integer, got {version!r}")
        rel = rel.rstrip("/")
        kept = [v for v in self.file_versions(files.info, rel) if v["path"] == rel]
        for v in kept:
            if v["version"] == version:
                return self._blob_path(v["blob"])
        live = _live_file(files, rel)
        current = (kept[-1]["version"] if kept else 0) + 1
        if version == current and live is not None:
            return files.location_of(rel)
        have = [v["version"] for v in kept] + ([current] if live is not None else [])
        raise NotFound("file version", f"{files.info.volume_path}/{rel} version {version} "
                       f"(versions kept: {', '.join(map(str, have)) or 'none'})")

    def restore_file(self, files, rel: str, version: int | None = None) -> list[tuple[str, int]]:
        """Bring back a file's kept version (the latest kept when `version` is None; the live
        content is kept in turn), or, for a directory, the latest version of every file under
        it that is gone. Returns (volume path, version restored) pairs."""
        rel = rel.rstrip("/")
        kept = self.file_versions(files.info, rel)
        exact = [v for v in kept if v["path"] == rel]
        if exact:
            chosen = exact[-1] if version is None else next((v for v in exact if v["version"] == version), None)
            if chosen is None:
                self.version_path(files, rel, version)  # names the versions there are
                raise InvalidArgument(f"version {version} of {files.info.volume_path}/{rel} is the live file already")
            todo = [chosen]
        else:
            if version is not None:
                raise NotFound("file version", f"{files.info.volume_path}/{rel} has no kept versions")
            latest: dict[str, dict] = {}
            for v in kept:
                latest[v["path"]] = v
            todo = [v for p, v in sorted(latest.items()) if files.stat(p) is None]
            if not todo:
                raise NotFound("file version", f"{files.info.volume_path}/{rel}".rstrip("/")
                               + " (nothing removed under it is kept)")
        out = []
        for v in todo:
            src, _ = self.storage.open_input(self._blob_path(v["blob"]))
            with src, files.open_write(v["path"], overwrite=True) as dst:
                shutil.copyfileobj(src, _Sink(dst), 1 << 20)
            out.append((f"{files.info.volume_path}/{v['path']}", v["version"]))
        return out

    def purge_versions(self, info: ObjectInfo, rel: str = "") -> int:
        with self.engine.begin() as conn:
            blobs = self._forget_versions(conn, info.id, rel or None)
        self._remove_blobs(blobs)
        return len(blobs)

    # ------------------------------------------------------------------ the janitor
    def purge_expired(self, now: datetime | None = None) -> list[str]:
        """Delete what has outlived its retention: bin entries and kept file versions."""
        now = now or _now()
        with self.engine.connect() as conn:
            expired = conn.execute(sa.select(dropped_objects.c.drop_id, dropped_objects.c.catalog_name,
                                             dropped_objects.c.schema_name, dropped_objects.c.name)
                                   .where(dropped_objects.c.expires_at <= now)).all()
        done = [f"purged dropped {r.catalog_name}.{r.schema_name}.{r.name} ({r.drop_id})" for r in expired]
        self.purge_dropped([r.drop_id for r in expired])
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(file_versions.c.id, file_versions.c.blob)
                                .where(file_versions.c.expires_at <= now)).all()
            if rows:
                conn.execute(file_versions.delete().where(file_versions.c.id.in_([r.id for r in rows])))
        self._remove_blobs([r.blob for r in rows])
        if rows:
            done.append(f"purged {len(rows)} expired file version(s)")
        return done


def _live_file(files, rel: str):
    """The FileStat of a volume's live regular file at `rel`, or None (absent, a directory or
    a symbolic link)."""
    st = files.stat(rel) if rel else None
    if st is None or st.is_dir:
        return None
    if files.versions_root is None and files.physical(rel).is_symlink():
        return None
    return st


class _Sink:
    """A file-like face on a `VolumeFiles.Writer` for shutil.copyfileobj."""

    def __init__(self, writer):
        self.write = writer.write
