{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_rebuilt_cohorts() }}",
        on_schema_change='fail',
    )
}}

{#- An incremental build rebuilds every cohort's months from that of the oldest order changed
    since the newest change already counted, less the lookback window, and every month of the
    older cohorts whose customers changed since (moves, late records); the pre-hook deletes
    those rows first (see `cohorts_to_rebuild`). The rest of the table stays as it was. -#}
{%- set rebuild = cohorts_to_rebuild(lookback_start('updated_at')) %}

with

cohorts as (

    select * from {{ ref('int_customers_assigned_to_cohorts') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

{# not materialized: an incremental build reads it twice, by month and by customer, each by
   an index #}
orders as not materialized (

    select * from {{ ref('fct_orders') }}

),

customer_cohorts as (

    select
        cohorts.customer_id,
        cohorts.cohort_month,
        coalesce(customers.country_code, 'unknown') as country_code,
        cohorts.first_channel

    from cohorts

    left join customers
        on cohorts.customer_id = customers.customer_id

),

{# the orders a rebuild counts: those of the months it rebuilds for every cohort, and the
   older ones of the customers of the cohorts it rebuilds whole #}
orders_in_scope as (

    select * from orders
    {% if is_incremental() %}
        where order_date >= {{ rebuild.from_month }}

        union all

        select * from orders
        where
            coalesce(order_date < {{ rebuild.from_month }}, true)
            and customer_id in (
                select customer_cohorts.customer_id
                from customer_cohorts
                where
                    (
                        customer_cohorts.cohort_month,
                        customer_cohorts.country_code,
                        customer_cohorts.first_channel
                    ) in {{ rebuild.cohorts }}
            )
    {% endif %}

),

months as (

    {{ month_spine(
        "(select min(cohort_month) from " ~ ref('int_customers_assigned_to_cohorts') ~ ")",
        "(select max(order_date) from " ~ ref('fct_orders') ~ ")"
    ) }}

),

cohort_sizes as (

    select
        cohort_month,
        country_code,
        first_channel,
        count(*) as cohort_size

    from customer_cohorts

    group by 1, 2, 3

),

{# a customer is active in a month when they placed an order in it, whatever its status #}
customer_months as (

    select
        customer_id,
        {{ month_start('order_date') }} as activity_month,
        sum(net_revenue_eur) as net_revenue_eur,
        max(updated_at) as updated_at

    from orders_in_scope

    group by 1, 2

),

activity_per_cohort as (

    select
        customer_cohorts.cohort_month,
        customer_cohorts.country_code,
        customer_cohorts.first_channel,
        customer_months.activity_month,
        count(*) as active_customers,
        sum(customer_months.net_revenue_eur) as net_revenue_eur,
        max(customer_months.updated_at) as updated_at

    from customer_months

    inner join customer_cohorts
        on customer_months.customer_id = customer_cohorts.customer_id

    group by 1, 2, 3, 4

),

{# every cohort gets a row for each month since its first, active customers or not #}
cohort_months as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.country_code,
        cohort_sizes.first_channel,
        cohort_sizes.cohort_size,
        months.month_start as activity_month

    from cohort_sizes

    inner join months
        on cohort_sizes.cohort_month <= months.month_start

    where {{ in_rebuilt_cohorts(
        rebuild,
        'months.month_start',
        'cohort_sizes.cohort_month, cohort_sizes.country_code, cohort_sizes.first_channel'
    ) }}

),

final as (

    select
        cohort_months.cohort_month
        || '-' || {{ months_between('cohort_months.cohort_month', 'cohort_months.activity_month') }}
        || '-' || cohort_months.country_code
        || '-' || cohort_months.first_channel as customer_cohort_id,
        cohort_months.cohort_month,
        {{ months_between('cohort_months.cohort_month', 'cohort_months.activity_month') }}
            as months_since_first_order,
        cohort_months.country_code,
        cohort_months.first_channel,
        cast(cohort_months.cohort_size as integer) as cohort_size,
        cast(coalesce(activity_per_cohort.active_customers, 0) as integer) as active_customers,
        cast(
            coalesce(activity_per_cohort.active_customers, 0) * 1.0 / cohort_months.cohort_size
            as numeric(7, 4)
        ) as retention_rate,
        cast(coalesce(activity_per_cohort.net_revenue_eur, 0) as numeric(14, 2))
            as net_revenue_eur,
        activity_per_cohort.updated_at

    from cohort_months

    left join activity_per_cohort
        on
            cohort_months.cohort_month = activity_per_cohort.cohort_month
            and cohort_months.country_code = activity_per_cohort.country_code
            and cohort_months.first_channel = activity_per_cohort.first_channel
            and cohort_months.activity_month = activity_per_cohort.activity_month

)

select * from final
