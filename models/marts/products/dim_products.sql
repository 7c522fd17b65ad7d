with

products as (

    select * from {{ ref('stg_shop__products') }}

),

reviews as (

    select * from {{ ref('stg_landing__product_reviews') }}

),

reviews_per_product as (

    select
        product_id,
        count(*) as review_count,
        avg(rating) as average_rating

    from reviews

    group by product_id

),

final as (

    select
        products.product_id,
        products.sku,
        products.product_name,
        products.category,
        cast(products.unit_price_eur as numeric(12, 2)) as unit_price_eur,
        products.is_active,
        cast(coalesce(reviews_per_product.review_count, 0) as integer) as review_count,
        cast(reviews_per_product.average_rating as numeric(3, 2)) as average_rating,
        products.created_at,
        products.updated_at

    from products

    left join reviews_per_product
        on products.product_id = reviews_per_product.product_id

)

select * from final
