with

source as (

    select * from {{ source('landing', 'product_reviews') }}
    where {{ dlt_completed_loads('landing') }}

),

current_files as (

    select * from {{ ref('stg_landing__loaded_files') }}
    where table_name = 'product_reviews' and is_current_version

),

-- Raw keeps every version of a file; staging keeps the rows of its current one. Rows of a
-- file loaded before files were recorded have no current version and stay.
current_rows as (

    select source.*

    from source

    left join current_files
        on source._source_file = current_files.source_file

    where
        current_files.load_id is null
        or source._dlt_load_id = current_files.load_id

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

    from current_rows

)

select * from renamed
