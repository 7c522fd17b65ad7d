{{
    config(
        materialized='incremental',
        unique_key='sales_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{# An incremental build rebuilds, from rpt_product_sales_daily's rows, the whole days that
   rollup rebuilt (`sales_days_to_rebuild`, from the same newest day); the slices it rebuilt
   because a customer moved change nothing summed over every country. #}
{%- set days_to_rebuild = sales_days_to_rebuild(lookback_start('sales_date')) %}

with

product_sales as (

    select * from {{ ref('rpt_product_sales_daily') }}
    {% if is_incremental() %}
        where sales_date in {{ days_to_rebuild }}
    {% endif %}

),

{# the product rollup summed over every country and channel: what a view without country or
   channel filters reads, one row per product and day instead of one per country and channel #}
aggregated as (

    select
        sales_date,
        product_id,
        product_name,
        category,
        sum(order_count) as order_count,
        sum(units_sold) as units_sold,
        sum(units_returned) as units_returned,
        sum(gross_revenue_eur) as gross_revenue_eur,
        sum(refunded_eur) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from product_sales

    group by sales_date, product_id, product_name, category

),

final as (

    select
        sales_date || '-' || product_id as product_totals_daily_id,
        sales_date,
        product_id,
        product_name,
        category,
        cast(order_count as integer) as order_count,
        cast(units_sold as integer) as units_sold,
        cast(units_returned as numeric(12, 2)) as units_returned,
        cast(gross_revenue_eur as numeric(14, 2)) as gross_revenue_eur,
        cast(refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(net_revenue_eur as numeric(14, 2)) as net_revenue_eur

    from aggregated

    order by sales_date, product_id

)

select * from final
