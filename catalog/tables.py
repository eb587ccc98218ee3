"""The metastore's tables (SQLAlchemy Core), created on first use in SQLite or PostgreSQL.

Kept apart from the code that reads and writes them (`metastore.py`, `recycle.py`), so each of
those can import the schema. Columns added after a release are listed in `ADDED_COLUMNS` and
added to an older metastore when it is opened.
"""

from __future__ import annotations

import sqlalchemy as sa

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
    # Ids key grants, bindings and file versions: SQLite must never hand a dropped one out again.
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
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
    sa.Column("source_type", sa.String(16)),      # TABLE | VIEW | VOLUME (NULL in older rows: TABLE)
    sa.Column("source_path", sa.String(1024)),    # a volume's /Volumes/... path
    sa.Column("target_type", sa.String(16)),
    sa.Column("statement_id", sa.String(64)),
    sa.Index("ix_lineage_target", "target"),
    sa.Index("ix_lineage_source", "source"),
)

# Which source column each written column comes from, and the multimodal functions on the way.
column_lineage = sa.Table(
    "column_lineage",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(800), nullable=False),
    sa.Column("source_type", sa.String(16), nullable=False),
    sa.Column("source_column", sa.String(255), nullable=False),
    sa.Column("target", sa.String(800), nullable=False),
    sa.Column("target_type", sa.String(16), nullable=False),
    sa.Column("target_column", sa.String(255), nullable=False),
    sa.Column("function_name", sa.String(255)),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("statement_id", sa.String(64)),
    sa.Index("ix_column_lineage_target", "target"),
)

users = sa.Table(
    "users",
    _meta,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("password_salt", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.String(128), nullable=False),  # "" for a user without a password
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

groups = sa.Table(
    "groups",
    _meta,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

group_members = sa.Table(
    "group_members",
    _meta,
    sa.Column("group_name", sa.String(255), sa.ForeignKey("groups.name"), primary_key=True),
    sa.Column("member", sa.String(255), primary_key=True),
    sa.Index("ix_group_members_member", "member"),
)

# One row per (securable, principal, privilege). `securable_key` is the catalog, schema or
# object id, the function name or the external location's path; `catalog_id`/`schema_id`
# name the parents of a schema or object grant (what makes the parents visible to the grantee,
# and what a DROP ... CASCADE removes).
grants = sa.Table(
    "grants",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("securable_type", sa.String(32), nullable=False),
    sa.Column("securable_key", sa.String(1024), nullable=False),
    sa.Column("catalog_id", sa.Integer),
    sa.Column("schema_id", sa.Integer),
    sa.Column("principal", sa.String(255), nullable=False),
    sa.Column("privilege", sa.String(64), nullable=False),
    sa.Column("grantor", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("securable_type", "securable_key", "principal", "privilege", name="uq_grant"),
    sa.Index("ix_grants_principal", "principal"),
)

# Functions whose EXECUTE an admin has governed (granted or revoked at least once). A function
# with no row here is open to every user, as built-in functions are in Unity Catalog.
governed_functions = sa.Table(
    "governed_functions",
    _meta,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The audit log (system.access.audit): who did what, from where, and how it ended.
audit = sa.Table(
    "audit",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_identity", sa.String(255), nullable=False),
    sa.Column("workspace", sa.String(255)),
    sa.Column("source_address", sa.String(255)),
    sa.Column("client", sa.String(255)),
    sa.Column("session_id", sa.String(64)),
    sa.Column("action_name", sa.String(64), nullable=False),
    sa.Column("request_params", sa.Text, nullable=False, default="{}"),
    sa.Column("securables", sa.Text, nullable=False, default="[]"),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("error_message", sa.Text),
    sa.Index("ix_audit_user_time", "user_identity", "event_time"),
)

# The recycle bin: a dropped table, view or volume, with what UNDROP puts back (its objects
# row, its grants and its lineage edges, as JSON). Its managed files stay where they were
# until the entry expires or is purged (docs/governance.md, "The recycle bin").
dropped_objects = sa.Table(
    "dropped_objects",
    _meta,
    sa.Column("drop_id", sa.String(36), primary_key=True),   # a UUID: UNDROP ... WITH ID
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("catalog_name", sa.String(255), nullable=False),
    sa.Column("schema_name", sa.String(255), nullable=False),
    sa.Column("catalog_id", sa.Integer, nullable=False),    # its parents then: a schema re-created
    sa.Column("schema_id", sa.Integer, nullable=False),     # under the same name is not its parent
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("storage", sa.String(16)),
    sa.Column("location", sa.Text),
    sa.Column("object_row", sa.Text, nullable=False),
    sa.Column("grants", sa.Text, nullable=False, default="[]"),
    sa.Column("lineage", sa.Text, nullable=False, default="{}"),
    sa.Column("dropped_by", sa.String(255), nullable=False),
    sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_dropped_name", "catalog_name", "schema_name", "name"),
)

# Prior versions of volume files: each overwritten or removed file's content, kept under
# <warehouse>/recycle/files until it expires. A file's live copy is the version after the
# last one kept here.
file_versions = sa.Table(
    "file_versions",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("volume_id", sa.Integer, nullable=False),
    sa.Column("path", sa.String(1024), nullable=False),          # relative to the volume's root
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),  # when that content was written
    sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),  # when it stopped being current
    sa.Column("replaced_by", sa.String(255), nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),          # OVERWRITTEN | REMOVED
    sa.Column("blob", sa.Text, nullable=False),                  # its copy under <warehouse>/recycle/files
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    # Set while the volume itself is in the recycle bin (its drop_id): the id may be reused.
    sa.Column("dropped_id", sa.String(36)),
    sa.Index("ix_file_versions_path", "volume_id", "path"),
)

# Workspaces: a named space where some users and groups work on the catalogs and schemas bound
# to it, with its own limits (docs/governance.md, "Workspaces"; catalog/workspaces.py).
workspaces = sa.Table(
    "workspaces",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("properties", sa.Text, nullable=False, default="{}"),   # limits: max_concurrent_queries, max_gpus
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

workspace_members = sa.Table(
    "workspace_members",
    _meta,
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), primary_key=True),
    sa.Column("principal", sa.String(255), primary_key=True),          # a user or a group
)

workspace_bindings = sa.Table(
    "workspace_bindings",
    _meta,
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), primary_key=True),
    sa.Column("securable_type", sa.String(16), primary_key=True),      # CATALOG | SCHEMA
    sa.Column("securable_id", sa.Integer, primary_key=True),
    sa.Index("ix_workspace_bindings_securable", "securable_type", "securable_id"),
)
