with

source as (

    select * from {{ source('landing', '_loaded_files') }}
    where {{ dlt_completed_loads('landing') }}

),

renamed as (

    select
        {# ---------- ids #}
        _dlt_load_id || ':' || source_file as loaded_file_id,

        {# ---------- strings #}
        table_name,
        source_file,

        {# ---------- numerics #}
        cast(row_count as bigint) as row_count,
        cast(rejected_count as bigint) as rejected_count,

        {# ---------- booleans #}
        {# the newest completed load of a file is its current version: a corrected file
           dropped again supersedes every earlier load of it, even with no rows at all #}
        row_number() over (
            partition by table_name, source_file
            order by cast(_dlt_load_id as numeric) desc
        ) = 1 as is_current_version,
        {# rejected whole after some of its rows loaded: staging keeps none of them #}
        coalesce(rejected_whole, false) as is_rejected_whole,

        {# ---------- timestamps #}
        cast(modified_at as timestamptz) as modified_at,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
