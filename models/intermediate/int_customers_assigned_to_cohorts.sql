{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['customer_id']}, {'columns': ['first_ordered_at']}],
    )
}}

{%- set changed_since = lookback_start('first_ordered_at') %}
{%- set changed_customers -%}
    select changed_orders.customer_id
    from orders as changed_orders
    where changed_orders.updated_at >= {{ changed_since }}
{%- endset %}

with

{# not materialized: each use filters the view itself, reading only the raw rows it needs #}
orders as not materialized (

    select * from {{ ref('stg_shop__orders') }}

),

{# An incremental build assigns again the customers with an order changed since the newest
   first order already assigned, less the lookback window (new customers among them), from
   all their orders; the others' orders did not change, so neither did their first. #}
orders_in_scope as (

    select * from orders
    {% if is_incremental() %}
        where {{ any_of_keys('customer_id', changed_customers) }}
    {% endif %}

),

{# a customer's first order decides the cohort, whatever became of it later, so a cohort
   never changes once assigned; ties on the same instant go to the lower order id #}
orders_ranked as (

    select
        customer_id,
        order_id,
        ordered_at,
        channel,
        row_number() over (
            partition by customer_id
            order by ordered_at, order_id
        ) as customer_order_number

    from orders_in_scope

),

first_orders as (

    select
        customer_id,
        order_id as first_order_id,
        ordered_at as first_ordered_at,
        {{ month_start(utc_date('ordered_at')) }} as cohort_month,
        coalesce(channel, 'unknown') as first_channel

    from orders_ranked

    where customer_order_number = 1

)

select * from first_orders
