with

source as (

    select * from {{ source('landing', 'product_reviews') }}
    where {{ dlt_completed_loads('landing') }}

),

renamed as (

    select
        ---------- ids
        cast(review_id as bigint) as review_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        cast(customer_id as bigint) as customer_id,

        ---------- strings
        title as review_title,

        ---------- numerics
        cast(rating as integer) as rating,

        ---------- timestamps
        cast(reviewed_at as timestamptz) as reviewed_at,

        ---------- load metadata
        _source_file as source_file,
        _dlt_load_id as load_id

    from source

)

select * from renamed
