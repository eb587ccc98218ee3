"""The differential corpus' data: TPC-H at scale factor 0.01 (tpchgen-cli), loaded once into
lakelens as Delta, Iceberg and Parquet tables (catalog `conformance`, one schema per format),
and a plain Spark session per format whose temporary views read the very same files by path.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lakelens

HERE = Path(__file__).parent
TPCH_TABLES = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]
FORMATS = ["delta", "iceberg", "parquet"]
CATALOG = "conformance"


def tpchgen() -> str:
    found = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    assert Path(found).exists(), "tpchgen-cli is missing: `make setup` installs the test extras"
    return found


@pytest.fixture(scope="session")
def tpch_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tpch-sf0.01")
    subprocess.run([tpchgen(), "parquet", "--scale-factor", "0.01", "--output-dir", str(out)], check=True,
                   capture_output=True)
    return out


class Sides:
    """lakelens (`ours`, current catalog `conformance`) and plain Spark per format (`plain`)."""

    def __init__(self, ours, plain: dict, locations: dict):
        self.ours, self.plain, self.locations = ours, plain, locations

    def use(self, fmt: str):
        self.ours.sql(f"USE SCHEMA {CATALOG}.{fmt}")
        return self.ours, self.plain[fmt]


@pytest.fixture(scope="session")
def sides(lake, home, tpch_files) -> Sides:
    from lakelens.engine.spark import new_session

    ours = lakelens.connect(home=home, user="tester")
    ours.sql(f"CREATE CATALOG {CATALOG}")
    ours.sql(f"USE CATALOG {CATALOG}")
    ours.sql("CREATE SCHEMA files")
    ours.sql(f"CREATE EXTERNAL VOLUME files.tpch LOCATION '{tpch_files}'")
    locations: dict[str, dict[str, str]] = {}
    for fmt in FORMATS:
        ours.sql(f"CREATE SCHEMA {fmt}")
        for table in TPCH_TABLES:
            ours.sql(f"CREATE TABLE {fmt}.{table} USING {fmt} AS SELECT * FROM "
                     f"read_files('/Volumes/{CATALOG}/files/tpch/{table}.parquet', format => 'parquet')")
        locations[fmt] = {t: _location(ours, fmt, t) for t in TPCH_TABLES}
    root = ours.runtime.spark_root(ours.config)
    plain = {}
    for fmt in FORMATS:
        spark = new_session(root, ours.config)
        for table, location in locations[fmt].items():
            reader = spark.read.format(fmt)
            reader.load(location).createOrReplaceTempView(table)
        plain[fmt] = spark
    return Sides(ours, plain, locations)


def _location(session, fmt: str, table: str) -> str:
    rows = session.sql(f"DESCRIBE TABLE EXTENDED {fmt}.{table}").to_pylist()
    for row in rows:
        if row["col_name"] == "Location":
            return row["data_type"].removeprefix("file:")
    raise AssertionError(f"no Location for {fmt}.{table}: {rows}")
