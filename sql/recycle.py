"""Planning the recycle bin and file versions (catalog/recycle.py holds the mechanics).

`SHOW TABLES|VOLUMES DROPPED`, `UNDROP TABLE|VIEW|VOLUME name | WITH ID 'uuid'`, `PURGE` of
the same, `LIST VERSIONS '/Volumes/…'`, `RESTORE '/Volumes/…' [TO VERSION n]` and
`PURGE '/Volumes/…'`. Who may do what (docs/governance.md, "The recycle bin"): what is in
the bin is listed, restored and purged by those who could manage the object (its owner, its
schema's or catalog's owner, MANAGE on them, an admin), and reached with USE CATALOG and
USE SCHEMA; a file's versions are read with READ VOLUME, restored with WRITE VOLUME and
purged with MANAGE on the volume.
"""

from __future__ import annotations

from lakelens.catalog import Catalog, NotFound
from lakelens.catalog.grants import MANAGE, denied
from lakelens.catalog.model import EXTERNAL, TABLE, VIEW, VOLUME

from . import dialect as ll
from .describe import BIGINT, INT, STRING, TS
from .names import full_name, schema_name
from .plans import CatalogCommand, Rows

_KINDS = {"TABLE": (TABLE,), "VIEW": (VIEW,), "VOLUME": (VOLUME,), "TABLES": (TABLE, VIEW), "VOLUMES": (VOLUME,)}


def _manages(access, entry: dict) -> bool:
    """Whether `access` may list, restore or purge a bin entry. When its schema is gone or is
    another schema of the same name now, only its own owner (and admins) may: the new schema's
    owner did not own what was dropped from the old one."""
    info = entry["info"]
    if access.admin:
        return True
    if entry["moved"]:
        return access.owns(info.owner) and bool(info.schema_id) and access.uses(info.catalog_id, info.schema_id)
    return bool(info.schema_id) and access.uses(info.catalog_id, info.schema_id) and access.on_object(info, MANAGE)


def plan_show_dropped(stmt: ll.ShowDropped, catalog: Catalog, ctx):
    kind = stmt.this
    cat, sch = schema_name(stmt.args["scope"], ctx) if stmt.args.get("scope") else (ctx.catalog, ctx.schema)
    schema = catalog.get_schema(cat, sch)  # SCHEMA_NOT_FOUND when it is gone, as in Databricks
    if not ctx.access.admin and not ctx.access.uses(schema.catalog_id, schema.id):
        raise denied(ctx.user, "USE SCHEMA", f"schema {schema.full_name}")
    entries = [e for e in catalog.dropped(cat, sch, kinds=_KINDS[kind]) if _manages(ctx.access, e)]
    if stmt.args.get("limit") is not None:
        entries = entries[:max(0, int(stmt.args["limit"]))]
    word = "table" if kind == "TABLES" else "volume"
    columns = [("catalogName", STRING), ("schemaName", STRING), (f"{word}Name", STRING), (f"{word}Id", STRING),
               (f"{word}Type", STRING), ("deletedAt", TS), ("createdAt", TS), ("updatedAt", TS),
               ("createdBy", STRING), ("owner", STRING), ("comment", STRING), ("deletedBy", STRING),
               ("expiresAt", TS)]
    rows = [(e["info"].catalog, e["info"].schema, e["info"].name, e["drop_id"], e["info"].table_type,
             e["dropped_at"], e["info"].created_at, e["info"].updated_at, e["info"].owner, e["info"].owner,
             e["info"].comment, e["dropped_by"], e["expires_at"]) for e in entries]
    return Rows(columns=columns, rows=rows)


