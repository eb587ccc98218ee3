-- dbt's insert_overwrite strategy (partitioned, dynamic partition overwrite), append, and
-- INSERT OVERWRITE of a whole table, on Delta and Parquet.
set spark.sql.sources.partitionOverwriteMode = dynamic;
create table events using parquet partitioned by (day) as
select * from values (1, 'a', date'2024-01-01'), (2, 'b', date'2024-01-02') as t(id, kind, day);
insert overwrite table events partition (day) select * from values (3, 'c', date'2024-01-02'), (4, 'd', date'2024-01-03') as t(id, kind, day);
select * from events order by id;
insert into events select 5, 'e', date'2024-01-01';
select * from events order by id;
insert overwrite events select 9, 'z', date'2024-01-09';
select * from events order by id;
create table facts (id int, v string) using delta;
insert into facts values (1, 'x'), (2, 'y');
insert into facts (v, id) values ('w', 3);
insert overwrite facts select id + 10, v from facts where id < 3;
select * from facts order by id;
insert into table facts select * from facts;
select count(*) as n, sum(id) as s from facts;
reset spark.sql.sources.partitionOverwriteMode;
