with

source as (

    select * from {{ source('landing', 'marketing_spend') }}
    where {{ dlt_completed_loads('landing') }}

),

current_files as (

    select * from {{ ref('stg_landing__loaded_files') }}
    where table_name = 'marketing_spend' and is_current_version

),

-- Raw keeps every version of a file; staging keeps the rows of its current one. Rows of a
-- file loaded before files were recorded have no current version and stay.
current_rows as (

    select source.*

    from source

    left join current_files
        on source._source_file = current_files.source_file

    where
        current_files.load_id is null
        or source._dlt_load_id = current_files.load_id

),

renamed as (

    select
        ---------- ids
        cast(spend_date as date) || '-' || lower(channel) || '-' || lower(campaign)
            as marketing_spend_id,

        ---------- strings
        lower(channel) as channel,
        lower(campaign) as campaign,

        ---------- numerics
        cast(spend_eur as numeric(12, 2)) as spend_eur,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,

        ---------- dates
        cast(spend_date as date) as spend_date,

        ---------- load metadata
        _source_file as source_file,
        _dlt_load_id as load_id

    from current_rows

)

select * from renamed
