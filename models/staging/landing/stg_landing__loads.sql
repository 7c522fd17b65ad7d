with

source as (

    select * from {{ source('landing', '_dlt_loads') }}

),

renamed as (

    select
        {# ---------- ids #}
        load_id,

        {# ---------- strings #}
        schema_name,
        schema_version_hash,

        {# ---------- numerics #}
        cast(status as integer) as load_status,

        {# ---------- booleans #}
        status = 0 as is_completed,

        {# ---------- timestamps #}
        cast(inserted_at as timestamptz) as loaded_at

    from source

)

select * from renamed
