with

source as (

    select * from {{ source('landing', 'sales_targets') }}
    where {{ dlt_completed_loads('landing') }}

),

current_files as (

    select * from {{ ref('stg_landing__loaded_files') }}
    where table_name = 'sales_targets' and is_current_version

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
        cast(target_month as date) || '-' || lower(channel) as sales_target_id,

        ---------- strings
        lower(channel) as channel,

        ---------- numerics
        cast(target_orders as integer) as target_orders,
        cast(target_revenue_eur as numeric(14, 2)) as target_revenue_eur,

        ---------- dates
        cast(target_month as date) as target_month,

        ---------- load metadata
        _source_file as source_file,
        _dlt_load_id as load_id

    from current_rows

)

select * from renamed
