"""`system.information_schema`: the catalog as SQL tables, each filtered to what the user may
see (catalog/grants.py `Access`), in the shape of Databricks' information schema.

Privilege tables list the grants a user may know of. On a securable they may manage (owner,
MANAGE, administrator) that is every grant; elsewhere it is the grants to them and their
groups. Grants made on a catalog or schema appear again on each child they apply to, with
`inherited_from` naming where they were made ('CATALOG' or 'SCHEMA'; 'NONE' for a direct
grant), as Databricks shows them.
"""

from __future__ import annotations

from lakelens.catalog import TABLE, VIEW, VOLUME, Catalog
from lakelens.catalog.grants import CATALOG, MANAGE, PRIVILEGES, SCHEMA, TABLE_S, VOLUME_S, Access

# name → (Spark DDL of its columns, what it shows)
TABLES: dict[str, tuple[str, str]] = {
    "catalogs": ("catalog_name STRING, catalog_owner STRING, comment STRING, created TIMESTAMP, "
                 "last_altered TIMESTAMP", "catalogs the user may see"),
    "schemata": ("catalog_name STRING, schema_name STRING, schema_owner STRING, comment STRING, created TIMESTAMP, "
                 "last_altered TIMESTAMP", "schemas the user may see"),
    "tables": ("table_catalog STRING, table_schema STRING, table_name STRING, table_type STRING, "
               "data_source_format STRING, table_owner STRING, comment STRING, created TIMESTAMP, "
               "last_altered TIMESTAMP", "tables and views the user may see"),
    "columns": ("table_catalog STRING, table_schema STRING, table_name STRING, column_name STRING, "
                "ordinal_position INT, data_type STRING, is_nullable STRING, comment STRING",
                "columns of the tables and views the user may see"),
    "views": ("table_catalog STRING, table_schema STRING, table_name STRING, view_definition STRING",
              "views the user may see, with their text"),
    "volumes": ("volume_catalog STRING, volume_schema STRING, volume_name STRING, volume_type STRING, "
                "volume_owner STRING, comment STRING, storage_location STRING, created TIMESTAMP",
                "volumes the user may see"),
    "catalog_privileges": ("grantor STRING, grantee STRING, catalog_name STRING, privilege_type STRING, "
                           "is_grantable STRING, inherited_from STRING", "grants on catalogs"),
    "schema_privileges": ("grantor STRING, grantee STRING, catalog_name STRING, schema_name STRING, "
                          "privilege_type STRING, is_grantable STRING, inherited_from STRING",
                          "grants on schemas, made on them or on their catalog"),
    "table_privileges": ("grantor STRING, grantee STRING, table_catalog STRING, table_schema STRING, "
                         "table_name STRING, privilege_type STRING, is_grantable STRING, inherited_from STRING",
                         "grants on tables and views, made on them, their schema or their catalog"),
    "volume_privileges": ("grantor STRING, grantee STRING, volume_catalog STRING, volume_schema STRING, "
                          "volume_name STRING, privilege_type STRING, is_grantable STRING, inherited_from STRING",
                          "grants on volumes, made on them, their schema or their catalog"),
    "routine_privileges": ("grantor STRING, grantee STRING, routine_name STRING, privilege_type STRING, "
                           "is_grantable STRING, inherited_from STRING",
                           "grants on lakelens' multimodal functions (only governed ones have rows)"),
}


def _grants(catalog: Catalog) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for g in catalog.grant_rows():
        out.setdefault((g["securable_type"], g["securable_key"]), []).append(g)
    return out


