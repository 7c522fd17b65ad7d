with

source as (

    select * from {{ source('landing', 'web_sessions') }}
    where {{ dlt_completed_loads('landing') }}

),

current_files as (

    select * from {{ ref('stg_landing__loaded_files') }}
    where table_name = 'web_sessions' and is_current_version

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
        cast(session_id as bigint) as session_id,
        cast(customer_id as bigint) as customer_id,
        cast(order_id as bigint) as order_id,

        ---------- strings
        lower(channel) as channel,
        lower(device) as device,

        ---------- numerics
        cast(pageviews as integer) as pageviews,

        ---------- timestamps
        cast(started_at as timestamptz) as started_at,

        ---------- load metadata
        _source_file as source_file,
        _dlt_load_id as load_id

    from current_rows

)

select * from renamed
