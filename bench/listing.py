"""Metadata at scale: SHOW TABLES over a schema of 10,000 tables, and a volume of 100,000
files listed by `LIST` (catalog) and counted through Spark's binaryFile relation."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import median_ms, report, timed  # noqa: E402

import lakelens  # noqa: E402
from lakelens.catalog import Column  # noqa: E402

N_TABLES, N_FILES = 10_000, 100_000


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        s = lakelens.connect(home=home)
        s.sql("CREATE SCHEMA main.many")
        cat = s.catalog
        # Registering 10k tables through Spark would take hours; the metadata rows are what SHOW reads.
        for i in range(N_TABLES):
            info = cat.reserve_table("main", "many", f"t{i:05d}", fmt="delta", location=None,
                                     storage_key=cat.new_storage_key())
            cat.commit_table(info.id, [Column("id", "bigint"), Column("v", "string")])
        show = timed(lambda: s.sql("SHOW TABLES IN main.many"), 10)
        extended = timed(lambda: s.sql("SHOW TABLE EXTENDED IN main.many LIKE '*'"), 3)
        assert s.sql("SHOW TABLES IN main.many").num_rows == N_TABLES

        s.sql("CREATE VOLUME main.default.files")
        root = Path(cat.get_object("main", "default", "files").location)
        for d in range(100):
            sub = root / f"d{d:03d}"
            sub.mkdir()
            for f in range(N_FILES // 100):
                (sub / f"f{f:05d}.bin").write_bytes(b"x")
        list_top = timed(lambda: s.sql("LIST '/Volumes/main/default/files/d000'"), 10)
        count = timed(lambda: s.sql("SELECT count(*) AS n FROM main.default.files"), 3)
        assert s.sql("SELECT count(*) AS n FROM main.default.files").to_pylist() == [{"n": N_FILES}]
        report("listing", [
            {"measure": f"SHOW TABLES, {N_TABLES} tables", "median_ms": median_ms(show)},
            {"measure": f"SHOW TABLE EXTENDED, {N_TABLES} tables", "median_ms": median_ms(extended)},
            {"measure": f"LIST one folder of {N_FILES // 100} files", "median_ms": median_ms(list_top)},
            {"measure": f"SELECT count(*) over a volume of {N_FILES} files (Spark)", "median_ms": median_ms(count)},
        ])


if __name__ == "__main__":
    main()
