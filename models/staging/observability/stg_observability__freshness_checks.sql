with

source as (

    select * from {{ source('observability', 'source_freshness') }}

),

renamed as (

    select
        {# ---------- ids #}
        _dlt_id as freshness_check_id,
        run_id,
        unique_id,

        {# ---------- strings #}
        source_name,
        table_name,
        status,
        warn_after,
        error_after,
        error,

        {# ---------- numerics #}
        age_s,

        {# ---------- timestamps #}
        max_loaded_at,
        snapshotted_at

    from source

)

select * from renamed
