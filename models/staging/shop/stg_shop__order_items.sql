with

source as (

    select * from {{ source('shop', 'order_line_items') }}
    where {{ dlt_completed_loads('shop') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(order_id as bigint) * 1000 + cast(line_number as bigint) as order_item_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,

        {# ---------- numerics #}
        cast(line_number as integer) as line_number,
        cast(quantity as integer) as quantity,
        cast(unit_price as numeric(12, 2)) as unit_price,

        {# ---------- timestamps #}
        cast(updated_at as timestamptz) as updated_at,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
