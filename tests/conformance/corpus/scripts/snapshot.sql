-- dbt's snapshot (check strategy) as dbt-spark writes it: a staging view of changes and a merge
-- that closes the old version and inserts the new one.
create table snap using delta as
select 1 as id, 'ada' as name, 'scd1' as dbt_scd_id, timestamp'2024-01-01 00:00:00' as dbt_updated_at,
       timestamp'2024-01-01 00:00:00' as dbt_valid_from, cast(null as timestamp) as dbt_valid_to;
create or replace temporary view snap__dbt_tmp as
select 'update' as dbt_change_type, 1 as id, 'ada' as name, 'scd1' as dbt_scd_id, timestamp'2024-02-01 00:00:00' as dbt_updated_at,
       timestamp'2024-01-01 00:00:00' as dbt_valid_from, timestamp'2024-02-01 00:00:00' as dbt_valid_to
union all
select 'insert', 1, 'ada lovelace', 'scd2', timestamp'2024-02-01 00:00:00', timestamp'2024-02-01 00:00:00', cast(null as timestamp);
merge into snap as DBT_INTERNAL_DEST
using snap__dbt_tmp as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_SOURCE.dbt_scd_id = DBT_INTERNAL_DEST.dbt_scd_id
when matched
 and DBT_INTERNAL_DEST.dbt_valid_to is null
 and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
    then update
    set dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to
when not matched
 and DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'
    then insert (id, name, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to)
    values (DBT_INTERNAL_SOURCE.id, DBT_INTERNAL_SOURCE.name, DBT_INTERNAL_SOURCE.dbt_scd_id, DBT_INTERNAL_SOURCE.dbt_updated_at, DBT_INTERNAL_SOURCE.dbt_valid_from, DBT_INTERNAL_SOURCE.dbt_valid_to);
select * from snap order by dbt_scd_id;
drop view if exists snap__dbt_tmp;
