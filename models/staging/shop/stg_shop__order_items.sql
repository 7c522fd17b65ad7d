with

source as (

    select * from {{ source('shop', 'orders__line_items') }}

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

        ---------- load metadata
        orders.load_id

    from source

    -- line items of incomplete loads drop out with their order
    inner join orders
        on source._dlt_parent_id = orders.dlt_row_id

)

select * from renamed
