with

source as (

    select * from {{ source('observability', 'dbt_nodes') }}

),

renamed as (

    select
        {# ---------- ids #}
        _dlt_id as dbt_node_run_id,
        run_id,
        invocation_id,
        unique_id,

        {# ---------- strings #}
        command,
        resource_type,
        name as node_name,
        status,
        message,

        {# ---------- numerics #}
        failures,
        rows_affected,
        execution_time_s,

        {# ---------- timestamps #}
        started_at,
        completed_at

    from source

)

select * from renamed
