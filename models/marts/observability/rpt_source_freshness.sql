with

loads as (

    select * from {{ ref('int_dlt_loads_unioned') }}

),

aggregated as (

    select
        source_name,
        min(loaded_at) as first_loaded_at,
        max(loaded_at) as last_loaded_at,
        count(*) as completed_load_count

    from loads

    where is_completed

    group by source_name

),

final as (

    select
        source_name,
        first_loaded_at,
        last_loaded_at,
        cast(completed_load_count as integer) as completed_load_count

    from aggregated

)

select * from final
