{{
    config(
        materialized='incremental',
        unique_key='sales_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set changed_since = lookback_start('sales_date') %}

with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

customer_versions as (

    select * from {{ ref('snp_shop__customers') }}

),

-- customers who moved to another country since (their orders' country is the new one)
moved_customers as (

    select later_versions.customer_id

    from customer_versions as later_versions

    inner join customer_versions as earlier_versions
        on
            later_versions.customer_id = earlier_versions.customer_id
            and later_versions.dbt_valid_from = earlier_versions.dbt_valid_to

    where
        later_versions.dbt_valid_from >= {{ changed_since }}
        and later_versions.country_code is distinct from earlier_versions.country_code

),

product_versions as (

    select * from {{ ref('snp_shop__products') }}

),

-- products renamed or moved to another category since
relabelled_products as (

    select later_versions.product_id

    from product_versions as later_versions

    inner join product_versions as earlier_versions
        on
            later_versions.product_id = earlier_versions.product_id
            and later_versions.dbt_valid_from = earlier_versions.dbt_valid_to

    where
        later_versions.dbt_valid_from >= {{ changed_since }}
        and (
            later_versions.product_name is distinct from earlier_versions.product_name
            or later_versions.category is distinct from earlier_versions.category
        )

),

-- An incremental build rebuilds whole days: every day with an order line changed since the
-- newest day already in the table, less the lookback window (new orders, late status changes
-- and refunds), every day with an order of a customer who moved since (the country comes
-- from the customer), and every day a product renamed or recategorised since was sold on.
changed_days as (

    select order_items.order_date as sales_date
    from order_items
    where order_items.updated_at >= {{ changed_since }}

    union

    select orders.order_date as sales_date
    from orders
    where orders.customer_id in (select moved_customers.customer_id from moved_customers)

    union

    select order_items.order_date as sales_date
    from order_items
    where order_items.product_id in (select relabelled_products.product_id from relabelled_products)

),

-- lines of orders not cancelled, on the day the order was placed; a later return counts
-- against that day too
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

    where
        not order_items.is_cancelled
        {% if is_incremental() %}
            and order_items.order_date in (select changed_days.sales_date from changed_days)
        {% endif %}

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

    -- stored in the order the dashboard reads it: a view filtered by country or channel
    -- reads a few runs of neighbouring pages through the index on these columns
    order by
        aggregated.country_code,
        aggregated.channel,
        aggregated.sales_date,
        aggregated.product_id

)

select * from final
