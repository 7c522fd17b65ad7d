with

freshness_checks as (

    select * from {{ ref('stg_observability__freshness_checks') }}

),

ingested_tables as (

    select * from {{ ref('stg_observability__ingested_tables') }}

),

checks_numbered as (

    select
        freshness_checks.*,
        row_number() over (
            partition by freshness_checks.unique_id
            order by freshness_checks.snapshotted_at desc
        ) as recency

    from freshness_checks

),

latest_checks as (

    select * from checks_numbered
    where recency = 1

),

last_successful_loads as (

    select
        source_name,
        max(finished_at) as last_successful_load_at

    from ingested_tables

    where status = 'success'

    group by source_name

),

final as (

    select
        latest_checks.unique_id as source_table_id,
        latest_checks.source_name,
        latest_checks.table_name,
        latest_checks.status as freshness_status,
        latest_checks.max_loaded_at as last_loaded_at,
        last_successful_loads.last_successful_load_at,
        cast(latest_checks.age_s / 3600.0 as numeric(12, 2)) as age_hours,
        cast({{ freshness_limit_hours('latest_checks.warn_after') }} as numeric(12, 2))
            as warn_after_hours,
        cast({{ freshness_limit_hours('latest_checks.error_after') }} as numeric(12, 2))
            as error_after_hours,
        latest_checks.snapshotted_at as checked_at

    from latest_checks

    left join last_successful_loads
        on latest_checks.source_name = last_successful_loads.source_name

)

select * from final
