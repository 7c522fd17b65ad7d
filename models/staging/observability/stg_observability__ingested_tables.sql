with

source as (

    select * from {{ source('observability', 'ingestion_tables') }}

),

renamed as (

    select
        {# ---------- ids #}
        _dlt_id as ingested_table_id,
        run_id,
        load_id,

        {# ---------- strings #}
        source as source_name,
        table_name,
        status,
        error,

        {# ---------- numerics #}
        rows_loaded,
        rows_rejected,
        duration_s,

        {# ---------- timestamps #}
        started_at,
        finished_at

    from source

)

select * from renamed
