with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

-- a customer's first order decides the cohort, whatever became of it later, so a cohort
-- never changes once assigned; ties on the same instant go to the lower order id
orders_ranked as (

    select
        customer_id,
        order_id,
        ordered_at,
        channel,
        row_number() over (
            partition by customer_id
            order by ordered_at, order_id
        ) as customer_order_number

    from orders

),

first_orders as (

    select
        customer_id,
        order_id as first_order_id,
        ordered_at as first_ordered_at,
        {{ month_start(utc_date('ordered_at')) }} as cohort_month,
        coalesce(channel, 'unknown') as first_channel

    from orders_ranked

    where customer_order_number = 1

)

select * from first_orders
