with

orders as (

    select * from {{ ref('fct_orders') }}

),

aggregated as (

    select
        order_date as kpi_date,
        count(*) as order_count,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_order_count,
        count(distinct customer_id) as customer_count,
        count(distinct case when is_first_order then customer_id end) as new_customer_count,
        count(distinct case when not is_first_order then customer_id end)
            as returning_customer_count,
        sum(case when is_cancelled then 0 else order_total_eur end) as gross_revenue_eur,
        sum(case when is_cancelled then 0 else refunded_eur end) as refunded_eur,
        sum(net_revenue_eur) as net_revenue_eur

    from orders

    group by order_date

),

final as (

    select
        kpi_date,
        cast(order_count as integer) as order_count,
        cast(cancelled_order_count as integer) as cancelled_order_count,
        cast(customer_count as integer) as customer_count,
        cast(new_customer_count as integer) as new_customer_count,
        cast(returning_customer_count as integer) as returning_customer_count,
        cast(gross_revenue_eur as numeric(14, 2)) as gross_revenue_eur,
        cast(refunded_eur as numeric(14, 2)) as refunded_eur,
        cast(net_revenue_eur as numeric(14, 2)) as net_revenue_eur,
        cast(
            case
                when order_count = cancelled_order_count then null
                else net_revenue_eur / (order_count - cancelled_order_count)
            end as numeric(14, 2)
        ) as average_order_value_eur

    from aggregated

)

select * from final
