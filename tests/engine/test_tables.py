"""Tables, views and time travel through a real Spark session with Delta and Iceberg."""

from __future__ import annotations

import os

import pytest

from lakelens.catalog import AlreadyExists, LakelensError, NotEmpty, NotFound

from ..conftest import rows


def test_delta_lifecycle_dml_and_time_travel(fresh):
    s = fresh
    s.sql("CREATE SCHEMA shop")
    s.sql("USE shop")
    s.sql("CREATE TABLE orders (id INT, item STRING, qty INT) USING delta")
    s.sql("INSERT INTO orders VALUES (1, 'pen', 2), (2, 'ink', 1)")
    s.sql("UPDATE orders SET qty = 5 WHERE id = 1")
    s.sql("DELETE FROM orders WHERE id = 2")
    s.sql("MERGE INTO orders t USING (SELECT 3 AS id, 'pad' AS item, 7 AS qty) u ON t.id = u.id "
          "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    assert sorted(rows(s.sql("SELECT id, item, qty FROM orders"))) == [(1, "pen", 5), (3, "pad", 7)]
    assert sorted(rows(s.sql("SELECT id, qty FROM orders VERSION AS OF 1"))) == [(1, 2), (2, 1)]
    history = s.sql("DESCRIBE HISTORY orders").to_pylist()
    assert [h["operation"] for h in history][:2] == ["MERGE", "DELETE"]
    s.sql("RESTORE TABLE orders TO VERSION AS OF 1")
    assert sorted(rows(s.sql("SELECT id, qty FROM orders"))) == [(1, 2), (2, 1)]


def test_three_level_join_of_delta_and_iceberg(fresh):
    cat = fresh.current_catalog
    fresh.sql(f"CREATE TABLE {cat}.default.assets USING delta AS SELECT * FROM VALUES (1, 'a.png'), (2, 'b.wav') AS t(label_id, path)")
    fresh.sql(f"CREATE TABLE {cat}.default.labels USING iceberg AS SELECT * FROM VALUES (1, 'invoice'), (2, 'speech') AS t(label_id, label)")
    out = fresh.sql(f"SELECT a.path, l.label FROM {cat}.default.assets a JOIN {cat}.default.labels l "
                    f"ON a.label_id = l.label_id ORDER BY a.path")
    assert rows(out) == [("a.png", "invoice"), ("b.wav", "speech")]
    fresh.sql("INSERT INTO labels VALUES (3, 'memo')")
    snapshots = fresh.sql("DESCRIBE HISTORY labels").to_pylist()
    assert len(snapshots) == 2
    first = snapshots[-1]["version"]
    assert fresh.sql(f"SELECT count(*) AS n FROM labels VERSION AS OF {first}").to_pylist() == [{"n": 2}]
    info = fresh.sql("DESCRIBE TABLE EXTENDED labels").to_pylist()
    assert {"col_name": "Provider", "data_type": "iceberg", "comment": ""} in info


def test_parquet_tables_append_positionally(fresh):
    fresh.sql("CREATE TABLE p (a INT, b STRING) USING parquet")
    fresh.sql("INSERT INTO p VALUES (1, 'x')")
    fresh.sql("INSERT INTO p SELECT 2, 'y'")
    assert sorted(rows(fresh.sql("SELECT a, b FROM p"))) == [(1, "x"), (2, "y")]
    with pytest.raises(LakelensError, match="UNSUPPORTED_FEATURE"):
        fresh.sql("UPDATE p SET a = 3")


def test_failed_ctas_leaves_no_table_and_no_files(fresh, home):
    fresh.sql("CREATE TABLE src AS SELECT * FROM VALUES (1), (2) AS t(x)")
    before = set(os.listdir(home / "warehouse" / "tables"))
    with pytest.raises(LakelensError, match="USER_RAISED_EXCEPTION"):
        fresh.sql("CREATE TABLE broken AS SELECT IF(x > 1, raise_error('bad row'), x) AS y FROM src")
    assert set(os.listdir(home / "warehouse" / "tables")) == before
    with pytest.raises(NotFound):
        fresh.sql("SELECT * FROM broken")
    fresh.sql("CREATE TABLE broken AS SELECT x FROM src")  # the name is free again
    assert rows(fresh.sql("SELECT count(*) FROM broken")) == [(2,)]


def test_failed_insert_leaves_table_unchanged(fresh):
    fresh.sql("CREATE TABLE t AS SELECT 1 AS x")
    with pytest.raises(LakelensError):
        fresh.sql("INSERT INTO t SELECT raise_error('no')")
    assert rows(fresh.sql("SELECT x FROM t")) == [(1,)]
    assert len(fresh.sql("DESCRIBE HISTORY t").to_pylist()) == 1


def test_views_keep_their_names_and_follow_data(fresh):
    fresh.sql("CREATE TABLE t AS SELECT * FROM VALUES (1), (5) AS v(x)")
    fresh.sql("CREATE VIEW big COMMENT 'x > 2' AS SELECT x FROM t WHERE x > 2")
    fresh.sql("CREATE SCHEMA other")
    fresh.sql("USE other")  # the view was qualified when created
    assert rows(fresh.sql("SELECT * FROM default.big")) == [(5,)]
    fresh.sql("INSERT INTO default.t VALUES (9)")
    assert sorted(rows(fresh.sql("SELECT * FROM default.big"))) == [(5,), (9,)]
    with pytest.raises(LakelensError, match="WRONG_COMMAND_FOR_OBJECT_TYPE"):
        fresh.sql("DROP TABLE default.big")
    fresh.sql("DROP VIEW default.big")


def test_schema_evolution_is_reflected_in_catalog_metadata(fresh):
    fresh.sql("CREATE TABLE t (id INT) USING delta COMMENT 'things'")
    fresh.sql("ALTER TABLE t ADD COLUMNS (label STRING)")
    assert rows(fresh.sql("DESCRIBE t")) == [("id", "int", None), ("label", "string", None)]
    ext = fresh.sql("SHOW TABLE EXTENDED LIKE 't'").to_pylist()[0]["information"]
    assert " |-- label: string (nullable = true)" in ext and "Provider: delta" in ext
    create = rows(fresh.sql("SHOW CREATE TABLE t"))[0][0]
    assert "label STRING" in create and "USING delta" in create


def test_ddl_errors_are_clear_and_lose_nothing(fresh):
    fresh.sql("CREATE SCHEMA s")
    fresh.sql("CREATE TABLE s.t AS SELECT 1 AS x")
    with pytest.raises(NotEmpty, match="SCHEMA_NOT_EMPTY"):
        fresh.sql("DROP SCHEMA s")
    with pytest.raises(AlreadyExists, match="TABLE_OR_VIEW_ALREADY_EXISTS"):
        fresh.sql("CREATE TABLE s.t AS SELECT 2 AS x")
    assert rows(fresh.sql("SELECT x FROM s.t")) == [(1,)]
    fresh.sql("CREATE TABLE IF NOT EXISTS s.t AS SELECT 3 AS x")
    fresh.sql("CREATE OR REPLACE TABLE s.t AS SELECT 4 AS x")
    assert rows(fresh.sql("SELECT x FROM s.t")) == [(4,)]
    fresh.sql("DROP SCHEMA s CASCADE")
    with pytest.raises(NotFound, match="SCHEMA_NOT_FOUND"):
        fresh.sql("SELECT * FROM s.t")


def test_create_or_replace_of_a_parquet_table_is_atomic(fresh, tmp_path):
    """The new data is written beside the old and swapped in by one commit: a failing replace
    keeps the old rows (managed or external), a successful one leaves no old files behind."""
    ext = tmp_path / "ext-parquet"
    fresh.sql("CREATE TABLE m USING parquet AS SELECT 1 AS x")
    fresh.sql(f"CREATE TABLE e USING parquet LOCATION '{ext}' AS SELECT 1 AS x")
    for name in ("m", "e"):
        before = fresh.catalog.get_object(fresh.current_catalog, "default", name).location
        with pytest.raises(LakelensError, match="DIVIDE_BY_ZERO"):
            fresh.sql(f"CREATE OR REPLACE TABLE {name} USING parquet AS SELECT 1 / (id - id) AS x FROM range(3)")
        assert rows(fresh.sql(f"SELECT * FROM {name}")) == [(1,)]
        fresh.sql(f"CREATE OR REPLACE TABLE {name} USING parquet AS SELECT 2 AS x, 'b' AS y")
        assert rows(fresh.sql(f"SELECT * FROM {name}")) == [(2, "b")]
        after = fresh.catalog.get_object(fresh.current_catalog, "default", name).location
        assert (after != before) == (name == "m") and os.path.isdir(after)
        assert os.path.isdir(before) == (name == "e")
    assert sorted(p.name for p in tmp_path.iterdir() if "ext-parquet" in p.name) == ["ext-parquet"]


def test_statements_dbt_generates(fresh):
    """What dbt's ephemeral and incremental models send: a view whose body has a CTE, used twice
    (its CTE must stay nested, not be defined twice at the top); DESCRIBE of the session's
    temporary view; a Delta MERGE error with Delta's own class and message."""
    fresh.sql("CREATE VIEW eph AS WITH __dbt__cte__base AS (SELECT 1 AS x) SELECT x FROM __dbt__cte__base")
    assert rows(fresh.sql("SELECT a.x, b.x AS y FROM eph a JOIN eph b ON a.x = b.x")) == [(1, 1)]
    # An outer CTE of the same name is the outer query's; the view keeps its own.
    assert rows(fresh.sql("WITH __dbt__cte__base AS (SELECT 2 AS x) "
                          "SELECT o.x, eph.x AS y FROM __dbt__cte__base o JOIN eph ON true")) == [(2, 1)]
    fresh.sql("CREATE TABLE tgt (id INT, v STRING) USING delta")
    fresh.sql("CREATE OR REPLACE TEMPORARY VIEW tgt__dbt_tmp AS SELECT 1 AS id, 'b' AS v")
    assert rows(fresh.sql("DESCRIBE EXTENDED tgt__dbt_tmp")) == [("id", "int", None), ("v", "string", None)]
    with pytest.raises(LakelensError) as e:
        fresh.sql("MERGE INTO tgt USING tgt__dbt_tmp s ON tgt.nope = s.id WHEN MATCHED THEN UPDATE SET *")
    assert e.value.error_class == "DELTA_MERGE_UNRESOLVED_EXPRESSION" and e.value.sqlstate == "42601"
    assert "Cannot resolve tgt.nope" in str(e.value)


def test_spark_errors_name_tables_not_storage_paths(fresh):
    fresh.sql("CREATE TABLE t AS SELECT 1 AS x")
    with pytest.raises(LakelensError) as e:
        fresh.sql("SELECT nope FROM t")
    assert e.value.error_class == "UNRESOLVED_COLUMN" and "warehouse" not in str(e.value)


def test_session_state_use_and_current_functions(fresh):
    cat = fresh.current_catalog
    fresh.sql("CREATE SCHEMA media")
    fresh.sql(f"USE {cat}.media")
    assert rows(fresh.sql("SELECT current_catalog(), current_schema(), current_database()")) == [(cat, "media", "media")]
    fresh.sql("USE CATALOG main")
    assert (fresh.current_catalog, fresh.current_schema) == ("main", "default")
    assert "main" in [r[0] for r in rows(fresh.sql("SHOW CATALOGS"))]


def test_explain_shows_spark_sql_and_plan(fresh):
    fresh.sql("CREATE TABLE t AS SELECT 1 AS x")
    text = rows(fresh.sql("EXPLAIN SELECT x FROM t"))[0][0]
    assert "read table" in text and "== Spark SQL ==" in text and "== Physical Plan ==" in text


def test_partitioned_table_partitions_properties_and_overwrite(fresh):
    fresh.sql("CREATE TABLE ev (id INT, day STRING) USING delta PARTITIONED BY (day) "
              "TBLPROPERTIES ('delta.appendOnly' = 'false')")
    fresh.sql("INSERT INTO ev VALUES (1, '2026-11-01'), (2, '2026-11-02'), (3, '2026-11-02')")
    assert rows(fresh.sql("SHOW PARTITIONS ev")) == [("day=2026-11-01",), ("day=2026-11-02",)]
    assert ("delta.appendOnly", "false") in rows(fresh.sql("SHOW TBLPROPERTIES ev"))
    described = rows(fresh.sql("DESCRIBE ev"))
    assert described[-1] == ("day", "string", None) and ("# Partition Information", "", "") in described
    fresh.sql("INSERT OVERWRITE ev SELECT 9, '2026-11-03'")
    assert rows(fresh.sql("SELECT id, day FROM ev")) == [(9, "2026-11-03")]
    fresh.sql("CREATE TABLE flat AS SELECT 1 AS x")
    with pytest.raises(LakelensError, match="PARTITION_SCHEMA_IS_EMPTY"):
        fresh.sql("SHOW PARTITIONS flat")


def test_temporary_views_belong_to_their_session(fresh, home):
    """dbt's incremental models: CREATE TEMPORARY VIEW, MERGE from it, DROP it."""
    import lakelens

    s = fresh
    s.sql("CREATE TABLE items (id INT, name STRING) USING delta")
    s.sql("INSERT INTO items VALUES (1, 'pen')")
    s.sql("CREATE TEMPORARY VIEW items__tmp AS SELECT 1 AS id, 'ink' AS name UNION ALL SELECT 2, 'pad'")
    s.sql("MERGE INTO items t USING items__tmp u ON t.id = u.id "
          "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    assert sorted(rows(s.sql("SELECT id, name FROM items"))) == [(1, "ink"), (2, "pad")]
    with pytest.raises(LakelensError, match="TEMP_TABLE_OR_VIEW_ALREADY_EXISTS"):
        s.sql("CREATE TEMPORARY VIEW items__tmp AS SELECT 3 AS id")
    # A temporary view shadows a table of the same one-part name, as in Spark.
    s.sql("CREATE OR REPLACE TEMPORARY VIEW items AS SELECT 9 AS id, 'shadow' AS name")
    assert rows(s.sql("SELECT id, name FROM items")) == [(9, "shadow")]
    assert rows(s.sql(f"SELECT count(*) FROM {s.current_catalog}.default.items")) == [(2,)]
    other = lakelens.connect(home=home, user="tester")
    other.sql(f"USE CATALOG {s.current_catalog}")
    assert rows(other.sql("SELECT count(*) FROM items")) == [(2,)]  # not visible elsewhere
    with pytest.raises(NotFound):
        other.sql("SELECT * FROM items__tmp")
    s.sql("DROP VIEW items")
    s.sql("DROP VIEW IF EXISTS items__tmp")
    assert rows(s.sql("SELECT count(*) FROM items")) == [(2,)]
    with pytest.raises(NotFound):
        s.sql("SELECT * FROM items__tmp")


def test_set_and_reset_spark_conf(fresh):
    fresh.sql("SET spark.sql.shuffle.partitions = 3")
    assert rows(fresh.sql("SET spark.sql.shuffle.partitions")) == [("spark.sql.shuffle.partitions", "3")]
    fresh.sql("RESET spark.sql.shuffle.partitions")
    assert rows(fresh.sql("SET spark.sql.shuffle.partitions")) == [("spark.sql.shuffle.partitions", "8")]


def test_dropped_tables_and_views_come_back_with_their_data_and_purge_deletes_it(fresh):
    s = fresh
    s.sql("CREATE TABLE d (id INT) USING delta")
    s.sql("CREATE TABLE i (id INT) USING iceberg")
    s.sql("INSERT INTO d VALUES (1), (2)")
    s.sql("INSERT INTO i VALUES (3)")
    s.sql("CREATE VIEW v AS SELECT id * 10 AS x FROM d")
    s.sql("ALTER TABLE d SET TBLPROPERTIES ('team' = 'vision')")
    s.sql("COMMENT ON TABLE d IS 'daily'")
    locations = {t: s.catalog.get_object(s.current_catalog, "default", t).location for t in ("d", "i")}
    for name in ("v", "d", "i"):
        s.sql(f"DROP {'VIEW' if name == 'v' else 'TABLE'} {name}")
    assert rows(s.sql("SHOW TABLES")) == []
    dropped = s.sql("SHOW TABLES DROPPED").to_pylist()
    assert [(r["tableName"], r["tableType"], r["comment"]) for r in dropped] == [
        ("i", "MANAGED", None), ("d", "MANAGED", "daily"), ("v", "VIEW", None)]
    assert rows(s.sql("SHOW TABLES DROPPED LIMIT 1")) and len(rows(s.sql("SHOW TABLES DROPPED LIMIT 1"))) == 1
    with pytest.raises(LakelensError, match=r"\[TABLE_OR_VIEW_NOT_FOUND\].*no dropped view of that name"):
        s.sql("UNDROP VIEW d")  # it is a table
    s.sql("UNDROP TABLE d")
    s.sql(f"UNDROP TABLE WITH ID '{dropped[0]['tableId']}'")
    s.sql("UNDROP VIEW v")
    assert sorted(rows(s.sql("SELECT * FROM v"))) == [(10,), (20,)]
    assert rows(s.sql("SELECT * FROM i")) == [(3,)]
    assert dict(rows(s.sql("SHOW TBLPROPERTIES d")))["team"] == "vision"
    assert [h["operation"] for h in s.sql("DESCRIBE HISTORY d").to_pylist()][0] == "SET TBLPROPERTIES"
    s.sql("INSERT INTO i VALUES (4)")  # Iceberg's catalog still knows the table after its round trip
    assert sorted(rows(s.sql("SELECT * FROM i"))) == [(3,), (4,)]

    # PURGE (and DROP … PURGE) delete the data at once; a 0-day schema keeps nothing.
    s.sql("DROP TABLE d")
    assert os.path.isdir(locations["d"])
    assert rows(s.sql("PURGE TABLE d")) == [(1,)]
    assert not os.path.exists(locations["d"]) and rows(s.sql("SHOW TABLES DROPPED")) == []
    s.sql("DROP TABLE i PURGE")
    assert not os.path.exists(locations["i"])
    s.sql("ALTER SCHEMA default SET DBPROPERTIES ('retention_days' = '0')")
    s.sql("DROP VIEW v")
    assert rows(s.sql("SHOW TABLES DROPPED")) == []
    with pytest.raises(LakelensError, match=r"\[INVALID_ARGUMENT\] retention_days must be a number of days"):
        s.sql("ALTER SCHEMA default SET DBPROPERTIES ('retention_days' = 'soon')")
    with pytest.raises(LakelensError, match="PARSE_SYNTAX_ERROR"):
        s.sql("UNDROP TABLE WITH ID")
