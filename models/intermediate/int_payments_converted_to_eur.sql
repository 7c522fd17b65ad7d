with

payments as (

    select * from {{ ref('stg_shop__payments') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

daily_rates as (

    select * from {{ ref('int_euro_rates_filled_to_days') }}

),

{# payments and refunds convert at the rate of the order day, as the order does, so an
   order refunded in full nets to exactly zero in EUR #}
converted as (

    select
        payments.payment_id,
        payments.order_id,
        orders.customer_id,
        payments.payment_type,
        payments.payment_method,
        payments.currency,
        payments.amount,
        daily_rates.units_per_eur,
        round(payments.amount / daily_rates.units_per_eur, 2) as amount_eur,
        payments.created_at,
        payments.updated_at

    from payments

    inner join orders
        on payments.order_id = orders.order_id

    left join daily_rates
        on
            payments.currency = daily_rates.currency
            and {{ utc_date('orders.ordered_at') }} = daily_rates.rate_date

)

select * from converted
