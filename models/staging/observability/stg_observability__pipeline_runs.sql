with

source as (

    select * from {{ source('observability', 'pipeline_runs') }}

),

renamed as (

    select
        {# ---------- ids #}
        run_id || '-' || command as pipeline_run_id,
        run_id,

        {# ---------- strings #}
        command,
        status,
        error,

        {# ---------- numerics #}
        duration_s,

        {# ---------- timestamps #}
        started_at,
        finished_at

    from source

)

select * from renamed
