with

sales_targets as (

    select * from {{ ref('stg_landing__sales_targets') }}

),

revenue as (

    select * from {{ ref('rpt_revenue_daily') }}

),

targets as (

    select
        target_month,
        sum(target_orders) as target_orders,
        sum(target_revenue_eur) as target_revenue_eur

    from sales_targets

    group by 1

),

actuals as (

    select
        {{ month_start('revenue_date') }} as revenue_month,
        sum(order_count - cancelled_order_count) as order_count,
        sum(net_revenue_eur) as net_revenue_eur

    from revenue

    group by 1

),

data_end as (

    select {{ month_start('max(revenue_date)') }} as last_month
    from revenue

),

{# a month after the last one with orders has no actual yet (null, not zero) #}
final as (

    select
        targets.target_month,
        cast(targets.target_orders as integer) as target_orders,
        cast(targets.target_revenue_eur as numeric(14, 2)) as target_net_revenue_eur,
        cast(
            case
                when targets.target_month > data_end.last_month then null
                else coalesce(actuals.order_count, 0)
            end as integer
        ) as actual_orders,
        cast(
            case
                when targets.target_month > data_end.last_month then null
                else coalesce(actuals.net_revenue_eur, 0)
            end as numeric(14, 2)
        ) as actual_net_revenue_eur,
        cast(
            case
                when targets.target_month > data_end.last_month then null
                when targets.target_revenue_eur = 0 then null
                else coalesce(actuals.net_revenue_eur, 0) / targets.target_revenue_eur
            end as numeric(8, 4)
        ) as attainment,
        coalesce(targets.target_month < data_end.last_month, false) as is_month_complete

    from targets

    cross join data_end

    left join actuals
        on targets.target_month = actuals.revenue_month

)

select * from final
