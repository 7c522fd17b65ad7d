{{
    config(
        materialized='incremental',
        unique_key='kpi_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#- An incremental build rebuilds every day with an order line changed since the newest day
    already in the table, less the lookback window (new orders, late status changes and
    refunds): nothing else in a day's figures changes (`sales_days_to_rebuild`). -#}
{%- set days_to_rebuild = sales_days_to_rebuild(
    lookback_start('kpi_date'), changed_products=false
) %}

with

orders as (

    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where order_date in {{ days_to_rebuild }}
    {% endif %}

),

aggregated as (

    select
        order_date as kpi_date,
        count(*) as order_count,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_order_count,
        count(distinct customer_id) as customer_count,
        count(distinct case when is_first_order then customer_id end) as new_customer_count,
        count(distinct case when not is_first_order then customer_id end)
            as returning_customer_count,
        sum(case when is_cancelled then 0 else order_total_eur end) as gross_revenue_eur,
        sum(case when is_cancelled then 0 else refunded_eur end) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from orders

    group by order_date

),

final as (

    select
        kpi_date,
        cast(order_count as integer) as order_count,
        cast(cancelled_order_count as integer) as cancelled_order_count,
        cast(customer_count as integer) as customer_count,
        cast(new_customer_count as integer) as new_customer_count,
        cast(returning_customer_count as integer) as returning_customer_count,
        cast(gross_revenue_eur as numeric(14, 2)) as gross_revenue_eur,
        cast(refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(net_revenue_eur as numeric(14, 2)) as net_revenue_eur,
        cast(
            case
                when order_count = cancelled_order_count then null
                else net_revenue_eur / (order_count - cancelled_order_count)
            end as numeric(14, 2)
        ) as average_order_value_eur

    from aggregated

)

select * from final
