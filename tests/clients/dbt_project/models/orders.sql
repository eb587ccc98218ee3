{{ config(materialized="table") }}
select order_id, customer, cast(amount as double) as amount, cast(updated_at as date) as updated_at
from {{ ref('raw_orders') }}
