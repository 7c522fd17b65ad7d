with

source as (

    select * from {{ source('ecb', 'euro_rates') }}
    where {{ dlt_completed_loads('ecb') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(rate_date as date) || '-' || upper(currency) as euro_rate_id,

        {# ---------- strings #}
        upper(currency) as currency,

        {# ---------- numerics #}
        cast(rate as numeric(18, 6)) as units_per_eur,

        {# ---------- dates #}
        cast(rate_date as date) as rate_date,

        {# ---------- load metadata #}
        _dlt_load_id as load_id

    from source

)

select * from renamed
