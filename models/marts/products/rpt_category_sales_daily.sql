{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_rebuilt_slices('sales_date') }}",
        on_schema_change='fail',
    )
}}

{# An incremental build rebuilds the days and the slices of a day and country that
   rpt_product_sales_daily rebuilt (the same `sales_slices_to_rebuild`, from the same newest
   day), from its rows of those; the pre-hook deletes them first. #}
{%- set rebuild = sales_slices_to_rebuild(lookback_start('sales_date')) %}

with

product_sales as (

    select * from {{ ref('rpt_product_sales_daily') }}
    {% if is_incremental() %}
        where {{ in_rebuilt_slices('sales_date', 'country_code', rebuild) }}
    {% endif %}

),

{# the product rollup summed over the products of each category: every figure here is the
   sum of the product rows it stands for (order counts are not, so they are left out) #}
aggregated as (

    select
        sales_date,
        category,
        country_code,
        channel,
        sum(units_sold) as units_sold,
        sum(units_returned) as units_returned,
        sum(gross_revenue_eur) as gross_revenue_eur,
        sum(refunded_eur) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from product_sales

    group by sales_date, category, country_code, channel

),

final as (

    select
        sales_date
        || '-' || category
        || '-' || country_code
        || '-' || channel as category_sales_daily_id,
        sales_date,
        category,
        country_code,
        channel,
        cast(units_sold as integer) as units_sold,
        cast(units_returned as numeric(12, 2)) as units_returned,
        cast(gross_revenue_eur as numeric(14, 2)) as gross_revenue_eur,
        cast(refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(net_revenue_eur as numeric(14, 2)) as net_revenue_eur

    from aggregated

    {# stored in the order the dashboard reads it, as rpt_product_sales_daily #}
    order by country_code, channel, sales_date, category

)

select * from final
