with

{# the rows of completed loads, of each file only its current version (see the macro) #}
source as (

    {{ landing_current_rows('sales_targets') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(target_month as date) || '-' || lower(channel) as sales_target_id,

        {# ---------- strings #}
        lower(channel) as channel,

        {# ---------- numerics #}
        cast(target_orders as integer) as target_orders,
        cast(target_revenue_eur as numeric(14, 2)) as target_revenue_eur,

        {# ---------- dates #}
        cast(target_month as date) as target_month,

        {# ---------- load metadata #}
        _source_file as source_file,
        _dlt_load_id as load_id

    from source

)

select * from renamed
