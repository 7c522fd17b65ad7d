{{
    config(
        materialized='incremental',
        unique_key='order_item_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['order_id']},
            {'columns': ['updated_at']},
            {'columns': ['order_date']},
        ],
    )
}}

{%- set changed_since = lookback_start('updated_at') %}

with

order_items as (

    select * from {{ ref('int_order_items_joined_to_orders') }}

),

payments_in_eur as (

    select * from {{ ref('int_payments_converted_to_eur') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

payments as (

    select * from {{ ref('stg_shop__payments') }}

),

{# Late updates: the lines of every order whose status or payments changed since the newest
   change already in the table, less the lookback window, are read again. (Each import is
   read once, so the database filters it where it is stored instead of reading it all.) #}
changed_orders as (

    select orders.order_id
    from orders
    where orders.updated_at >= {{ changed_since }}

    union

    select payments.order_id
    from payments
    where payments.updated_at >= {{ changed_since }}

),

lines_in_scope as (

    select * from order_items
    {% if is_incremental() %}
        where {{ any_of_keys('order_id', 'select changed_orders.order_id from changed_orders') }}
    {% endif %}

),

refunds_per_order as (

    select
        order_id,
        sum(amount_eur) as refunded_eur

    from payments_in_eur

    where
        payment_type = 'refund'
        and order_id in (select lines_in_scope.order_id from lines_in_scope)

    group by order_id

),

lines_with_running_totals as (

    select
        *,
        sum(line_total) over (
            partition by order_id
            order by line_number
            rows between unbounded preceding and current row
        ) as running_total

    from lines_in_scope

),

{# The order's total converts as a whole, rounded to the cent, and each line takes the
   difference of the rounded running totals: the lines add up to the order to the cent, and
   a full refund (which converts the same total) cancels them exactly. #}
lines_converted as (

    select
        *,
        round(running_total / units_per_eur, 2)
        - round((running_total - line_total) / units_per_eur, 2) as line_total_eur,
        round(running_total / units_per_eur, 2) as running_total_eur,
        round(
            sum(line_total) over (partition by order_id) / units_per_eur, 2
        ) as order_total_eur

    from lines_with_running_totals

),

{# Refunds say how much came back, not which lines: each line carries the order's refund in
   proportion to its value, shared out the same way, so the lines' refunds add up to the
   order's to the cent. #}
refunds_allocated as (

    select
        lines_converted.*,
        case
            when lines_converted.order_total_eur = 0 then 0
            else
                round(
                    coalesce(refunds_per_order.refunded_eur, 0)
                    * lines_converted.running_total_eur / lines_converted.order_total_eur,
                    2
                )
                - round(
                    coalesce(refunds_per_order.refunded_eur, 0)
                    * (lines_converted.running_total_eur - lines_converted.line_total_eur)
                    / lines_converted.order_total_eur,
                    2
                )
        end as refunded_eur

    from lines_converted

    left join refunds_per_order
        on lines_converted.order_id = refunds_per_order.order_id

),

final as (

    select
        order_item_id,
        order_id,
        product_id,
        customer_id,
        {{ utc_date('ordered_at') }} as order_date,
        ordered_at,
        order_status,
        channel,
        cast(line_number as integer) as line_number,
        cast(quantity as integer) as quantity,
        cast(unit_price as numeric(12, 2)) as unit_price,
        currency,
        cast(line_total as numeric(14, 2)) as line_total,
        cast(line_total_eur as numeric(14, 2)) as line_total_eur,
        cast(refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(
            case
                when order_status = 'returned' and line_total_eur > 0
                    then quantity * refunded_eur / line_total_eur
                else 0
            end as numeric(12, 2)
        ) as units_returned,
        cast(
            case
                when order_status = 'cancelled' then 0
                else line_total_eur - refunded_eur
            end as numeric(14, 2)
        ) as net_revenue_eur,
        order_status = 'cancelled' as is_cancelled,
        updated_at

    from refunds_allocated

)

select * from final
