with

source as (

    select * from {{ source('shop', 'payments') }}
    where {{ dlt_completed_loads('shop') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(payment_id as bigint) as payment_id,
        cast(order_id as bigint) as order_id,

        {# ---------- strings #}
        lower(payment_type) as payment_type,
        lower(payment_method) as payment_method,
        upper(currency) as currency,

        {# ---------- numerics #}
        cast(amount as numeric(12, 2)) as amount,

        {# ---------- timestamps #}
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
