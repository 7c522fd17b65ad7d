{# No order is refunded more than was paid for it. Returns the offending orders.
   A build that is not a full refresh checks the orders with a payment or refund changed in
   the test window (only a changed payment can break it), listed as literals read when the
   test runs: a filter on the orders reaches inside the aggregating model, a join would not. #}
{%- set since = test_window_start('fct_payments') %}
{%- set changed_query %}
    select distinct order_id
    from {{ ref('stg_shop__payments') }}
    where {{ in_test_window('updated_at', since) }}
    order by order_id
{%- endset %}
{%- set changed_orders = run_query(changed_query).columns[0].values()
    if execute and since is not none else none %}
{%- set of_changed_orders = 'true' if changed_orders is none
    else 'order_id in (' ~ (changed_orders | join(', ') if changed_orders else 'null') ~ ')' %}

with

payments_per_order as (

    select * from {{ ref('int_payments_aggregated_to_orders') }}

),

refunded_beyond_payments as (

    select
        order_id,
        paid_amount,
        refunded_amount

    from payments_per_order

    where
        refunded_amount > paid_amount
        and {{ of_changed_orders }}

)

select * from refunded_beyond_payments
