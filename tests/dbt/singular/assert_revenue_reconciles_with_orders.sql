-- Net revenue in the daily rollup equals net revenue summed over orders, and over the
-- staging line items and refunds converted at the order-day rate: no order is lost or
-- counted twice between staging and the marts. Returns a row when they differ by a cent.
with

rollup as (

    select coalesce(sum(net_revenue_eur), 0) as net_revenue_eur
    from {{ ref('rpt_revenue_daily') }}

),

orders as (

    select coalesce(sum(net_revenue_eur), 0) as net_revenue_eur
    from {{ ref('fct_orders') }}

),

converted as (

    select
        coalesce(sum(
            case when order_status = 'cancelled' then 0 else order_total_eur - refunded_eur end
        ), 0) as net_revenue_eur
    from {{ ref('int_orders_converted_to_eur') }}

)

select
    rollup.net_revenue_eur as rollup_eur,
    orders.net_revenue_eur as orders_eur,
    converted.net_revenue_eur as converted_eur

from rollup

cross join orders

cross join converted

where
    abs(rollup.net_revenue_eur - orders.net_revenue_eur) > 0.01
    or abs(orders.net_revenue_eur - converted.net_revenue_eur) > 0.01
