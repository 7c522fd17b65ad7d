with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

country_regions as (

    select * from {{ ref('country_regions') }}

),

cohorts as (

    select * from {{ ref('int_customers_assigned_to_cohorts') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

orders_per_customer as (

    select
        customer_id,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at,
        count(*) as order_count,
        sum(net_revenue_eur) as lifetime_revenue_eur

    from orders

    where not is_cancelled

    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.country_code,
        coalesce(country_regions.region, 'Other') as region,
        customers.created_at,
        cohorts.cohort_month,
        cohorts.first_channel,
        orders_per_customer.first_ordered_at,
        orders_per_customer.last_ordered_at,
        cast(coalesce(orders_per_customer.order_count, 0) as integer) as order_count,
        cast(coalesce(orders_per_customer.lifetime_revenue_eur, 0) as numeric(14, 2))
            as lifetime_revenue_eur,
        coalesce(orders_per_customer.order_count, 0) > 1 as is_returning,
        customers.updated_at

    from customers

    left join country_regions
        on customers.country_code = country_regions.country_code

    left join cohorts
        on customers.customer_id = cohorts.customer_id

    left join orders_per_customer
        on customers.customer_id = orders_per_customer.customer_id

)

select * from final
