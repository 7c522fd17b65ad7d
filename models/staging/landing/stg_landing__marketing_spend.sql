with

{# the rows of completed loads, of each file only its current version (see the macro) #}
source as (

    {{ landing_current_rows('marketing_spend') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(spend_date as date) || '-' || lower(channel) || '-' || lower(campaign)
            as marketing_spend_id,

        {# ---------- strings #}
        lower(channel) as channel,
        lower(campaign) as campaign,

        {# ---------- numerics #}
        cast(spend_eur as numeric(12, 2)) as spend_eur,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,

        {# ---------- dates #}
        cast(spend_date as date) as spend_date,

        {# ---------- load metadata #}
        _source_file as source_file,
        _dlt_load_id as load_id

    from source

)

select * from renamed
