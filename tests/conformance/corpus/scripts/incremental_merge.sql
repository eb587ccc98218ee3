-- dbt's incremental model, strategy merge on Delta, as dbt-spark sends it on the second run:
-- the new rows are a temporary view whose filter reads the target (the model's {{ this }}).
create table orders_inc using delta as
select * from values (1, 'ada', 10.5D, timestamp'2024-01-01 10:00:00'), (2, 'bob', 7.25D, timestamp'2024-01-02 10:00:00') as t(order_id, customer, amount, updated_at);
create or replace temporary view orders_inc__dbt_tmp as
with src as (select * from values (2, 'bob', 8.0D, timestamp'2024-01-03 09:00:00'), (3, 'cy', 40.0D, timestamp'2024-01-03 10:00:00'), (1, 'ada', 1.0D, timestamp'2023-12-31 00:00:00') as t(order_id, customer, amount, updated_at))
select * from src where updated_at >= (select max(updated_at) from orders_inc);
select * from orders_inc__dbt_tmp order by order_id;
merge into orders_inc as DBT_INTERNAL_DEST
using orders_inc__dbt_tmp as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_SOURCE.order_id = DBT_INTERNAL_DEST.order_id
when matched then update set *
when not matched then insert *;
select * from orders_inc order by order_id;
merge into orders_inc as t using (select 3 as order_id, 'cy' as customer) as s on t.order_id = s.order_id and t.amount > 100
when matched then delete
when not matched by source and t.order_id = 1 then update set amount = t.amount + 1;
select * from orders_inc order by order_id;
merge into orders_inc t using (select * from orders_inc where order_id = 2) s on t.order_id = s.order_id
when matched then update set t.customer = concat(s.customer, '!');
select order_id, customer from orders_inc order by order_id;
