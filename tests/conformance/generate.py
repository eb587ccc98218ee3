"""Generated queries over the TPC-H schema, from a fixed seed (so a failure reproduces).

Each query is built from a few shapes a user or a BI tool writes — projections with scalar
expressions and filters, aggregates with GROUP BY/HAVING, joins along the schema's keys,
window functions, IN/EXISTS/scalar subqueries, set operations, CTEs around any of them —
with expressions drawn from typed pools, so every query is valid Spark SQL (a generated query
that plain Spark refuses is a generator bug and fails the test). Unaliased expressions are
left unaliased on purpose: Spark names those columns after their text, which a rewrite must
not change. A LIMIT always comes with an ORDER BY over every output column, so the expected
rows are fully determined.
"""

from __future__ import annotations

import random

# column: kind (int, dec, str, date, code = a low-cardinality string fit for GROUP BY)
SCHEMA: dict[str, dict[str, str]] = {
    "nation": {"n_nationkey": "int", "n_name": "str", "n_regionkey": "int", "n_comment": "str"},
    "region": {"r_regionkey": "int", "r_name": "code", "r_comment": "str"},
    "supplier": {"s_suppkey": "int", "s_name": "str", "s_address": "str", "s_nationkey": "int",
                 "s_phone": "str", "s_acctbal": "dec", "s_comment": "str"},
    "customer": {"c_custkey": "int", "c_name": "str", "c_address": "str", "c_nationkey": "int",
                 "c_phone": "str", "c_acctbal": "dec", "c_mktsegment": "code", "c_comment": "str"},
    "part": {"p_partkey": "int", "p_name": "str", "p_mfgr": "code", "p_brand": "code", "p_type": "str",
             "p_size": "int", "p_container": "code", "p_retailprice": "dec", "p_comment": "str"},
    "orders": {"o_orderkey": "int", "o_custkey": "int", "o_orderstatus": "code", "o_totalprice": "dec",
               "o_orderdate": "date", "o_orderpriority": "code", "o_clerk": "str", "o_shippriority": "int",
               "o_comment": "str"},
    "lineitem": {"l_orderkey": "int", "l_partkey": "int", "l_suppkey": "int", "l_linenumber": "int",
                 "l_quantity": "dec", "l_extendedprice": "dec", "l_discount": "dec", "l_tax": "dec",
                 "l_returnflag": "code", "l_linestatus": "code", "l_shipdate": "date", "l_commitdate": "date",
                 "l_receiptdate": "date", "l_shipinstruct": "code", "l_shipmode": "code", "l_comment": "str"},
}
KEYS = {"nation": ["n_nationkey"], "region": ["r_regionkey"], "supplier": ["s_suppkey"], "customer": ["c_custkey"],
        "part": ["p_partkey"], "orders": ["o_orderkey"], "lineitem": ["l_orderkey", "l_linenumber"]}
JOINS = [("nation", "n_regionkey", "region", "r_regionkey"), ("supplier", "s_nationkey", "nation", "n_nationkey"),
         ("customer", "c_nationkey", "nation", "n_nationkey"), ("orders", "o_custkey", "customer", "c_custkey"),
         ("lineitem", "l_orderkey", "orders", "o_orderkey"), ("lineitem", "l_partkey", "part", "p_partkey"),
         ("lineitem", "l_suppkey", "supplier", "s_suppkey")]
SMALL = ["nation", "region", "supplier", "customer", "part", "orders"]


