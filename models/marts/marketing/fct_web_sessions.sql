{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['started_at']},
            {'columns': ['session_date']},
        ],
    )
}}

{%- set changed_since = lookback_start('started_at') %}

with

web_sessions as (

    select * from {{ ref('stg_landing__web_sessions') }}

),

channel_groups as (

    select * from {{ ref('channel_groups') }}

),

{# Sessions do not change once recorded, but a day's file can arrive late: an incremental
   build reads again every session started within the lookback window before the newest one
   already in the table. #}
sessions_in_scope as (

    select * from web_sessions
    {% if is_incremental() %}
        where started_at >= {{ changed_since }}
    {% endif %}

),

final as (

    select
        sessions_in_scope.session_id,
        sessions_in_scope.customer_id,
        sessions_in_scope.order_id,
        {{ utc_date('sessions_in_scope.started_at') }} as session_date,
        sessions_in_scope.started_at,
        sessions_in_scope.channel,
        coalesce(channel_groups.channel_group, 'Other') as channel_group,
        sessions_in_scope.device,
        cast(sessions_in_scope.pageviews as integer) as pageviews,
        sessions_in_scope.customer_id is not null as is_signed_in,
        sessions_in_scope.order_id is not null as is_converted

    from sessions_in_scope

    left join channel_groups
        on sessions_in_scope.channel = channel_groups.channel

)

select * from final
