with

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

daily_rates as (

    select * from {{ ref('int_euro_rates_filled_to_days') }}

),

{# each line of a staged order (a line whose order is not staged, as when the order's own
   load is incomplete, drops out) with the order's attributes and the euro rate in force on the
   order day (UTC); the facts convert with it after they have picked the orders they need #}
joined as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_status,
        orders.channel,
        {# the order's, which its lines carry: a test of recent lines filters the raw lines #}
        order_items.updated_at,
        order_items.line_number,
        order_items.quantity,
        order_items.unit_price,
        orders.currency,
        order_items.quantity * order_items.unit_price as line_total,
        daily_rates.units_per_eur

    from order_items

    inner join orders
        on order_items.order_id = orders.order_id

    left join daily_rates
        on
            orders.currency = daily_rates.currency
            and {{ utc_date('orders.ordered_at') }} = daily_rates.rate_date

)

select * from joined
