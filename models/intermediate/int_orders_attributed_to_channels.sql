{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['order_id']}, {'columns': ['ordered_at']}],
    )
}}

{%- set changed_since = lookback_start('ordered_at') %}
{%- set sessions_since = lookback_start('ordered_at', var('attribution_window_days')) %}

with

staged_orders as (

    select * from {{ ref('stg_shop__orders') }}

),

staged_web_sessions as (

    select * from {{ ref('stg_landing__web_sessions') }}

),

{# An order's channel and customer never change, and neither do its sessions once recorded:
   an incremental build credits again the orders placed within the lookback window before
   the newest one already credited (their sessions' files can arrive late), reading only the
   sessions that can be credited to them. #}
orders as (

    select * from staged_orders
    {% if is_incremental() %}
        where ordered_at >= {{ changed_since }}
    {% endif %}

),

web_sessions as (

    select * from staged_web_sessions
    {% if is_incremental() %}
        where started_at >= {{ sessions_since }}
    {% endif %}

),

{# last non-direct click: an order is credited to the channel of the session it was placed
   in, unless that session came in directly; then to the customer's last earlier session
   from another channel within the attribution window, if there is one #}
direct_orders as (

    select
        order_id,
        customer_id,
        ordered_at

    from orders

    where channel = 'direct'

),

earlier_touches as (

    select
        direct_orders.order_id,
        web_sessions.session_id,
        web_sessions.channel,
        row_number() over (
            partition by direct_orders.order_id
            order by web_sessions.started_at desc, web_sessions.session_id desc
        ) as touch_rank

    from direct_orders

    inner join web_sessions
        on
            direct_orders.customer_id = web_sessions.customer_id
            and direct_orders.ordered_at > web_sessions.started_at
            and {{ add_days('direct_orders.ordered_at', -var('attribution_window_days')) }}
            <= web_sessions.started_at
            and web_sessions.channel <> 'direct'

),

last_earlier_touches as (

    select
        order_id,
        session_id,
        channel

    from earlier_touches

    where touch_rank = 1

),

attributed as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        coalesce(orders.channel, 'unknown') as converting_channel,
        coalesce(last_earlier_touches.channel, orders.channel, 'unknown') as attributed_channel,
        last_earlier_touches.session_id as attributed_session_id,
        last_earlier_touches.session_id is not null as is_credited_to_earlier_session

    from orders

    left join last_earlier_touches
        on orders.order_id = last_earlier_touches.order_id

)

select * from attributed
