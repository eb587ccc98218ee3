"""Planning overhead: lakelens parse + resolve + plan of a 3-way join of three-level names,
against Spark's own parse + analysis of the resolved statement and the end-to-end latency of
a warm `SELECT … LIMIT 10`. Target: planning < 5 % of end-to-end."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import median_ms, report, timed  # noqa: E402

import lakelens  # noqa: E402

QUERY = ("SELECT a.path, l.label, c.n FROM bench.media.assets a "
         "JOIN bench.media.labels l ON a.label_id = l.label_id "
         "JOIN bench.media.counts c ON c.label_id = l.label_id WHERE l.label <> 'x' LIMIT 10")


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        s = lakelens.connect(home=home)
        s.sql("CREATE CATALOG bench")
        s.sql("CREATE SCHEMA bench.media")
        s.sql("CREATE TABLE bench.media.assets AS SELECT concat('/p/', id) AS path, id % 50 AS label_id "
              "FROM range(10000) AS r(id)")
        s.sql("CREATE TABLE bench.media.labels USING iceberg AS SELECT id AS label_id, concat('l', id) AS label "
              "FROM range(50) AS r(id)")
        s.sql("CREATE TABLE bench.media.counts AS SELECT id AS label_id, id * 2 AS n FROM range(50) AS r(id)")
        plan = s.plan(QUERY)
        for _ in range(5):  # warm up caches and the JIT
            s.sql(QUERY)
        n = 50
        planning = timed(lambda: s.plan(QUERY), n)
        spark_analysis = timed(lambda: s.spark.sql(plan.spark_sql), n)
        end_to_end = timed(lambda: s.sql(QUERY), n)
        p, a, e = median_ms(planning), median_ms(spark_analysis), median_ms(end_to_end)
        report("planning", [
            {"measure": "lakelens planning (parse+resolve+plan)", "median_ms": p},
            {"measure": "Spark parse+analysis of resolved SQL", "median_ms": a},
            {"measure": "end-to-end warm SELECT ... LIMIT 10", "median_ms": e},
            {"measure": "planning / Spark analysis", "median_ms": p / a},
            {"measure": "planning share of end-to-end (%)", "median_ms": 100 * p / e},
        ])


if __name__ == "__main__":
    main()
