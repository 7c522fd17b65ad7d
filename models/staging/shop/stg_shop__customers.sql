with

source as (

    select * from {{ source('shop', 'customers') }}
    where {{ dlt_completed_loads('shop') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(customer_id as bigint) as customer_id,

        {# ---------- strings #}
        first_name,
        last_name,
        lower(email) as email,
        upper(country_code) as country_code,

        {# ---------- timestamps #}
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
