{# Every order's lines add up to the order to the cent: value, refunds and net revenue in
   EUR, and units. Returns the orders whose lines do not. A build that is not a full refresh
   checks the orders changed in the test window (lines carry their order's `updated_at`). #}
{%- set since = test_window_start('fct_orders') %}

with

orders as (

    select * from {{ ref('fct_orders') }}
    where {{ in_test_window('updated_at', since) }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}
    where {{ in_test_window('updated_at', since) }}

),

lines_per_order as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count,
        sum(line_total_eur) as order_total_eur,
        sum(refunded_eur) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from order_items

    group by order_id

),

compared as (

    select
        orders.order_id,
        orders.line_count,
        lines_per_order.line_count as lines_line_count,
        orders.item_count,
        lines_per_order.item_count as lines_item_count,
        orders.order_total_eur,
        lines_per_order.order_total_eur as lines_order_total_eur,
        orders.refunded_eur,
        lines_per_order.refunded_eur as lines_refunded_eur,
        orders.net_revenue_eur,
        lines_per_order.net_revenue_eur as lines_net_revenue_eur

    from orders

    left join lines_per_order
        on orders.order_id = lines_per_order.order_id

)

select * from compared

where
    line_count <> coalesce(lines_line_count, 0)
    or item_count <> coalesce(lines_item_count, 0)
    or order_total_eur <> coalesce(lines_order_total_eur, 0)
    {# an order with no lines keeps its refunds at order level #}
    or (lines_line_count is not null and refunded_eur <> lines_refunded_eur)
    or (lines_line_count is not null and net_revenue_eur <> lines_net_revenue_eur)
