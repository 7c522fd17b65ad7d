with

shop_loads as (

    select * from {{ ref('stg_shop__loads') }}

),

ecb_loads as (

    select * from {{ ref('stg_ecb__loads') }}

),

landing_loads as (

    select * from {{ ref('stg_landing__loads') }}

),

unioned as (

    select
        'shop' as source_name,
        *
    from shop_loads

    union all

    select
        'ecb' as source_name,
        *
    from ecb_loads

    union all

    select
        'landing' as source_name,
        *
    from landing_loads

),

final as (

    select
        source_name || '-' || load_id as source_load_id,
        source_name,
        load_id,
        load_status,
        is_completed,
        loaded_at

    from unioned

)

select * from final
