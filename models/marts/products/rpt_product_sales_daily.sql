{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_rebuilt_slices('sales_date') }}",
        on_schema_change='fail',
    )
}}

{#- An incremental build rebuilds whole days: every day with an order line changed since the
    newest day already in the table, less the lookback window (new orders, late status changes
    and refunds), and every day a product renamed or recategorised since was sold on; and, of
    every day a customer who moved since ordered on, the rows of the country they left and
    of the one they moved to (the country comes from the customer). The pre-hook deletes
    those rows first (see `sales_slices_to_rebuild`, which the rollups built on this one
    share). -#}
{%- set rebuild = sales_slices_to_rebuild(lookback_start('sales_date')) %}

with

order_items as (

    select * from {{ ref('fct_order_items') }}
    {% if is_incremental() %}
        where order_date in {{ rebuild.dates }}
    {% endif %}

),

orders as (

    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where {{ in_rebuilt_slices('order_date', 'country_code', rebuild) }}
    {% endif %}

),

products as (

    select * from {{ ref('dim_products') }}

),

{# lines of orders not cancelled, on the day the order was placed; a later return counts
   against that day too #}
lines_sold as (

    select
        order_items.order_date as sales_date,
        order_items.product_id,
        coalesce(orders.country_code, 'unknown') as country_code,
        coalesce(order_items.channel, 'unknown') as channel,
        order_items.order_id,
        order_items.quantity,
        order_items.units_returned,
        order_items.line_total_eur,
        order_items.refunded_eur,
        order_items.net_revenue_eur

    from order_items

    inner join orders
        on order_items.order_id = orders.order_id

    where not order_items.is_cancelled

),

aggregated as (

    select
        sales_date,
        product_id,
        country_code,
        channel,
        count(distinct order_id) as order_count,
        sum(quantity) as units_sold,
        sum(units_returned) as units_returned,
        sum(line_total_eur) as gross_revenue_eur,
        sum(refunded_eur) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from lines_sold

    group by sales_date, product_id, country_code, channel

),

final as (

    select
        aggregated.sales_date
        || '-' || aggregated.product_id
        || '-' || aggregated.country_code
        || '-' || aggregated.channel as product_sales_daily_id,
        aggregated.sales_date,
        aggregated.product_id,
        aggregated.country_code,
        aggregated.channel,
        products.product_name,
        coalesce(products.category, 'unknown') as category,
        cast(aggregated.order_count as integer) as order_count,
        cast(aggregated.units_sold as integer) as units_sold,
        cast(aggregated.units_returned as numeric(12, 2)) as units_returned,
        cast(aggregated.gross_revenue_eur as numeric(14, 2)) as gross_revenue_eur,
        cast(aggregated.refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(aggregated.net_revenue_eur as numeric(14, 2)) as net_revenue_eur

    from aggregated

    left join products
        on aggregated.product_id = products.product_id

    {# stored in the order the dashboard reads it: a view filtered by country or channel
       reads a few runs of neighbouring pages through the index on these columns #}
    order by
        aggregated.country_code,
        aggregated.channel,
        aggregated.sales_date,
        aggregated.product_id

)

select * from final
