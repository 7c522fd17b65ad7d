{# The current version of every customer and product in the snapshots is the record as
   staged now: no change was missed, no deleted record lingers as current. Returns the keys
   that differ. #}
with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

customer_versions as (

    select * from {{ ref('snp_shop__customers') }}
    where dbt_valid_to is null

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

product_versions as (

    select * from {{ ref('snp_shop__products') }}
    where dbt_valid_to is null

),

customers_differing as (

    select
        'customer' as entity,
        coalesce(customers.customer_id, customer_versions.customer_id) as entity_id

    from customers

    full outer join customer_versions
        on customers.customer_id = customer_versions.customer_id

    where
        customers.customer_id is null
        or customer_versions.customer_id is null
        or customers.updated_at <> customer_versions.updated_at
        or customers.email <> customer_versions.email
        or customers.country_code <> customer_versions.country_code

),

products_differing as (

    select
        'product' as entity,
        coalesce(products.product_id, product_versions.product_id) as entity_id

    from products

    full outer join product_versions
        on products.product_id = product_versions.product_id

    where
        products.product_id is null
        or product_versions.product_id is null
        or products.updated_at <> product_versions.updated_at
        or products.unit_price_eur <> product_versions.unit_price_eur
        or products.is_active <> product_versions.is_active

)

select * from customers_differing
union all
select * from products_differing
