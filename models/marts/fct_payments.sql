with

payments as (

    select * from {{ ref('int_payments_converted_to_eur') }}

),

final as (

    select
        payment_id,
        order_id,
        customer_id,
        payment_type,
        payment_method,
        currency,
        cast(amount as numeric(14, 2)) as amount,
        cast(amount_eur as numeric(14, 2)) as amount_eur,
        cast(
            case when payment_type = 'refund' then -amount_eur else amount_eur end
            as numeric(14, 2)
        ) as signed_amount_eur,
        payment_type = 'refund' as is_refund,
        {{ utc_date('created_at') }} as payment_date,
        created_at as paid_at,
        updated_at

    from payments

)

select * from final
