{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['updated_at']},
            {'columns': ['order_date']},
            {'columns': ['customer_id']},
        ],
    )
}}

{%- set changed_since = lookback_start('updated_at') %}

with

{# not materialized: each use below filters the view itself, so it reads only the raw rows
   it needs (as a materialized CTE, `any_of_keys` would scan every order once per key) #}
orders as not materialized (

    select * from {{ ref('stg_shop__orders') }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}

),

payments_in_eur as (

    select * from {{ ref('int_payments_converted_to_eur') }}

),

payments as (

    select * from {{ ref('stg_shop__payments') }}

),

customers as not materialized (

    select * from {{ ref('stg_shop__customers') }}

),

{# Late updates: every order, payment or customer changed since the newest change already
   in the table, less the lookback window, is read again. So is every order of the
   customers they touch, because the order sequence and the country come from the customer. #}
changed_customers as (

    select orders.customer_id
    from orders
    where orders.updated_at >= {{ changed_since }}

    union

    {# the orders looked up by key: a join would read every order to find a few #}
    select orders.customer_id
    from orders
    where {{ any_of_keys(
        'orders.order_id',
        'select payments.order_id from payments'
        ~ ' where payments.updated_at >= ' ~ changed_since
    ) }}

    union

    select customers.customer_id
    from customers
    where customers.updated_at >= {{ changed_since }}

),

orders_in_scope as (

    select * from orders
    {% if is_incremental() %}
        where {{ any_of_keys(
            'customer_id', 'select changed_customers.customer_id from changed_customers'
        ) }}
    {% endif %}

),

order_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count,
        sum(line_total) as order_total,
        sum(line_total_eur) as order_total_eur

    from order_items

    {% if is_incremental() %}
        where {{ any_of_keys('order_id', 'select orders_in_scope.order_id from orders_in_scope') }}
    {% endif %}

    group by order_id

),

payment_totals as (

    select
        order_id,
        sum(case when payment_type = 'payment' then amount_eur else 0 end) as paid_eur,
        sum(case when payment_type = 'refund' then amount_eur else 0 end) as refunded_eur

    from payments_in_eur

    {% if is_incremental() %}
        where {{ any_of_keys('order_id', 'select orders_in_scope.order_id from orders_in_scope') }}
    {% endif %}

    group by order_id

),

orders_numbered as (

    select
        orders_in_scope.*,
        row_number() over (
            partition by orders_in_scope.customer_id
            order by orders_in_scope.ordered_at, orders_in_scope.order_id
        ) as customer_order_number

    from orders_in_scope

),

final as (

    select
        orders_numbered.order_id,
        orders_numbered.customer_id,
        {{ utc_date('orders_numbered.ordered_at') }} as order_date,
        orders_numbered.ordered_at,
        orders_numbered.order_status,
        orders_numbered.channel,
        customers.country_code,
        orders_numbered.currency,
        cast(coalesce(order_totals.line_count, 0) as integer) as line_count,
        cast(coalesce(order_totals.item_count, 0) as integer) as item_count,
        cast(coalesce(order_totals.order_total, 0) as numeric(14, 2)) as order_total,
        cast(coalesce(order_totals.order_total_eur, 0) as numeric(14, 2)) as order_total_eur,
        cast(coalesce(payment_totals.paid_eur, 0) as numeric(14, 2)) as paid_eur,
        cast(coalesce(payment_totals.refunded_eur, 0) as numeric(14, 2)) as refunded_eur,
        cast(
            case
                when orders_numbered.order_status = 'cancelled' then 0
                else
                    coalesce(order_totals.order_total_eur, 0)
                    - coalesce(payment_totals.refunded_eur, 0)
            end as numeric(14, 2)
        ) as net_revenue_eur,
        orders_numbered.order_status = 'cancelled' as is_cancelled,
        orders_numbered.order_status = 'returned' as is_returned,
        cast(orders_numbered.customer_order_number as integer) as customer_order_number,
        orders_numbered.customer_order_number = 1 as is_first_order,
        orders_numbered.updated_at

    from orders_numbered

    left join order_totals
        on orders_numbered.order_id = order_totals.order_id

    left join payment_totals
        on orders_numbered.order_id = payment_totals.order_id

    left join customers
        on orders_numbered.customer_id = customers.customer_id

)

select * from final
