{{
    config(
        materialized='incremental',
        unique_key='spend_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#- An incremental build rebuilds whole days: every day from the newest day with sessions
    already in the table, less the lookback window, on (new and late sessions, new orders and
    their attribution), every day with an order line changed since (late status changes and
    refunds), and every day whose spend differs from the table's (a corrected spend file
    dropped again). -#}
{%- set changed_since = lookback_start('spend_date', where='sessions > 0') %}
{%- set more_days -%}
    select web_sessions.session_date
    from {{ ref('fct_web_sessions') }} as web_sessions
    where web_sessions.started_at >= {{ changed_since }}

    union

    select {{ utc_date('attribution.ordered_at') }}
    from {{ ref('int_orders_attributed_to_channels') }} as attribution
    where attribution.ordered_at >= {{ changed_since }}

    union

    {# spend corrected on any day: the day's spend differs from what the table reports #}
    select coalesce(spend.spend_date, reported.spend_date)
    from (
        select
            spend_date,
            channel,
            cast(sum(spend_eur) as numeric(14, 2)) as spend_eur,
            sum(impressions) as impressions,
            sum(clicks) as clicks
        from {{ ref('fct_marketing_spend') }}
        group by 1, 2
    ) as spend
    full outer join {{ this }} as reported
        on
            spend.spend_date = reported.spend_date
            and spend.channel = reported.channel
    where
        coalesce(spend.spend_eur, 0) <> coalesce(reported.spend_eur, 0)
        or coalesce(spend.impressions, 0) <> coalesce(reported.impressions, 0)
        or coalesce(spend.clicks, 0) <> coalesce(reported.clicks, 0)
{%- endset %}
{%- set days_to_rebuild = sales_days_to_rebuild(
    changed_since, changed_products=false, more_days=more_days
) %}

with

marketing_spend as (

    select * from {{ ref('fct_marketing_spend') }}
    {% if is_incremental() %}
        where spend_date in {{ days_to_rebuild }}
    {% endif %}

),

web_sessions as (

    select * from {{ ref('fct_web_sessions') }}
    {% if is_incremental() %}
        where session_date in {{ days_to_rebuild }}
    {% endif %}

),

orders as (

    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where order_date in {{ days_to_rebuild }}
    {% endif %}

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

{# orders on the day they were placed, credited by last non-direct click #}
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