class Generator:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    # ---------------------------------------------------------------- expressions by kind
    def cols(self, table: str, kind: str, q: str = "") -> list[str]:
        kinds = ("str", "code") if kind == "str" else (kind,)
        return [f"{q}{c}" for c, k in SCHEMA[table].items() if k in kinds]

    def pick(self, table: str, kind: str, q: str = "") -> str | None:
        cols = self.cols(table, kind, q)
        return self.r.choice(cols) if cols else None

    def num(self, t: str, q: str = "", depth: int = 0) -> str:
        r = self.r
        c = self.pick(t, r.choice(["int", "dec"]), q) or self.pick(t, "int", q)
        if depth > 1:
            return c
        return r.choice([
            c, f"{c} + {r.randint(1, 100)}", f"{c} * {r.choice(['2', '0.5', '3'])}", f"{c} - {self.num(t, q, depth + 1)}",
            f"abs({c} - {r.randint(1, 500)})", f"{c} % {r.randint(2, 9)}", f"round({c} / {r.randint(2, 7)}, 2)",
            f"coalesce(nullif({c}, {r.randint(0, 5)}), -1)", f"greatest({c}, {r.randint(0, 50)})",
            f"CASE WHEN {c} > {r.randint(0, 1000)} THEN {c} ELSE 0 END", f"cast({c} AS BIGINT)",
            f"{c} DIV {r.randint(2, 9)}", f"floor({c})", f"sign({c} - {r.randint(0, 100)})",
        ])

    def text(self, t: str, q: str = "") -> str:
        r = self.r
        c = self.pick(t, "str", q)
        return r.choice([
            c, f"upper({c})", f"lower({c})", f"substr({c}, {r.randint(1, 4)}, {r.randint(1, 6)})",
            f"concat({c}, '-', {r.randint(0, 9)})", f"trim({c})", f"replace({c}, 'a', 'A')", f"lpad({c}, 12, '*')",
            f"left({c}, 3)", f"reverse({c})", f"{c} || '!'", f"initcap({c})", f"split_part({c}, ' ', 1)",
            f"regexp_replace({c}, '[0-9]', '#')", f"CASE WHEN length({c}) > 20 THEN 'long' ELSE 'short' END",
        ])

    def date(self, t: str, q: str = "") -> str | None:
        r = self.r
        c = self.pick(t, "date", q)
        if c is None:
            return None
        return r.choice([
            c, f"year({c})", f"month({c})", f"date_add({c}, {r.randint(1, 90)})", f"datediff(DATE '1998-12-31', {c})",
            f"date_trunc('MONTH', {c})", f"last_day({c})", f"{c} + INTERVAL '{r.randint(1, 12)}' MONTH",
            f"dayofweek({c})", f"date_format({c}, 'yyyy-MM')", f"quarter({c})", f"add_months({c}, {r.randint(1, 6)})",
        ])

    def scalar(self, t: str, q: str = "") -> str:
        choices = [self.num, self.text]
        if self.cols(t, "date"):
            choices.append(self.date)
        return self.r.choice(choices)(t, q)

    def predicate(self, t: str, q: str = "") -> str:
        r = self.r
        shapes = [
            lambda: f"{self.pick(t, 'int', q)} {r.choice(['<', '>', '<=', '>=', '=', '<>'])} {r.randint(0, 200)}",
            lambda: f"{self.pick(t, 'int', q)} BETWEEN {r.randint(0, 50)} AND {r.randint(50, 5000)}",
            lambda: f"{self.pick(t, 'str', q)} LIKE '{r.choice(['%a%', 'A%', '%e', '%#%', '_o%'])}'",
            lambda: f"{self.pick(t, 'int', q)} IN ({', '.join(str(r.randint(0, 30)) for _ in range(r.randint(1, 5)))})",
            lambda: f"length({self.pick(t, 'str', q)}) > {r.randint(5, 40)}",
            lambda: f"NOT ({self.pick(t, 'int', q)} % {r.randint(2, 5)} = 0)",
            lambda: f"{self.pick(t, 'str', q)} IS NOT NULL",
        ]
        if self.cols(t, "dec"):
            shapes.append(lambda: f"{self.pick(t, 'dec', q)} > {r.randint(-500, 5000)}.{r.randint(0, 99):02d}")
        if self.cols(t, "date"):
            shapes.append(lambda: f"{self.pick(t, 'date', q)} >= DATE '199{r.randint(2, 8)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}'")
        p = r.choice(shapes)()
        if r.random() < 0.3:
            p = f"({p}) {r.choice(['AND', 'OR'])} ({r.choice(shapes)()})"
        return p

    # ---------------------------------------------------------------- query shapes
    def projection(self) -> str:
        r, t = self.r, self.r.choice(SMALL + ["lineitem"])
        exprs = [self.scalar(t) for _ in range(r.randint(1, 4))]
        exprs = [e if r.random() < 0.5 else f"{e} AS c{i}" for i, e in enumerate(exprs)]
        exprs = list(dict.fromkeys(exprs))  # a repeated unaliased expression is two equal columns: fine, but keep it simple
        where = f" WHERE {self.predicate(t)}" if r.random() < 0.8 else ""
        if t == "lineitem" and not where:
            where = f" WHERE l_orderkey < {r.randint(10, 500)}"
        distinct = "DISTINCT " if r.random() < 0.15 else ""
        sql = f"SELECT {distinct}{', '.join(exprs)} FROM {t}{where}"
        if r.random() < 0.4:
            n = len(exprs)
            sql += f" ORDER BY {', '.join(str(i + 1) for i in range(n))} LIMIT {r.randint(1, 30)}"
        return sql

    def aggregate(self) -> str:
        r, t = self.r, self.r.choice(["customer", "part", "orders", "lineitem", "supplier", "nation"])
        groups = self.cols(t, "code") + [c for c in self.cols(t, "int") if c.endswith(("nationkey", "regionkey", "size"))]
        keys = r.sample(groups, k=min(len(groups), r.randint(1, 2))) if groups else []
        aggs = []
        for i in range(r.randint(1, 4)):
            n = self.pick(t, r.choice(["int", "dec"])) or self.pick(t, "int")
            a = r.choice(["count(*)", f"sum({n})", f"avg({n})", f"min({n})", f"max({n})",
                          f"count(DISTINCT {self.pick(t, 'str')})", f"max({self.pick(t, 'str')})",
                          f"sum(CASE WHEN {self.predicate(t)} THEN 1 ELSE 0 END)", f"count_if({self.predicate(t)})",
                          f"round(stddev_pop({n}), 4)", f"collect_set({keys[0]})" if keys else "count(1)",
                          f"sum({n}) FILTER (WHERE {self.predicate(t)})", f"bool_or({self.predicate(t)})"])
            if a.startswith("collect_set"):
                a = f"size({a})"
            aggs.append(a if r.random() < 0.5 else f"{a} AS a{i}")
        aggs = list(dict.fromkeys(aggs))
        where = f" WHERE {self.predicate(t)}" if r.random() < 0.5 else ""
        sql = f"SELECT {', '.join(keys + aggs)} FROM {t}{where}"
        if keys:
            group = ", ".join(keys)
            sql += f" GROUP BY ROLLUP ({group})" if r.random() < 0.15 else f" GROUP BY {group}"
            if r.random() < 0.3:
                sql += f" HAVING count(*) > {r.randint(0, 20)}"
        return sql

    def join(self) -> str:
        r = self.r
        left, lk, right, rk = r.choice(JOINS)
        kind = r.choice(["JOIN", "LEFT JOIN", "JOIN", "RIGHT JOIN", "FULL JOIN", "LEFT SEMI JOIN", "LEFT ANTI JOIN"])
        a = [self.scalar(left, "a.") for _ in range(r.randint(1, 2))]
        b = [] if "SEMI" in kind or "ANTI" in kind else [self.scalar(right, "b.") for _ in range(r.randint(1, 2))]
        cols = [f"{e} AS x{i}" for i, e in enumerate(a + b)]
        limit = "" if left != "lineitem" else f" AND a.l_orderkey < {r.randint(20, 300)}"
        where = f" WHERE {self.predicate(left, 'a.')}{limit}" if r.random() < 0.7 or limit else ""
        if not where and limit:
            where = " WHERE " + limit[5:]
        sql = f"SELECT {', '.join(cols)} FROM {left} a {kind} {right} b ON a.{lk} = b.{rk}{where}"
        if r.random() < 0.5:
            sql = f"SELECT count(*) AS n, {r.choice(['min', 'max'])}(x0) AS m FROM ({sql}) j"
        return sql

    def window(self) -> str:
        r, t = self.r, self.r.choice(["customer", "orders", "supplier", "part", "nation"])
        key = KEYS[t][0]
        part = self.r.choice(self.cols(t, "code") + [c for c in self.cols(t, "int") if c.endswith("nationkey")] or [key])
        n = self.pick(t, "dec") or self.pick(t, "int")
        fn = r.choice([f"row_number() OVER (PARTITION BY {part} ORDER BY {key})",
                       f"rank() OVER (PARTITION BY {part} ORDER BY {n}, {key})",
                       f"sum({n}) OVER (PARTITION BY {part} ORDER BY {key} ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
                       f"lag({key}, 1) OVER (PARTITION BY {part} ORDER BY {key})",
                       f"lead({n}, 2, 0) OVER (ORDER BY {key})",
                       f"count(*) OVER (PARTITION BY {part})",
                       f"first_value({key}) OVER (PARTITION BY {part} ORDER BY {key})",
                       f"ntile(3) OVER (ORDER BY {key})",
                       f"avg({n}) OVER (PARTITION BY {part})",
                       f"dense_rank() OVER (ORDER BY {part})"])
        where = f" WHERE {self.predicate(t)}" if r.random() < 0.7 else ""
        sql = f"SELECT {key}, {part}, {fn} AS w FROM {t}{where}"
        if r.random() < 0.4:
            sql = f"SELECT * FROM ({sql}) x WHERE w IS NOT NULL ORDER BY {key} LIMIT {r.randint(5, 40)}"
        return sql

    def subquery(self) -> str:
        r = self.r
        left, lk, right, rk = r.choice([j for j in JOINS if j[0] != "lineitem"])
        inner_where = f" WHERE {self.predicate(right)}" if r.random() < 0.7 else ""
        shape = r.choice(["in", "not in", "exists", "not exists", "scalar", "from"])
        if shape in ("in", "not in"):
            cond = f"{lk} {shape.upper()} (SELECT {rk} FROM {right}{inner_where})"
        elif shape in ("exists", "not exists"):
            cond = f"{shape.upper()} (SELECT 1 FROM {right} b WHERE b.{rk} = a.{lk}{' AND ' + self.predicate(right, 'b.') if r.random() < 0.5 else ''})"
        elif shape == "scalar":
            n = self.pick(left, "int")
            cond = f"{n} > (SELECT avg({self.pick(right, 'int')}) FROM {right}{inner_where})"
        else:
            return (f"SELECT count(*) AS n, sum(k) AS s FROM (SELECT {rk} AS k FROM {right}{inner_where}) t "
                    f"WHERE k IN (SELECT {lk} FROM {left})")
        return f"SELECT count(*) AS n, max({KEYS[left][0]}) AS m FROM {left} a WHERE {cond}"

    def setop(self) -> str:
        r = self.r
        t1, t2 = r.choice(SMALL), r.choice(SMALL)
        op = r.choice(["UNION", "UNION ALL", "INTERSECT", "EXCEPT", "EXCEPT ALL", "INTERSECT ALL"])
        a = f"SELECT {self.pick(t1, 'int')} AS k, {self.text(t1)} AS s FROM {t1} WHERE {self.predicate(t1)}"
        b = f"SELECT {self.pick(t2, 'int')} AS k, {self.text(t2)} AS s FROM {t2} WHERE {self.predicate(t2)}"
        return f"{a} {op} {b}"

    def query(self) -> str:
        r = self.r
        sql = r.choice([self.projection, self.projection, self.aggregate, self.aggregate, self.join, self.window,
                        self.subquery, self.setop])()
        if r.random() < 0.2 and " ORDER BY " not in sql and " LIMIT " not in sql:
            sql = f"WITH q AS ({sql}) SELECT * FROM q"
        return sql


def generated_queries(n: int, seed: int = 20261129) -> list[str]:
    g = Generator(seed)
    return [g.query() for _ in range(n)]
