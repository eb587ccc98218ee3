-- Views over views, with CTEs, referenced more than once (dbt's view materialisation and
-- ephemeral models inline CTEs into them).
create table base using delta as select id, id % 3 as grp, cast(id as double) / 4 as v from range(0, 30);
create or replace view v1 as with evens as (select * from base where id % 2 = 0) select grp, count(*) as n, sum(v) as s from evens group by grp;
create or replace view v2 as with __dbt__cte__ephemeral as (select grp, n from v1 where n > 1) select a.grp, a.n, b.s from __dbt__cte__ephemeral a join v1 b on a.grp = b.grp;
select * from v2 order by grp;
select (select count(*) from v1) as c1, (select count(*) from v2) as c2;
with v1 as (select 42 as grp) select * from v1;
create or replace view v1 as select grp, 0 as n, 0.0D as s from base group by grp;
select * from v2 order by grp;
create or replace temporary view tv as select * from v2 where grp > 0;
select * from tv order by grp;
select count(*) as n from tv join v1 using (grp);
drop view tv;
drop view v2;
drop view v1;
