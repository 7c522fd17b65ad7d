{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['updated_at']}],
    )
}}

{%- set changed_since = lookback_start('updated_at') %}

with

{# not materialized (here and below): each use filters the view itself, so it reads only the
   raw rows it needs instead of every row once (see any_of_keys) #}
staged_customers as not materialized (

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

staged_orders as not materialized (

    select * from {{ ref('stg_shop__orders') }}

),

payments as (

    select * from {{ ref('stg_shop__payments') }}

),

{# Late updates: the customers whose orders, payments or own record changed since the newest
   change already in the table, less the lookback window, are read again (as `fct_orders`
   rebuilds their orders). #}
changed_customers as (

    select staged_orders.customer_id
    from staged_orders
    where staged_orders.updated_at >= {{ changed_since }}

    union

    {# the orders looked up by key: a join would read every order to find a few #}
    select staged_orders.customer_id
    from staged_orders
    where {{ any_of_keys(
        'staged_orders.order_id',
        'select payments.order_id from payments'
        ~ ' where payments.updated_at >= ' ~ changed_since
    ) }}

    union

    select staged_customers.customer_id
    from staged_customers
    where staged_customers.updated_at >= {{ changed_since }}

),

customers as (

    select * from staged_customers
    {% if is_incremental() %}
        where {{ any_of_keys(
            'customer_id', 'select changed_customers.customer_id from changed_customers'
        ) }}
    {% endif %}

),

orders_per_customer as (

    select
        customer_id,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at,
        count(*) as order_count,
        sum(net_revenue_eur) as lifetime_revenue_eur

    from orders

    where
        not is_cancelled
        {% if is_incremental() %}
            and {{ any_of_keys('customer_id', 'select customers.customer_id from customers') }}
        {% endif %}

    group by customer_id

),

final as (

    select
        customers.customer_id,
        cast(customers.first_name as {{ dbt.type_string() }}) as first_name,
        cast(customers.last_name as {{ dbt.type_string() }}) as last_name,
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
