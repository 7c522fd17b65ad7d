with

{# the rows of completed loads, of each file only its current version (see the macro) #}
source as (

    {{ landing_current_rows('product_reviews') }}

),

renamed as (

    select
        {# ---------- ids #}
        cast(review_id as bigint) as review_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        cast(customer_id as bigint) as customer_id,

        {# ---------- strings #}
        title as review_title,

        {# ---------- numerics #}
        cast(rating as integer) as rating,

        {# ---------- timestamps #}
        cast(reviewed_at as timestamptz) as reviewed_at,

        {# ---------- load metadata #}
        _source_file as source_file,
        _dlt_load_id as load_id

    from source

)

select * from renamed
