-- Invalid statements: lakelens must fail with the error class plain Spark gives.

-- name: unresolved-column
SELECT no_such_column FROM nation;
-- name: unresolved-qualified-column
SELECT n.no_such FROM nation n;
-- name: unresolved-table
SELECT * FROM no_such_table;
-- name: unresolved-function
SELECT no_such_function(1);
-- name: ambiguous-reference
SELECT n_name FROM nation a JOIN nation b ON a.n_nationkey = b.n_nationkey;
-- name: missing-group-by
SELECT n_regionkey, n_name, count(*) FROM nation GROUP BY n_regionkey;
-- name: aggregate-in-where
SELECT n_name FROM nation WHERE count(*) > 1;
-- name: wrong-arity
SELECT substr();
-- name: wrong-arity-coalesce
SELECT coalesce();
-- name: wrong-arity-too-many
SELECT upper('a', 'b');
-- name: type-mismatch-in-where
SELECT * FROM nation WHERE n_name;
-- name: datatype-mismatch-union
SELECT n_nationkey FROM nation UNION SELECT array(1);
-- name: union-column-count
SELECT n_nationkey, n_name FROM nation UNION SELECT r_regionkey FROM region;
-- name: divide-by-zero
SELECT 1 / 0;
-- name: cast-invalid-input
SELECT CAST('abc' AS INT);
-- name: arithmetic-overflow
SELECT 2147483647 + 1;
-- name: invalid-array-index
SELECT array(1, 2)[5];
-- name: parse-error
SELECT * FROM nation WHERE n_name =;
-- name: parse-error-keyword
SELECT * FORM nation;
-- name: parse-error-unclosed
SELECT (1 + 2;
-- name: window-without-order
SELECT rank() OVER (PARTITION BY n_regionkey) FROM nation;
-- name: nested-aggregate
SELECT sum(count(*)) FROM nation;
-- name: invalid-lambda-arity
SELECT transform(array(1), (a, b, c) -> a);
-- name: group-by-position-out-of-range
SELECT n_name FROM nation GROUP BY 5;
-- name: order-by-position-out-of-range
SELECT n_name FROM nation ORDER BY 3;
-- name: cte-unknown-column
WITH c AS (SELECT 1 AS x) SELECT y FROM c;
-- name: duplicate-cte-names
WITH c AS (SELECT 1), c AS (SELECT 2) SELECT * FROM c;
-- name: star-in-aggregate-wrong
SELECT sum(*) FROM nation;
-- name: invalid-date-format
SELECT to_date('2020-13-45', 'yyyy-MM-dd');
-- name: identifier-unknown
SELECT * FROM IDENTIFIER('no_such_table');
-- name: scalar-subquery-too-many-rows
SELECT (SELECT n_nationkey FROM nation) AS k;
-- name: correlated-column-unknown
SELECT r_name FROM region WHERE EXISTS (SELECT 1 FROM nation WHERE n_regionkey = r_no_such);
-- name: pivot-unknown-column
SELECT * FROM region PIVOT (count(*) FOR no_col IN ('a'));
