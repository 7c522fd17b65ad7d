with

orders as (

    select * from {{ ref('fct_orders') }}

),

aggregated as (

    select
        order_date as revenue_date,
        coalesce(country_code, 'unknown') as country_code,
        coalesce(channel, 'unknown') as channel,
        count(*) as order_count,
        count(*) filter (where is_cancelled) as cancelled_order_count,
        count(*) filter (where is_first_order) as new_customer_count,
        sum(item_count) filter (where not is_cancelled) as item_count,
        sum(order_total_eur) filter (where not is_cancelled) as gross_revenue_eur,
        sum(refunded_eur) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from orders

    group by 1, 2, 3

),

final as (

    select
        revenue_date || '-' || country_code || '-' || channel as revenue_daily_id,
        revenue_date,
        country_code,
        channel,
        cast(order_count as integer) as order_count,
        cast(cancelled_order_count as integer) as cancelled_order_count,
        cast(new_customer_count as integer) as new_customer_count,
        cast(coalesce(item_count, 0) as integer) as item_count,
        cast(coalesce(gross_revenue_eur, 0) as numeric(14, 2)) as gross_revenue_eur,
        cast(coalesce(refunded_eur, 0) as numeric(14, 2)) as refunded_eur,
        cast(coalesce(net_revenue_eur, 0) as numeric(14, 2)) as net_revenue_eur

    from aggregated

)

select * from final
