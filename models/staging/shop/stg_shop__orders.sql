with

source as (

    select * from {{ source('shop', 'orders') }}
    where {{ dlt_completed_loads('shop') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,

        {# ---------- strings #}
        lower(status) as order_status,
        upper(currency) as currency,
        lower(channel) as channel,

        {# ---------- timestamps #}
        cast(ordered_at as timestamptz) as ordered_at,
        cast(updated_at as timestamptz) as updated_at,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
