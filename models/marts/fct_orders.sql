with

orders as (

    select * from {{ ref('int_orders_converted_to_eur') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

orders_numbered as (

    select
        orders.*,
        row_number() over (
            partition by orders.customer_id
            order by orders.ordered_at, orders.order_id
        ) as customer_order_number

    from orders

),

final as (

    select
        orders_numbered.order_id,
        orders_numbered.customer_id,
        orders_numbered.order_date,
        orders_numbered.ordered_at,
        orders_numbered.order_status,
        orders_numbered.channel,
        customers.country_code,
        orders_numbered.currency,
        cast(orders_numbered.line_count as integer) as line_count,
        cast(orders_numbered.item_count as integer) as item_count,
        cast(orders_numbered.order_total as numeric(14, 2)) as order_total,
        cast(orders_numbered.order_total_eur as numeric(14, 2)) as order_total_eur,
        cast(orders_numbered.paid_eur as numeric(14, 2)) as paid_eur,
        cast(orders_numbered.refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(
            case
                when orders_numbered.order_status = 'cancelled' then 0
                else orders_numbered.order_total_eur - orders_numbered.refunded_eur
            end as numeric(14, 2)
        ) as net_revenue_eur,
        orders_numbered.order_status = 'cancelled' as is_cancelled,
        cast(orders_numbered.customer_order_number as integer) as customer_order_number,
        orders_numbered.customer_order_number = 1 as is_first_order,
        orders_numbered.updated_at

    from orders_numbered

    left join customers
        on orders_numbered.customer_id = customers.customer_id

)

select * from final
