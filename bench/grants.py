"""What a permission check costs per statement, with 10,000 tables in the catalog.

The same statements are planned in one run by three principals: the local user (embedded use,
trusted, never checked), a remote administrator (the privileges are loaded, then waived), and
a remote analyst who holds real grants (USE on the catalog and schema, SELECT on three tables,
and one grant in ten on the other tables through a group). Three kinds of statements: a 3-way
join of three-level names (every table read is checked), SHOW TABLES over the schema (10,000
rows filtered to what the analyst may see), and the JDBC GetTables call (the gateway's
metadata answer, filtered the same way). The analyst is measured twice: in no workspace, and
in workspace `vision`, bound to the schema (membership and bindings are read again for every
statement, and every name goes through the WorkspaceView). Planning only: no Spark job runs.

    python bench/grants.py [--tables 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import median_ms, report, timed  # noqa: E402

QUERY = ("SELECT a.c0, b.c2, c.c4 FROM bench.media.t00000 a JOIN bench.media.t00001 b ON a.c1 = b.c1 "
         "JOIN bench.media.t00002 c ON c.c1 = a.c1 WHERE a.c3 > 0")


def build(home: Path, n: int):
    """A home with `n` tables in bench.media (registered in the catalog directly) and its grants."""
    import lakelens
    from lakelens.catalog import Column

    s = lakelens.connect(home=home)
    catalog = s.catalog
    s.sql("CREATE CATALOG bench")
    s.sql("CREATE SCHEMA bench.media")
    cols = [Column(f"c{j}", "int" if j % 2 else "string", True, None) for j in range(10)]
    for i in range(n):
        info = catalog.reserve_table("bench", "media", f"t{i:05d}", fmt="delta", location=None,
                                     storage_key=catalog.new_storage_key(), owner="root")
        catalog.commit_table(info.id, cols)
    catalog.create_user("root", "root-password", admin=True)
    catalog.create_user("ann", "ann-password")
    catalog.create_group("analysts")
    catalog.alter_group("analysts", add=["ann"])
    s.sql("GRANT USE CATALOG ON CATALOG bench TO ann")
    s.sql("GRANT USE SCHEMA ON SCHEMA bench.media TO ann")
    for i in range(3):
        s.sql(f"GRANT SELECT ON TABLE bench.media.t{i:05d} TO ann")
    for i in range(10, n, 10):
        s.sql(f"GRANT SELECT ON TABLE bench.media.t{i:05d} TO analysts")
    s.sql("CREATE WORKSPACE vision")  # the analyst's workspace, bound to the schema
    s.sql("ALTER WORKSPACE vision ADD GROUP analysts")
    s.sql("ALTER WORKSPACE vision BIND SCHEMA bench.media")
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from lakelens.catalog import Principal
    from lakelens.engine.gateway import metadata
    from lakelens.engine.session import Session

    with tempfile.TemporaryDirectory() as home:
        print(f"registering {args.tables} tables …", flush=True)
        local = build(Path(home), args.tables)
        principals = {
            "local user (no checks)": local,
            "remote admin": Session(local.config, principal=Principal("root", "password", "127.0.0.1:1", True)),
            "remote analyst (grants)": Session(local.config, principal=Principal("ann", "password", "127.0.0.1:1", True)),
            "remote analyst in a workspace": Session(local.config, workspace="vision",
                                                     principal=Principal("ann", "password", "127.0.0.1:1", True)),
        }
        rows, base = [], {}
        for what, statement in (("3-way join", QUERY), ("SHOW TABLES", "SHOW TABLES IN bench.media")):
            for who, session in principals.items():
                session.plan(statement)  # warm
                ms = median_ms(timed(lambda: session.plan(statement), args.repeat))
                base.setdefault(what, ms)
                shown = len(session.plan(statement).rows) if what == "SHOW TABLES" else None
                rows.append({"statement": what, "principal": who, "median_ms": ms,
                             "ratio to local": ms / base[what], "rows": shown})
        for who, session in principals.items():
            call = lambda: metadata.tables(session.catalog, "bench", "media", "%", None, session.access())  # noqa: E731
            ms = median_ms(timed(call, max(5, args.repeat // 3)))
            base.setdefault("GetTables", ms)
            rows.append({"statement": "GetTables", "principal": who, "median_ms": ms,
                         "ratio to local": ms / base["GetTables"], "rows": call().num_rows})
        report("grants", rows)


if __name__ == "__main__":
    main()
