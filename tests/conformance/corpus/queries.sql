-- Hand-written queries over the TPC-H tables, one per feature the rewrite touches. Each runs
-- through lakelens and through plain Spark (test_differential.py); a `-- name:` line names it.

-- name: select-star
SELECT * FROM region;
-- name: qualified-star
SELECT n.* FROM nation n WHERE n_regionkey = 1;
-- name: unaliased-expression-names
SELECT n_nationkey + 1, upper(n_name), CAST(n_regionkey AS STRING), n_nationkey * 2.5, -n_nationkey, n_name || '!' FROM nation;
-- name: double-colon-cast
SELECT n_nationkey::string, n_regionkey::double FROM nation;
-- name: aggregate-names
SELECT n_regionkey, count(*), count(DISTINCT n_name), sum(n_nationkey), avg(n_nationkey), max(n_name) FROM nation GROUP BY n_regionkey;
-- name: group-by-ordinal
SELECT n_regionkey, count(*) AS c FROM nation GROUP BY 1 ORDER BY 1;
-- name: group-by-all
SELECT n_regionkey, r_name, count(*) AS c FROM nation JOIN region ON n_regionkey = r_regionkey GROUP BY ALL ORDER BY n_regionkey;
-- name: having
SELECT c_nationkey, count(*) AS c FROM customer GROUP BY c_nationkey HAVING count(*) > 55 ORDER BY c_nationkey;
-- name: aggregate-filter-clause
SELECT count(*) FILTER (WHERE o_orderstatus = 'F') AS f, count(*) FILTER (WHERE o_orderstatus = 'O') AS o FROM orders;
-- name: grouping-sets
SELECT r_name, n_name, count(*) AS c, grouping(n_name) AS g FROM nation JOIN region ON n_regionkey = r_regionkey GROUP BY GROUPING SETS ((r_name, n_name), (r_name), ()) ORDER BY r_name NULLS FIRST, n_name NULLS FIRST;
-- name: rollup
SELECT o_orderstatus, o_orderpriority, count(*) AS c FROM orders GROUP BY ROLLUP (o_orderstatus, o_orderpriority);
-- name: cube
SELECT o_orderstatus, o_orderpriority, sum(o_totalprice) AS s FROM orders GROUP BY CUBE (o_orderstatus, o_orderpriority);
-- name: cte-chain
WITH a AS (SELECT n_nationkey AS k, n_name FROM nation), b AS (SELECT k, n_name FROM a WHERE k < 10) SELECT * FROM b ORDER BY k;
-- name: cte-used-twice
WITH big AS (SELECT o_custkey, sum(o_totalprice) AS t FROM orders GROUP BY o_custkey) SELECT count(*) AS n, (SELECT max(t) FROM big) AS m FROM big WHERE t > (SELECT avg(t) FROM big);
-- name: nested-cte
WITH outer_cte AS (WITH inner_cte AS (SELECT r_regionkey FROM region) SELECT r_regionkey * 10 AS x FROM inner_cte) SELECT sum(x) AS s FROM outer_cte;
-- name: cte-shadows-table
WITH nation AS (SELECT 1 AS n_nationkey) SELECT * FROM nation;
-- name: subquery-in-from
SELECT avg(c) AS a FROM (SELECT o_custkey, count(*) AS c FROM orders GROUP BY o_custkey) t;
-- name: correlated-exists
SELECT c_custkey FROM customer c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.o_custkey = c.c_custkey AND o_totalprice > 400000) ORDER BY c_custkey;
-- name: correlated-not-exists
SELECT count(*) AS n FROM customer c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.o_custkey = c.c_custkey);
-- name: correlated-scalar
SELECT s_suppkey, (SELECT count(*) FROM partsupp WHERE ps_suppkey = s_suppkey) AS parts FROM supplier ORDER BY s_suppkey LIMIT 10;
-- name: in-subquery
SELECT count(*) AS n FROM orders WHERE o_custkey IN (SELECT c_custkey FROM customer WHERE c_mktsegment = 'BUILDING');
-- name: not-in-subquery
SELECT count(*) AS n FROM part WHERE p_partkey NOT IN (SELECT ps_partkey FROM partsupp WHERE ps_availqty < 100);
-- name: left-semi-anti
SELECT (SELECT count(*) FROM customer LEFT SEMI JOIN orders ON c_custkey = o_custkey) AS semi, (SELECT count(*) FROM customer LEFT ANTI JOIN orders ON c_custkey = o_custkey) AS anti;
-- name: join-using
SELECT count(*) AS n FROM nation JOIN (SELECT r_regionkey AS n_regionkey, r_name FROM region) USING (n_regionkey);
-- name: natural-join
SELECT * FROM nation NATURAL JOIN (SELECT n_nationkey, 'x' AS tag FROM nation WHERE n_nationkey < 3) ORDER BY n_nationkey;
-- name: full-outer-join
SELECT r.r_regionkey, n.n_nationkey FROM region r FULL OUTER JOIN nation n ON r.r_regionkey = n.n_nationkey ORDER BY r.r_regionkey NULLS LAST, n.n_nationkey NULLS LAST;
-- name: cross-join-count
SELECT count(*) AS n FROM region CROSS JOIN nation;
-- name: self-join
SELECT a.n_name, b.n_name AS other FROM nation a JOIN nation b ON a.n_regionkey = b.n_regionkey AND a.n_nationkey < b.n_nationkey WHERE a.n_regionkey = 0 ORDER BY 1, 2;
-- name: union-all-distinct
SELECT n_regionkey AS k FROM nation UNION SELECT r_regionkey FROM region UNION ALL SELECT 99;
-- name: intersect-except
SELECT n_regionkey FROM nation INTERSECT SELECT r_regionkey FROM region EXCEPT SELECT 4;
-- name: except-all
SELECT n_regionkey FROM nation EXCEPT ALL SELECT r_regionkey FROM region;
-- name: window-rank
SELECT n_name, n_regionkey, rank() OVER (PARTITION BY n_regionkey ORDER BY n_name) AS r, dense_rank() OVER (ORDER BY n_regionkey) AS d FROM nation;
-- name: window-frames
SELECT o_orderkey, sum(o_totalprice) OVER (ORDER BY o_orderkey ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s3, avg(o_totalprice) OVER (ORDER BY o_orderkey RANGE BETWEEN 10 PRECEDING AND 10 FOLLOWING) AS a FROM orders WHERE o_orderkey < 200 ORDER BY o_orderkey;
-- name: window-lag-lead
SELECT o_custkey, o_orderdate, lag(o_orderdate) OVER w AS prev, lead(o_totalprice, 1, 0) OVER w AS next FROM orders WHERE o_custkey < 20 WINDOW w AS (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey);
-- name: window-ntile-percent
SELECT s_suppkey, ntile(4) OVER (ORDER BY s_acctbal) AS q, percent_rank() OVER (ORDER BY s_acctbal) AS p, cume_dist() OVER (ORDER BY s_acctbal) AS c FROM supplier;
-- name: window-first-last
SELECT DISTINCT n_regionkey, first_value(n_name) OVER (PARTITION BY n_regionkey ORDER BY n_name) AS f, last_value(n_name) OVER (PARTITION BY n_regionkey ORDER BY n_name ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS l FROM nation;
-- name: row-number-top-n
SELECT * FROM (SELECT c_nationkey, c_custkey, c_acctbal, row_number() OVER (PARTITION BY c_nationkey ORDER BY c_acctbal DESC, c_custkey) AS rn FROM customer) WHERE rn <= 2 ORDER BY c_nationkey, rn;
-- name: lambda-transform-filter
SELECT n_nationkey, transform(split(n_comment, ' '), w -> length(w)) AS lens, filter(split(n_comment, ' '), w -> w LIKE 'a%') AS a_words FROM nation;
-- name: lambda-aggregate-exists
SELECT n_nationkey, aggregate(split(n_comment, ' '), 0, (acc, w) -> acc + length(w)) AS total, exists(split(n_comment, ' '), w -> w = 'the') AS has_the FROM nation;
-- name: lambda-zip-with-sort
SELECT zip_with(array(1, 2, 3), array(10, 20, 30), (a, b) -> a * b) AS z, array_sort(array(3, 1, 2), (a, b) -> b - a) AS s, forall(array(1, 2), x -> x > 0) AS f;
-- name: lambda-map-functions
SELECT map_filter(map('a', 1, 'b', 2), (k, v) -> v > 1) AS mf, transform_values(map('a', 1), (k, v) -> v + 1) AS tv, transform_keys(map('a', 1), (k, v) -> upper(k)) AS tk;
-- name: lambda-over-collected-array
SELECT n_regionkey, array_join(array_sort(transform(collect_list(n_name), x -> lower(x))), ',') AS names FROM nation GROUP BY n_regionkey;
-- name: lateral-view-explode
SELECT n_nationkey, w FROM nation LATERAL VIEW explode(split(n_name, ' ')) t AS w WHERE n_nationkey < 10;
-- name: lateral-view-posexplode-outer
SELECT r_regionkey, pos, c FROM region LATERAL VIEW OUTER posexplode(array_remove(array(r_name, NULL), NULL)) t AS pos, c;
-- name: lateral-view-two
SELECT x, y FROM (SELECT 1 AS k) LATERAL VIEW explode(array(1, 2)) a AS x LATERAL VIEW explode(array('p', 'q')) b AS y;
-- name: explode-in-select
SELECT explode(array(r_regionkey, r_regionkey * 10)) AS v FROM region;
-- name: generator-in-from
SELECT * FROM explode(array(10, 20, 30));
-- name: inline-stack
SELECT inline(array(struct(1, 'a'), struct(2, 'b'))), stack(2, 'x', 'y');
-- name: range-tvf
SELECT sum(id) AS s FROM range(1, 1001);
-- name: values-inline-table
SELECT * FROM VALUES (1, 'a'), (2, 'b') AS t(id, name) ORDER BY id;
-- name: pivot
SELECT * FROM (SELECT o_orderstatus, o_orderpriority, o_totalprice FROM orders) PIVOT (count(*) AS n, round(sum(o_totalprice)) AS s FOR o_orderstatus IN ('F' AS f, 'O' AS o, 'P' AS p));
-- name: unpivot
SELECT * FROM (SELECT r_regionkey, r_name, 'x' AS tag FROM region) UNPIVOT (val FOR col IN (r_name, tag)) ORDER BY r_regionkey, col;
-- name: identifier-clause
SELECT count(*) AS n FROM IDENTIFIER('nation');
-- name: identifier-column
SELECT IDENTIFIER('n_name') FROM nation WHERE n_nationkey = 3;
-- name: case-if-nvl
SELECT n_nationkey, CASE WHEN n_regionkey = 0 THEN 'zero' WHEN n_regionkey < 3 THEN 'low' ELSE 'high' END AS c, if(n_nationkey % 2 = 0, 'even', 'odd') AS p, nvl(NULL, n_name) AS n, coalesce(NULL, NULL, 1) AS one FROM nation;
-- name: null-safe-and-between
SELECT count(*) FILTER (WHERE n_regionkey <=> 1) AS a, count(*) FILTER (WHERE n_nationkey BETWEEN 3 AND 7) AS b, count(*) FILTER (WHERE NOT n_nationkey NOT BETWEEN 3 AND 7) AS c FROM nation;
-- name: like-rlike-ilike
SELECT n_name FROM nation WHERE n_name LIKE 'A%' OR n_name RLIKE '^[CE]' OR n_name ILIKE '%an%' OR n_name LIKE ANY ('%X%', 'J%') ORDER BY n_name;
-- name: like-escape
SELECT 'a_b' LIKE 'a\\_b' AS esc, 'a%b' LIKE 'a!%b' ESCAPE '!' AS bang, 'axb' LIKE 'a\\_b' AS no;
-- name: string-literal-escapes
SELECT 'it\'s' AS q, "double \"quoted\"" AS d, 'tab\there' AS t, 'back\\slash' AS b, r'raw\n' AS r, 'ünïcødé ✓' AS u, length('\u00e9') AS l;
-- name: regexp-escapes
SELECT regexp_replace(n_name, '[AEIOU]', '*') AS r, regexp_extract(n_comment, '(\\w+)\\s+(\\w+)', 2) AS w, regexp_like(n_name, '^\\w+$') AS m, split('a.b.c', '\\.') AS parts FROM nation;
-- name: typed-literals
SELECT DATE '2020-02-29' AS d, TIMESTAMP '2020-02-29 12:34:56.789' AS ts, INTERVAL '3' DAY AS i, CAST(INTERVAL '1-2' YEAR TO MONTH AS STRING) AS ym, X'CAFE' AS b, 1.5BD AS bd, 10L AS l, 2S AS s, 1Y AS y, 1e3 AS e, 0.1D AS dd, 123.4567 AS dec;
-- name: date-arithmetic
SELECT o_orderkey, o_orderdate + INTERVAL '1' MONTH AS m, date_add(o_orderdate, 30) AS d, datediff(DATE '1999-01-01', o_orderdate) AS dd, date_trunc('MONTH', o_orderdate) AS t, year(o_orderdate) AS y, extract(quarter FROM o_orderdate) AS q FROM orders WHERE o_orderkey < 40;
-- name: timestamp-functions
SELECT to_timestamp('2024-03-10 01:30:00') AS t, from_unixtime(0) AS f, unix_timestamp('2024-01-01', 'yyyy-MM-dd') AS u, date_format(DATE '2024-05-06', 'yyyy/MM/dd EEE') AS f2, make_date(2024, 2, 29) AS md;
-- name: decimal-arithmetic
SELECT l_orderkey, l_extendedprice * (1 - l_discount) * (1 + l_tax) AS charge, l_quantity / 7 AS q7, l_extendedprice DIV 100 AS d, round(l_extendedprice / 3, 2) AS r FROM lineitem WHERE l_orderkey < 10;
-- name: double-math
SELECT sqrt(s_acctbal + 1000) AS s, log(10, abs(s_acctbal) + 1) AS l, pow(2, 0.5) AS p, s_acctbal / 0.7 AS d, cast(s_acctbal AS double) * 1.1 AS m FROM supplier WHERE s_suppkey < 20;
-- name: division-by-zero-null-try
SELECT try_divide(1, 0) AS a, try_add(2147483647, 1) AS b, try_cast('x' AS INT) AS c, nullif(1, 1) AS d;
-- name: struct-and-map
SELECT named_struct('k', n_nationkey, 'name', n_name) AS s, map(n_name, n_regionkey) AS m, array(n_nationkey, n_regionkey)[1] AS second, struct(n_name).n_name AS inner_name FROM nation WHERE n_nationkey < 5;
-- name: struct-field-access
SELECT s.k, s.name FROM (SELECT named_struct('k', n_nationkey, 'name', n_name) AS s FROM nation) WHERE s.k < 4;
-- name: element-at-and-size
SELECT element_at(split(n_comment, ' '), 1) AS first, size(split(n_comment, ' ')) AS n, array_contains(split(n_comment, ' '), 'the') AS c, slice(split(n_comment, ' '), 2, 2) AS sl FROM nation;
-- name: json-functions
SELECT get_json_object('{"a": {"b": [1, 2]}}', '$.a.b[1]') AS g, from_json('{"x": 1, "y": "z"}', 'x INT, y STRING') AS f, to_json(named_struct('n', n_name)) AS t, json_tuple('{"p": 1}', 'p') FROM nation WHERE n_nationkey = 0;
-- name: collect-and-sort
SELECT n_regionkey, sort_array(collect_set(n_nationkey)) AS ks, array_sort(collect_list(n_name)) AS names FROM nation GROUP BY n_regionkey;
-- name: approx-and-percentile
SELECT percentile(c_acctbal, 0.5) AS p50, percentile_approx(c_acctbal, 0.9, 10000) AS p90, median(c_acctbal) AS med, stddev(c_acctbal) AS sd, variance(c_acctbal) AS v, corr(c_custkey, c_acctbal) AS corr FROM customer;
-- name: count-if-bool-and
SELECT count_if(o_totalprice > 100000) AS big, bool_and(o_totalprice > 0) AS positive, bool_or(o_orderstatus = 'P') AS any_p, max_by(o_orderkey, o_totalprice) AS mb, min_by(o_orderkey, o_totalprice) AS mn FROM orders;
-- name: distinct-order-limit-offset
SELECT DISTINCT c_mktsegment FROM customer ORDER BY c_mktsegment LIMIT 3 OFFSET 1;
-- name: order-by-expression-nulls
SELECT o_orderkey, o_comment FROM orders WHERE o_orderkey < 30 ORDER BY length(o_comment) DESC, o_orderkey;
-- name: sort-distribute-cluster
SELECT n_nationkey FROM nation DISTRIBUTE BY n_regionkey SORT BY n_nationkey;
-- name: cluster-by
SELECT r_regionkey, r_name FROM region CLUSTER BY r_regionkey;
-- name: quoted-identifiers
SELECT `n_name` AS `Nation Name`, n_nationkey AS `select`, n_regionkey AS `weird``name` FROM nation WHERE `n_nationkey` = 1;
-- name: column-alias-list
SELECT * FROM region AS r(k, name, note) WHERE k < 2;
-- name: case-insensitive-names
SELECT N_NAME, Nation.N_REGIONKEY FROM NATION WHERE N_NATIONKEY = 7;
-- name: table-alias-qualified
SELECT nation.n_name FROM nation WHERE nation.n_nationkey = 8;
-- name: star-except
SELECT * EXCEPT (r_comment) FROM region;
-- name: string-functions
SELECT concat_ws('-', n_name, CAST(n_nationkey AS STRING)) AS c, lpad(n_name, 12, '.') AS l, translate(n_name, 'AE', 'ae') AS t, initcap(lower(n_name)) AS i, substring_index('a.b.c', '.', 2) AS si, format_number(12345.678, 1) AS f, format_string('%05d|%s', n_nationkey, n_name) AS fs FROM nation;
-- name: hash-functions
SELECT md5(n_name) AS m, sha2(n_name, 256) AS s, hash(n_name) AS h, xxhash64(n_name) AS x, crc32(n_name) AS c, base64(CAST(n_name AS BINARY)) AS b FROM nation;
-- name: current-catalog-free
SELECT typeof(1), typeof(1.5), typeof('a'), typeof(DATE '2020-01-01'), typeof(array(1)), typeof(map(1, 'a'));
-- name: scalar-subquery-in-select-and-where
SELECT (SELECT max(r_regionkey) FROM region) AS m, count(*) AS n FROM nation WHERE n_regionkey = (SELECT min(r_regionkey) FROM region WHERE r_name <> 'AFRICA');
-- name: exists-in-projection
SELECT r_name, EXISTS (SELECT 1 FROM nation WHERE n_regionkey = r_regionkey AND n_name LIKE 'C%') AS has_c FROM region;
-- name: nested-subqueries
SELECT count(*) AS n FROM lineitem WHERE l_partkey IN (SELECT p_partkey FROM part WHERE p_size IN (SELECT max(p_size) FROM part GROUP BY p_brand HAVING count(*) > 5));
-- name: concat-no-arguments
SELECT concat() AS c, concat_ws(',') AS w;
-- name: sum-over-empty
SELECT sum(o_totalprice) AS s, count(*) AS c, avg(o_totalprice) AS a FROM orders WHERE o_orderkey < 0;
-- name: tablesample-rows
SELECT count(*) AS n FROM (SELECT * FROM region TABLESAMPLE (3 ROWS));
