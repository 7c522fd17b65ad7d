with

ingested_tables as (

    select * from {{ ref('stg_observability__ingested_tables') }}

),

loads as (

    select
        run_id,
        source_name,
        table_name,
        started_at,
        rows_loaded

    from ingested_tables

    where status = 'success' and table_name is not null

),

numbered as (

    select
        loads.*,
        row_number() over (
            partition by loads.source_name, loads.table_name
            order by loads.started_at
        ) as load_number

    from loads

),

{# each load beside the same table's previous seven loads #}
paired as (

    select
        current_load.run_id,
        current_load.source_name,
        current_load.table_name,
        current_load.started_at,
        current_load.rows_loaded,
        earlier_load.rows_loaded as earlier_rows_loaded

    from numbered as current_load

    left join numbered as earlier_load
        on
            current_load.source_name = earlier_load.source_name
            and current_load.table_name = earlier_load.table_name
            and earlier_load.load_number between current_load.load_number - 7
            and current_load.load_number - 1

),

compared as (

    select
        run_id,
        source_name,
        table_name,
        started_at,
        rows_loaded,
        count(earlier_rows_loaded) as previous_count,
        {{ median('earlier_rows_loaded') }} as median_previous

    from paired

    group by run_id, source_name, table_name, started_at, rows_loaded

),

final as (

    select
        run_id || '-' || source_name || '.' || table_name as row_count_check_id,
        run_id,
        source_name,
        table_name,
        started_at,
        rows_loaded,
        cast(median_previous as numeric(18, 1)) as median_previous_7,
        cast(
            case
                when median_previous > 0 then (rows_loaded - median_previous) / median_previous
            end as numeric(12, 3)
        ) as deviation_ratio,
        coalesce(
            previous_count >= {{ var('row_count_min_history', 3) }}
            and abs(rows_loaded - median_previous)
            > {{ var('row_count_tolerance', 0.5) }} * greatest(median_previous, 1),
            false
        ) as is_anomaly

    from compared

)

select * from final
