-- No order is refunded more than was paid for it. Returns the offending orders.
select
    order_id,
    paid_amount,
    refunded_amount

from {{ ref('int_payments_aggregated_to_orders') }}

where refunded_amount > paid_amount
