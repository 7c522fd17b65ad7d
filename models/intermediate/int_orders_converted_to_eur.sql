with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

order_totals as (

    select * from {{ ref('int_order_items_aggregated_to_orders') }}

),

order_payments as (

    select * from {{ ref('int_payments_aggregated_to_orders') }}

),

daily_rates as (

    select * from {{ ref('int_euro_rates_filled_to_days') }}

),

-- amounts in the order's currency, converted with the euro rate of the order day
converted as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        cast(orders.ordered_at at time zone 'UTC' as date) as order_date,
        orders.order_status,
        orders.channel,
        orders.currency,
        orders.updated_at,
        coalesce(order_totals.line_count, 0) as line_count,
        coalesce(order_totals.item_count, 0) as item_count,
        coalesce(order_totals.order_total, 0) as order_total,
        daily_rates.units_per_eur,
        round(coalesce(order_totals.order_total, 0) / daily_rates.units_per_eur, 2)
            as order_total_eur,
        round(coalesce(order_payments.paid_amount, 0) / daily_rates.units_per_eur, 2)
            as paid_eur,
        round(coalesce(order_payments.refunded_amount, 0) / daily_rates.units_per_eur, 2)
            as refunded_eur

    from orders

    left join order_totals
        on orders.order_id = order_totals.order_id

    left join order_payments
        on orders.order_id = order_payments.order_id

    left join daily_rates
        on
            orders.currency = daily_rates.currency
            and cast(orders.ordered_at at time zone 'UTC' as date) = daily_rates.rate_date

)

select * from converted