def _entry(stmt: ll.Undrop, catalog: Catalog, ctx) -> tuple[list[dict], str]:
    """The bin entries an UNDROP/PURGE names that the user may manage, most recent first, and
    the name to show in messages."""
    kind = stmt.args["kind"]
    word = kind.lower()
    if stmt.args.get("drop_id"):
        drop_id = stmt.args["drop_id"].strip().lower()
        entries = catalog.dropped(drop_id=drop_id, kinds=_KINDS[kind])
        label = f"with id {drop_id}"
    else:
        cat, sch, name = full_name(stmt.args["this"], ctx)
        catalog.get_schema(cat, sch)  # the schema must exist (UNDROP puts the object back in it)
        entries = catalog.dropped(cat, sch, name=name, kinds=_KINDS[kind])
        label = f"{cat}.{sch}.{name}"
    if not entries:
        raise NotFound(f"dropped {word}", f"{label} (no dropped {word} of that "
                       f"{'id' if stmt.args.get('drop_id') else 'name'} in the recycle bin)")
    mine = [e for e in entries if _manages(ctx.access, e)]
    if not mine:
        info = entries[0]["info"]
        if not ctx.access.uses(info.catalog_id):
            raise denied(ctx.user, "USE CATALOG", f"catalog {info.catalog}")
        if not ctx.access.uses(info.catalog_id, info.schema_id):
            raise denied(ctx.user, "USE SCHEMA", f"schema {info.catalog}.{info.schema}")
        raise denied(ctx.user, MANAGE, f"dropped {word} {info.full_name}")
    return mine, label


def plan_undrop(stmt: ll.Undrop, catalog: Catalog, ctx):
    entries, label = _entry(stmt, catalog, ctx)
    kind = stmt.args["kind"].lower()
    if stmt.args.get("purge"):
        ids = [e["drop_id"] for e in entries] if not stmt.args.get("drop_id") else [entries[0]["drop_id"]]
        return CatalogCommand(describe=f"purge dropped {kind} {label}", run=lambda c: Rows(
            columns=[("purged", BIGINT)], rows=[(c.purge_dropped(ids),)]))
    entry = entries[0]
    # Putting an object (back) in a schema is creating one there, as Databricks' UNDROP asks.
    info = entry["info"]
    ctx.access.require_schema(catalog.get_schema(info.catalog, info.schema),
                              "CREATE VOLUME" if info.kind == VOLUME else "CREATE TABLE")
    if info.storage == EXTERNAL and info.location:
        # As creating it there would be: the external location's privilege, under the allowed
        # roots as they are now, and not over storage another object took since the drop.
        from .planner import _external_location

        _external_location(catalog, ctx, info.location,
                           "CREATE EXTERNAL VOLUME" if info.kind == VOLUME else "CREATE EXTERNAL TABLE",
                           info.full_name)
    return CatalogCommand(describe=f"undrop {kind} {label}", run=lambda c: c.undrop(entry["drop_id"]))


def _volume(catalog: Catalog, ctx, path: str, privilege: str):
    files, rel = catalog.open_volume(path, by=ctx.user)
    ctx.access.require_object(files.info, privilege)
    return files, rel


def plan_list_versions(stmt: ll.ListVersions, catalog: Catalog, ctx):
    files, rel = _volume(catalog, ctx, stmt.this, "READ VOLUME")
    return CatalogCommand(describe=f"list versions {stmt.this}", run=lambda c: Rows(
        columns=_VERSION_COLUMNS, rows=[tuple(v[name] for name, _ in _VERSION_COLUMNS)
                                        for v in c.list_versions(files, rel)]))


_VERSION_COLUMNS = [("path", STRING), ("version", INT), ("size", BIGINT), ("modification_time", TS),
                    ("status", STRING), ("changed_by", STRING), ("changed_at", TS), ("expires_at", TS)]


def plan_restore_file(stmt: ll.RestoreFile, catalog: Catalog, ctx):
    if stmt.args.get("purge"):
        files, rel = _volume(catalog, ctx, stmt.this, MANAGE)
        return CatalogCommand(describe=f"purge {stmt.this}", run=lambda c: Rows(
            columns=[("path", STRING), ("versions_purged", BIGINT)],
            rows=[(stmt.this, c.purge_versions(files.info, rel))]))
    files, rel = _volume(catalog, ctx, stmt.this, "WRITE VOLUME")
    version = stmt.args.get("version")
    return CatalogCommand(describe=f"restore {stmt.this}", run=lambda c: Rows(
        columns=[("path", STRING), ("restored_version", INT)], rows=c.restore_file(files, rel, version)))
