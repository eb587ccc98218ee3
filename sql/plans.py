"""What the planner produces and the engine runs. Plain data: no Spark, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from lakelens.catalog import Catalog, ObjectInfo

# Name of the Spark Iceberg catalog (a Hadoop catalog over `<warehouse>/iceberg`) that the
# engine configures; the planner refers to Iceberg tables through it.
ICEBERG_SPARK_CATALOG = "lakelens_iceberg"


@dataclass(frozen=True)
class UdfBinding:
    """One multimodal call site, as the engine registers it."""

    udf_name: str  # the name the rewritten SQL calls
    function: str  # spec name
    options: tuple[tuple[str, Any], ...]  # literal arguments folded in
    on_error: str  # "raise", or "null" for try_ forms


@dataclass(frozen=True)
class SystemTableRead:
    """`system.<schema>.<table>` in a statement: the engine exposes its rows as `placeholder`."""

    placeholder: str
    schema: str
    table: str
    columns_ddl: str


@dataclass(frozen=True)
class VolumeListing:
    """A volume on object storage read without its `content`: the engine lists it (one request
    per 1,000 keys) and exposes `path, name, size, modification_time` as `placeholder`, where
    Spark's binaryFile reader would ask the store about every object. Kept with the system
    tables in `Needs.system_tables`: rows the engine computes before Spark runs."""

    placeholder: str
    location: str  # s3://bucket/prefix of the volume
    user_root: str  # /Volumes/c/s/v


@dataclass
class TableFunctionCall:
    """`near_duplicates`/`dedup` over a query: the engine runs it and exposes `placeholder`."""

    placeholder: str
    function: str  # near_duplicates | dedup
    input_sql: str  # resolved Spark SQL of the TABLE(...) argument
    id_column: str
    on_column: str
    method: str
    threshold: float
    options: dict[str, Any] = field(default_factory=dict)  # num_perm, bands, ngram
    denied_functions: frozenset[str] = frozenset()  # signature functions the invoker may not EXECUTE
    user: str = ""


@dataclass
class Needs:
    """What a plan reads and what the engine must set up before Spark runs its SQL."""

    reads: list[ObjectInfo] = field(default_factory=list)  # securables the statement touches
    udfs: list[UdfBinding] = field(default_factory=list)
    table_functions: list[TableFunctionCall] = field(default_factory=list)
    system_tables: list[SystemTableRead | VolumeListing] = field(default_factory=list)
    # What the statement names itself, not what the views it reads read (lineage's sources).
    sources: list[ObjectInfo] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.udfs or self.table_functions or self.system_tables)


@dataclass
class Plan:
    """Base of every plan: `spark_sql` is the one statement Spark runs for it (None when Spark
    is not involved), `needs` what it reads and binds, `source` the user's statement (Spark's
    error positions are mapped back into it). The engine looks up how to run a plan
    by its type in one table (engine/session.py)."""

    spark_sql: str | None = field(default=None, kw_only=True)
    needs: Needs = field(default_factory=Needs, kw_only=True)
    # Where a write's columns come from (sql/lineage.py), for the lineage the engine records.
    lineage: Any = field(default=None, kw_only=True)
    source: str = field(default="", kw_only=True)  # the statement as the user wrote it
    # The principal's Access the plan was checked with (catalog/grants.py), reused by the engine
    # for the statement's audit event and error messages instead of reading it again.
    access: Any = field(default=None, kw_only=True, repr=False, compare=False)

    @property
    def reads(self) -> list[ObjectInfo]:
        return self.needs.reads


@dataclass
class Rows(Plan):
    """A small result answered without Spark. `columns` are (name, spark type) pairs."""

    columns: list[tuple[str, str]]
    rows: list[tuple]


@dataclass
class CatalogCommand(Plan):
    """A statement answered by the catalog (and the volume file store) alone.

    `run` returns the rows to show, or anything else (typically the changed object's info)
    for statements that answer with no rows."""

    describe: str
    run: Callable[[Catalog], Any]


@dataclass
class SessionChange(Plan):
    """USE CATALOG / USE SCHEMA: validated against the catalog, applied to the session."""

    catalog: str
    schema: str


@dataclass
class SparkQuery(Plan):
    """Spark SQL that returns rows (SELECT, SHOW TBLPROPERTIES, DESCRIBE HISTORY, SET, ...)."""


@dataclass
class SparkWrite(Plan):
    """DML or DDL on an existing table, run by Spark; afterwards the catalog's copy of the
    table's schema is refreshed and lineage recorded."""

    target: ObjectInfo
    operation: str
    # Parquet tables have no transaction log: INSERT runs as a DataFrame write of `spark_sql`,
    # appended or overwriting (a partitioned table: the partitions Spark's
    # partitionOverwriteMode says), its columns mapped onto the table's by position, by the
    # INSERT's column list (missing ones NULL) or by name (INSERT … BY NAME).
    append_query: bool = False
    overwrite: bool = False
    insert_columns: tuple[str, ...] | None = None
    by_name: bool = False


@dataclass
class CreateTable(Plan):
    """CREATE [OR REPLACE] TABLE [AS SELECT]: reserve the name, write, commit or abort.

    `spark_sql` is the CREATE statement against the physical reference (Delta, Iceberg) or,
    for Parquet, the query whose result is written (None: an empty table of `columns_ddl`)."""

    catalog: str
    schema: str
    name: str
    format: str
    storage_key: str
    location: str  # physical location the data goes to
    external: bool
    columns_ddl: str | None  # parquet without AS: the schema of the empty table
    comment: str | None
    properties: dict
    partitioned_by: list[str]
    replace_existing: ObjectInfo | None = None  # CREATE OR REPLACE of an existing table


@dataclass
class CreateView(Plan):
    """`spark_sql` is the view's query resolved to physical references (to learn its schema)."""

    catalog: str
    schema: str
    name: str
    view_text: str  # the user's query with every name fully qualified
    comment: str | None
    replace: bool
    if_not_exists: bool


@dataclass
class TempView(Plan):
    """CREATE TEMPORARY VIEW (view_text set) or DROP VIEW of a temporary view (view_text None):
    changes only the session."""

    name: str
    view_text: str | None
    replace: bool = False
    if_not_exists: bool = False
    if_exists: bool = False


@dataclass
class Explain(Plan):
    inner: Plan
    mode: str | None = None
