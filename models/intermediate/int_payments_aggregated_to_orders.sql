with

payments as (

    select * from {{ ref('stg_shop__payments') }}

),

aggregated as (

    select
        order_id,
        sum(case when payment_type = 'payment' then amount else 0 end) as paid_amount,
        sum(case when payment_type = 'refund' then amount else 0 end) as refunded_amount

    from payments

    group by order_id

)

select * from aggregated
