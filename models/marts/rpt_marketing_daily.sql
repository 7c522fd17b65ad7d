with

marketing_spend as (

    select * from {{ ref('fct_marketing_spend') }}

),

web_sessions as (

    select * from {{ ref('fct_web_sessions') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

attribution as (

    select * from {{ ref('int_orders_attributed_to_channels') }}

),

spend_per_day as (

    select
        spend_date as activity_date,
        channel,
        sum(spend_eur) as spend_eur,
        sum(impressions) as impressions,
        sum(clicks) as clicks

    from marketing_spend

    group by 1, 2

),

sessions_per_day as (

    select
        session_date as activity_date,
        channel,
        count(*) as sessions

    from web_sessions

    group by 1, 2

),

-- orders on the day they were placed, credited by last non-direct click
orders_per_day as (

    select
        orders.order_date as activity_date,
        attribution.attributed_channel as channel,
        count(*) as attributed_orders,
        sum(case when orders.is_first_order then 1 else 0 end) as new_customers,
        sum(orders.net_revenue_eur) as attributed_revenue_eur

    from orders

    inner join attribution
        on orders.order_id = attribution.order_id

    group by 1, 2

),

days_and_channels as (

    select
        activity_date,
        channel
    from spend_per_day

    union

    select
        activity_date,
        channel
    from sessions_per_day

    union

    select
        activity_date,
        channel
    from orders_per_day

),

joined as (

    select
        days_and_channels.activity_date,
        days_and_channels.channel,
        coalesce(spend_per_day.spend_eur, 0) as spend_eur,
        coalesce(spend_per_day.impressions, 0) as impressions,
        coalesce(spend_per_day.clicks, 0) as clicks,
        coalesce(sessions_per_day.sessions, 0) as sessions,
        coalesce(orders_per_day.attributed_orders, 0) as attributed_orders,
        coalesce(orders_per_day.new_customers, 0) as new_customers,
        coalesce(orders_per_day.attributed_revenue_eur, 0) as attributed_revenue_eur

    from days_and_channels

    left join spend_per_day
        on
            days_and_channels.activity_date = spend_per_day.activity_date
            and days_and_channels.channel = spend_per_day.channel

    left join sessions_per_day
        on
            days_and_channels.activity_date = sessions_per_day.activity_date
            and days_and_channels.channel = sessions_per_day.channel

    left join orders_per_day
        on
            days_and_channels.activity_date = orders_per_day.activity_date
            and days_and_channels.channel = orders_per_day.channel

),

final as (

    select
        activity_date || '-' || channel as marketing_daily_id,
        activity_date as spend_date,
        channel,
        cast(spend_eur as numeric(14, 2)) as spend_eur,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(sessions as integer) as sessions,
        cast(attributed_orders as integer) as attributed_orders,
        cast(new_customers as integer) as new_customers,
        cast(attributed_revenue_eur as numeric(14, 2)) as attributed_revenue_eur,
        cast(
            case when new_customers = 0 then null else spend_eur / new_customers end
            as numeric(14, 2)
        ) as cac_eur,
        cast(
            case when spend_eur = 0 then null else attributed_revenue_eur / spend_eur end
            as numeric(10, 4)
        ) as roas

    from joined

)

select * from final
