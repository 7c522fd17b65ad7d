{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_rebuilt_slices('revenue_date', changed_products=false) }}",
        on_schema_change='fail',
    )
}}

{#- An incremental build rebuilds every day with an order line changed since the newest day
    already in the table, less the lookback window (new orders, late status changes and
    refunds), and, of every day a customer who moved since ordered on, the rows of the country
    they left and of the one they moved to (the country comes from the customer). The
    pre-hook deletes those rows first (`sales_slices_to_rebuild`). -#}
{%- set rebuild = sales_slices_to_rebuild(
    lookback_start('revenue_date'), changed_products=false
) %}

with

orders as (

    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where {{ in_rebuilt_slices('order_date', 'country_code', rebuild) }}
    {% endif %}

),

aggregated as (

    select
        order_date as revenue_date,
        coalesce(country_code, 'unknown') as country_code,
        coalesce(channel, 'unknown') as channel,
        count(*) as order_count,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_order_count,
        sum(case when is_first_order then 1 else 0 end) as new_customer_count,
        sum(case when is_cancelled then 0 else item_count end) as item_count,
        sum(case when is_cancelled then 0 else order_total_eur end) as gross_revenue_eur,
        sum(case when is_cancelled then 0 else refunded_eur end) as refunded_eur,
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
        cast(item_count as integer) as item_count,
        cast(gross_revenue_eur as numeric(14, 2)) as gross_revenue_eur,
        cast(refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(net_revenue_eur as numeric(14, 2)) as net_revenue_eur

    from aggregated

)

select * from final
