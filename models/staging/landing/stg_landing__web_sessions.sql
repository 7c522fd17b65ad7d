with

{# the rows of completed loads, of each file only its current version (see the macro) #}
source as (

    {{ landing_current_rows('web_sessions') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(session_id as bigint) as session_id,
        cast(customer_id as bigint) as customer_id,
        cast(order_id as bigint) as order_id,

        {# ---------- strings #}
        lower(channel) as channel,
        lower(device) as device,

        {# ---------- numerics #}
        cast(pageviews as integer) as pageviews,

        {# ---------- timestamps #}
        cast(started_at as timestamptz) as started_at,

        {# ---------- load metadata #}
        _source_file as source_file,
        _dlt_load_id as load_id

    from source

)

select * from renamed