def rows(catalog: Catalog, access: Access, name: str) -> list[dict]:
    """The rows of `system.information_schema.<name>` for the user `access` describes."""
    cats = [c for c in catalog.list_catalogs() if access.sees_catalog(c)]
    if name == "catalogs":
        return [dict(catalog_name=c.name, catalog_owner=c.owner, comment=c.comment, created=c.created_at,
                     last_altered=c.updated_at) for c in cats]
    schemas = [s for c in cats for s in catalog.list_schemas(c.name) if access.sees_schema(s)]
    if name == "schemata":
        return [dict(catalog_name=s.catalog, schema_name=s.name, schema_owner=s.owner, comment=s.comment,
                     created=s.created_at, last_altered=s.updated_at) for s in schemas]
    seen_schemas = {s.id for s in schemas}
    objects = [o for c in cats for o in catalog.list_objects(c.name)
               if o.schema_id in seen_schemas and access.sees_object(o)]
    if name == "tables":
        return [dict(table_catalog=o.catalog, table_schema=o.schema, table_name=o.name, table_type=o.table_type,
                     data_source_format=(o.format or "").upper() or None, table_owner=o.owner, comment=o.comment,
                     created=o.created_at, last_altered=o.updated_at) for o in objects if o.kind in (TABLE, VIEW)]
    if name == "columns":
        return [dict(table_catalog=o.catalog, table_schema=o.schema, table_name=o.name, column_name=c.name,
                     ordinal_position=i, data_type=c.type.upper(), is_nullable="YES" if c.nullable else "NO",
                     comment=c.comment)
                for o in objects if o.kind in (TABLE, VIEW) for i, c in enumerate(o.columns)]
    if name == "views":
        return [dict(table_catalog=o.catalog, table_schema=o.schema, table_name=o.name, view_definition=o.view_text)
                for o in objects if o.kind == VIEW]
    if name == "volumes":
        return [dict(volume_catalog=o.catalog, volume_schema=o.schema, volume_name=o.name, volume_type=o.storage,
                     volume_owner=o.owner, comment=o.comment, storage_location=o.location, created=o.created_at)
                for o in objects if o.kind == VOLUME]
    grants = _grants(catalog)

    def shown(held: list[dict], manages: bool, applies: frozenset[str] | None, inherited: str) -> list[dict]:
        return [dict(grantor=g["grantor"], grantee=g["principal"], privilege_type=g["privilege"],
                     is_grantable="YES" if manages else "NO", inherited_from=inherited)
                for g in held if (manages or g["principal"] in access.names)
                and (applies is None or g["privilege"] in applies)]

    if name == "catalog_privileges":
        return [dict(catalog_name=c.name, **r) for c in cats
                for r in shown(grants.get((CATALOG, str(c.id)), []), access.on_catalog(c, MANAGE), None, "NONE")]
    if name == "schema_privileges":
        out = []
        by_id = {c.id: c for c in cats}
        for s in schemas:
            # A grant shows with every grantee to whoever may manage the securable it was made on.
            for key, inherited, manages in (
                    ((SCHEMA, str(s.id)), "NONE", access.on_schema(s, MANAGE)),
                    ((CATALOG, str(s.catalog_id)), "CATALOG", access.on_catalog(by_id[s.catalog_id], MANAGE))):
                applies = None if inherited == "NONE" else PRIVILEGES[SCHEMA]
                out += [dict(catalog_name=s.catalog, schema_name=s.name, **r)
                        for r in shown(grants.get(key, []), manages, applies, inherited)]
        return out
    if name in ("table_privileges", "volume_privileges"):
        kind, prefix = (TABLE_S, "table") if name == "table_privileges" else (VOLUME_S, "volume")
        applies = PRIVILEGES[kind]
        cat_by_id = {c.id: c for c in cats}
        sch_by_id = {s.id: s for s in schemas}
        out = []
        for o in objects:
            if (o.kind == VOLUME) != (kind == VOLUME_S):
                continue
            for key, inherited, manages in (
                    ((kind, str(o.id)), "NONE", access.on_object(o, MANAGE)),
                    ((SCHEMA, str(o.schema_id)), "SCHEMA", access.on_schema(sch_by_id[o.schema_id], MANAGE)),
                    ((CATALOG, str(o.catalog_id)), "CATALOG", access.on_catalog(cat_by_id[o.catalog_id], MANAGE))):
                out += [{f"{prefix}_catalog": o.catalog, f"{prefix}_schema": o.schema, f"{prefix}_name": o.name, **r}
                        for r in shown(grants.get(key, []), manages,
                                       None if inherited == "NONE" else applies, inherited)]
        return out
    if name == "routine_privileges":
        return [dict(routine_name=key, **r) for (kind, key), held in sorted(grants.items()) if kind == "FUNCTION"
                for r in shown(held, access.admin, None, "NONE")]
    raise KeyError(name)
