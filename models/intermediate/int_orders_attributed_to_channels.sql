with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

web_sessions as (

    select * from {{ ref('stg_landing__web_sessions') }}

),

-- last non-direct click: an order is credited to the channel of the session it was placed
-- in, unless that session came in directly; then to the customer's last earlier session
-- from another channel within the attribution window, if there is one
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
        coalesce(orders.channel, 'unknown') as converting_channel,
        coalesce(last_earlier_touches.channel, orders.channel, 'unknown') as attributed_channel,
        last_earlier_touches.session_id as attributed_session_id,
        last_earlier_touches.session_id is not null as is_credited_to_earlier_session

    from orders

    left join last_earlier_touches
        on orders.order_id = last_earlier_touches.order_id

)

select * from attributed
