{{
    config(
        materialized='incremental',
        unique_key='payment_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['updated_at']}],
    )
}}

{%- set changed_since = lookback_start('updated_at') %}

with

payments_in_eur as (

    select * from {{ ref('int_payments_converted_to_eur') }}

),

{# Late updates: every payment or refund changed since the newest change already in the table,
   less the lookback window, is read again (a payment's amount in EUR comes from its order's
   day, which does not change). #}
payments as (

    select * from payments_in_eur
    {% if is_incremental() %}
        where updated_at >= {{ changed_since }}
    {% endif %}

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
