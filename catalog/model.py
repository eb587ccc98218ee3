"""Plain records the catalog hands out: one per kind of securable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Kinds of objects that live inside a schema. Tables, views and volumes share one
# namespace, so `catalog.schema.name` always means exactly one thing.
TABLE, VIEW, VOLUME = "TABLE", "VIEW", "VOLUME"
MANAGED, EXTERNAL = "MANAGED", "EXTERNAL"
FORMATS = ("delta", "iceberg", "parquet")
# Managed Iceberg tables live in a Hadoop-layout Iceberg warehouse (`<warehouse>/iceberg`):
# namespace `tables`, one table per storage key. The engine's Spark Iceberg catalog and the
# planner's references name them through these two, nowhere else.
ICEBERG_NAMESPACE = "tables"


def iceberg_table_name(storage_key: str) -> str:
    return f"t_{storage_key}"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Spark SQL type text, e.g. "bigint", "array<float>"
    nullable: bool = True
    comment: str | None = None


@dataclass(frozen=True)
class CatalogInfo:
    id: int
    name: str
    owner: str
    comment: str | None
    properties: dict
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SchemaInfo:
    id: int
    catalog: str
    name: str
    owner: str
    comment: str | None
    properties: dict
    created_at: datetime
    updated_at: datetime
    catalog_id: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.name}"


@dataclass(frozen=True)
class ObjectInfo:
    """A table, view or volume."""

    id: int
    catalog: str
    schema: str
    name: str
    kind: str  # TABLE | VIEW | VOLUME
    storage: str | None  # MANAGED | EXTERNAL (None for views)
    format: str | None  # delta | iceberg | parquet (tables only)
    location: str | None  # absolute local path, or the table's storage root
    view_text: str | None
    columns: tuple[Column, ...]
    owner: str
    comment: str | None
    properties: dict
    created_at: datetime
    updated_at: datetime
    storage_key: str = ""  # stable physical identifier (uuid hex), independent of the name
    partitioned_by: tuple[str, ...] = field(default_factory=tuple)
    schema_id: int = 0   # the ids of its schema and catalog: where its inherited grants live
    catalog_id: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.name}"

    @property
    def table_type(self) -> str:
        """The type BI tools see (JDBC TABLE_TYPE)."""
        if self.kind == VIEW:
            return "VIEW"
        if self.kind == VOLUME:
            return "VOLUME"
        return self.storage or MANAGED

    @property
    def volume_path(self) -> str:
        return f"/Volumes/{self.catalog}/{self.schema}/{self.name}"
