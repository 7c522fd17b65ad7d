with

pipeline_runs as (

    select * from {{ ref('stg_observability__pipeline_runs') }}

),

dbt_nodes as (

    select * from {{ ref('stg_observability__dbt_nodes') }}

),

ingested_tables as (

    select * from {{ ref('stg_observability__ingested_tables') }}

),

runs as (

    select
        run_id,
        min(started_at) as started_at,
        max(finished_at) as finished_at,
        bool_or(status = 'failed') as has_failed,
        string_agg(distinct command, ', ') as commands

    from pipeline_runs

    group by run_id

),

dbt_per_run as (

    select
        run_id,
        sum(
            case when resource_type in ('test', 'unit_test') and status = 'pass' then 1 else 0 end
        ) as tests_passed,
        sum(
            case
                when resource_type in ('test', 'unit_test') and status in ('fail', 'error')
                    then 1
                else 0
            end
        ) as tests_failed,
        sum(
            case when resource_type in ('test', 'unit_test') and status = 'warn' then 1 else 0 end
        ) as tests_warned,
        sum(
            case when resource_type = 'model' and status = 'success' then 1 else 0 end
        ) as models_built,
        sum(
            case
                when resource_type in ('model', 'seed', 'snapshot') and status = 'error' then 1
                else 0
            end
        ) as models_failed,
        extract(epoch from max(completed_at) - min(started_at)) as build_duration_s

    from dbt_nodes

    group by run_id

),

ingestion_per_run as (

    select
        run_id,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected,
        sum(case when status = 'failed' then 1 else 0 end) as failed_loads

    from ingested_tables

    group by run_id

),

final as (

    select
        runs.run_id,
        runs.commands,
        runs.started_at,
        cast(runs.started_at as date) as run_date,
        cast(extract(epoch from runs.finished_at - runs.started_at) as numeric(12, 1))
            as duration_s,
        case when runs.has_failed then 'failed' else 'success' end as run_status,
        cast(coalesce(dbt_per_run.tests_passed, 0) as integer) as tests_passed,
        cast(coalesce(dbt_per_run.tests_failed, 0) as integer) as tests_failed,
        cast(coalesce(dbt_per_run.tests_warned, 0) as integer) as tests_warned,
        cast(coalesce(dbt_per_run.models_built, 0) as integer) as models_built,
        cast(coalesce(dbt_per_run.models_failed, 0) as integer) as models_failed,
        cast(dbt_per_run.build_duration_s as numeric(12, 1)) as build_duration_s,
        cast(coalesce(ingestion_per_run.rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(ingestion_per_run.rows_rejected, 0) as bigint) as rows_rejected,
        cast(coalesce(ingestion_per_run.failed_loads, 0) as integer) as failed_loads

    from runs

    left join dbt_per_run
        on runs.run_id = dbt_per_run.run_id

    left join ingestion_per_run
        on runs.run_id = ingestion_per_run.run_id

)

select * from final
