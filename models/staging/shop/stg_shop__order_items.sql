with

source as (

    select * from {{ source('shop', 'order_line_items') }}
    where {{ dlt_completed_loads('shop') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

renamed as (

    select
        ---------- ids
        orders.order_id * 1000 + cast(source.line_number as bigint) as order_item_id,
        orders.order_id,
        cast(source.product_id as bigint) as product_id,

        ---------- numerics
        cast(source.line_number as integer) as line_number,
        cast(source.quantity as integer) as quantity,
        cast(source.unit_price as numeric(12, 2)) as unit_price,
        orders.currency,

        ---------- timestamps
        cast(source.updated_at as timestamptz) as updated_at,

        ---------- load metadata
        source._dlt_load_id as load_id

    from source

    -- lines of an order whose own load is incomplete drop out with it
    inner join orders
        on cast(source.order_id as bigint) = orders.order_id

)

select * from renamed
