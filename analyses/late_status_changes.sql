-- How late do order status changes arrive? Orders by final status and by the number of
-- days between ordering and the last change. Compile with `dataops dbt compile` and run the
-- SQL in target/compiled; it explains the lag window of the Shop API's incremental load.
with

orders as (

    select * from {{ ref('fct_orders') }}

),

lateness as (

    select
        order_status,
        date_part('day', updated_at - ordered_at) as days_to_last_change

    from orders

),

final as (

    select
        order_status,
        days_to_last_change,
        count(*) as order_count

    from lateness

    group by order_status, days_to_last_change

)

select * from final
order by order_status, days_to_last_change
