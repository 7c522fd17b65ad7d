with

products as (

    select * from {{ ref('stg_shop__products') }}

),

final as (

    select
        product_id,
        sku,
        product_name,
        category,
        cast(unit_price_eur as numeric(12, 2)) as unit_price_eur,
        is_active,
        created_at,
        updated_at

    from products

)

select * from final
