-- A singular test: fails when it returns rows.
select * from {{ ref('customer_totals') }} where customer = 'ada' and total <> 15.5
