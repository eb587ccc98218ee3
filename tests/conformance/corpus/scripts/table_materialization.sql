-- dbt's table materialisation: CREATE OR REPLACE TABLE … AS, twice, with another shape.
create or replace table customers using delta as
with source as (select * from values (1, 'ada', date'2024-01-03'), (2, 'bob', date'2024-02-01'), (3, 'cy', null) as t(id, name, joined))
select id, upper(name) as name, joined from source;
select * from customers order by id;
create or replace table customers using delta as select id, name, joined, id * 10 as score from customers where id < 3;
select * from customers order by id;
describe table customers;
show columns in customers;
create table if not exists customers using delta as select 1 as other;
select count(*) as n from customers;
drop table if exists customers;
drop table if exists customers;
