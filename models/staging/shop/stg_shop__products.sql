with

source as (

    select * from {{ source('shop', 'products') }}
    where {{ dlt_completed_loads('shop') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(product_id as bigint) as product_id,

        {# ---------- strings #}
        sku,
        product_name,
        category,

        {# ---------- numerics #}
        cast(unit_price_eur as numeric(12, 2)) as unit_price_eur,

        {# ---------- booleans #}
        cast(is_active as boolean) as is_active,

        {# ---------- timestamps #}
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
