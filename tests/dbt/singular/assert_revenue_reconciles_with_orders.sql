{# Net revenue is the same in the daily rollup, the order facts, the order line facts, and
   recomputed from the staging lines and refunds at the order-day rate: no order is lost or
   counted twice between staging and the marts. Returns a row when any two differ by a cent.
   A build that is not a full refresh compares the orders changed in the test window (their
   lines carry the order's `updated_at`), and the rollup's last days with the orders of those
   days. #}
{%- set since = test_window_start('fct_orders') %}
{%- set days_since = test_window_start('fct_orders', 'order_date') %}

with

staged_orders as (

    select * from {{ ref('stg_shop__orders') }}
    where {{ in_test_window('updated_at', since) }}

),

staged_items as (

    select * from {{ ref('stg_shop__order_items') }}
    where {{ in_test_window('updated_at', since) }}

),

{# the refunds of those orders, looked up by order (`any_of_keys`) rather than read in full #}
staged_payments as (

    select * from {{ ref('stg_shop__payments') }}
    {% if since is not none %}
        where {{ any_of_keys('order_id', 'select staged_orders.order_id from staged_orders') }}
    {% endif %}

),

daily_rates as (

    select * from {{ ref('int_euro_rates_filled_to_days') }}

),

staged_totals as (

    select
        order_id,
        sum(quantity * unit_price) as order_total

    from staged_items

    group by order_id

),

staged_refunds as (

    select
        staged_payments.order_id,
        sum(round(staged_payments.amount / daily_rates.units_per_eur, 2)) as refunded_eur

    from staged_payments

    inner join staged_orders
        on staged_payments.order_id = staged_orders.order_id

    inner join daily_rates
        on
            staged_payments.currency = daily_rates.currency
            and {{ utc_date('staged_orders.ordered_at') }} = daily_rates.rate_date

    where staged_payments.payment_type = 'refund'

    group by staged_payments.order_id

),

from_staging as (

    select
        coalesce(sum(
            round(coalesce(staged_totals.order_total, 0) / daily_rates.units_per_eur, 2)
            - coalesce(staged_refunds.refunded_eur, 0)
        ), 0) as net_revenue_eur

    from staged_orders

    inner join daily_rates
        on
            staged_orders.currency = daily_rates.currency
            and {{ utc_date('staged_orders.ordered_at') }} = daily_rates.rate_date

    left join staged_totals
        on staged_orders.order_id = staged_totals.order_id

    left join staged_refunds
        on staged_orders.order_id = staged_refunds.order_id

    where staged_orders.order_status <> 'cancelled'

),

from_orders as (

    select coalesce(sum(net_revenue_eur), 0) as net_revenue_eur
    from {{ ref('fct_orders') }}
    where {{ in_test_window('updated_at', since) }}

),

from_order_items as (

    select coalesce(sum(net_revenue_eur), 0) as net_revenue_eur
    from {{ ref('fct_order_items') }}
    where {{ in_test_window('updated_at', since) }}

),

from_rollup as (

    select coalesce(sum(net_revenue_eur), 0) as net_revenue_eur
    from {{ ref('rpt_revenue_daily') }}
    where {{ in_test_window('revenue_date', days_since) }}

),

from_orders_of_the_days as (

    select coalesce(sum(net_revenue_eur), 0) as net_revenue_eur
    from {{ ref('fct_orders') }}
    where {{ in_test_window('order_date', days_since) }}

)

select
    from_staging.net_revenue_eur as staging_eur,
    from_orders.net_revenue_eur as orders_eur,
    from_order_items.net_revenue_eur as order_items_eur,
    from_orders_of_the_days.net_revenue_eur as orders_of_the_days_eur,
    from_rollup.net_revenue_eur as rollup_eur

from from_staging

cross join from_orders

cross join from_order_items

cross join from_orders_of_the_days

cross join from_rollup

where
    abs(from_staging.net_revenue_eur - from_orders.net_revenue_eur) >= 0.01
    or abs(from_orders.net_revenue_eur - from_order_items.net_revenue_eur) >= 0.01
    or abs(from_orders_of_the_days.net_revenue_eur - from_rollup.net_revenue_eur) >= 0.01
