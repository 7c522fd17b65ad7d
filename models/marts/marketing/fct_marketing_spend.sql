with

marketing_spend as (

    select * from {{ ref('stg_landing__marketing_spend') }}

),

channel_groups as (

    select * from {{ ref('channel_groups') }}

),

final as (

    select
        marketing_spend.marketing_spend_id,
        marketing_spend.spend_date,
        marketing_spend.channel,
        coalesce(channel_groups.channel_group, 'Other') as channel_group,
        marketing_spend.campaign,
        cast(marketing_spend.spend_eur as numeric(14, 2)) as spend_eur,
        cast(marketing_spend.impressions as bigint) as impressions,
        cast(marketing_spend.clicks as bigint) as clicks

    from marketing_spend

    left join channel_groups
        on marketing_spend.channel = channel_groups.channel

)

select * from final
