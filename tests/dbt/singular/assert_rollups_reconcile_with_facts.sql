{# The dashboard's rollups tell one story: product sales, marketing and cohorts add up to the
   same revenue, orders, units, spend, sessions and new customers as the facts they come
   from. Returns one row per figure that does not add up. A build that is not a full refresh
   compares the days of the test window (and the cohorts of their months). #}
{%- set days_since = test_window_start('fct_orders', 'order_date') %}
{%- set months_since = none if days_since is none
    else month_start('cast(' ~ days_since ~ ' as date)') %}

with

revenue as (

    select
        sum(net_revenue_eur) as net_revenue_eur,
        sum(order_count) as order_count,
        sum(item_count) as item_count,
        sum(new_customer_count) as new_customer_count

    from {{ ref('rpt_revenue_daily') }}

    where {{ in_test_window('revenue_date', days_since) }}

),

revenue_of_the_months as (

    select sum(new_customer_count) as new_customer_count

    from {{ ref('rpt_revenue_daily') }}

    where {{ in_test_window('revenue_date', months_since) }}

),

product_sales as (

    select
        sum(net_revenue_eur) as net_revenue_eur,
        sum(units_sold) as units_sold

    from {{ ref('rpt_product_sales_daily') }}

    where {{ in_test_window('sales_date', days_since) }}

),

marketing as (

    select
        sum(spend_eur) as spend_eur,
        sum(sessions) as sessions,
        sum(attributed_orders) as attributed_orders,
        sum(new_customers) as new_customers,
        sum(attributed_revenue_eur) as attributed_revenue_eur

    from {{ ref('rpt_marketing_daily') }}

    where {{ in_test_window('spend_date', days_since) }}

),

cohorts as (

    select sum(cohort_size) as customers

    from {{ ref('rpt_customer_cohorts') }}

    where
        months_since_first_order = 0
        and {{ in_test_window('cohort_month', months_since) }}

),

spend as (

    select sum(spend_eur) as spend_eur
    from {{ ref('fct_marketing_spend') }}
    where {{ in_test_window('spend_date', days_since) }}

),

web_sessions as (

    select count(*) as sessions
    from {{ ref('fct_web_sessions') }}
    where {{ in_test_window('session_date', days_since) }}

),

figures as (

    select
        'product sales net revenue' as figure,
        revenue.net_revenue_eur as expected,
        product_sales.net_revenue_eur as actual
    from revenue cross join product_sales

    union all

    select
        'product sales units' as figure,
        revenue.item_count as expected,
        product_sales.units_sold as actual
    from revenue cross join product_sales

    union all

    select
        'marketing attributed orders' as figure,
        revenue.order_count as expected,
        marketing.attributed_orders as actual
    from revenue cross join marketing

    union all

    select
        'marketing new customers' as figure,
        revenue.new_customer_count as expected,
        marketing.new_customers as actual
    from revenue cross join marketing

    union all

    select
        'marketing attributed revenue' as figure,
        revenue.net_revenue_eur as expected,
        marketing.attributed_revenue_eur as actual
    from revenue cross join marketing

    union all

    select
        'marketing spend' as figure,
        spend.spend_eur as expected,
        marketing.spend_eur as actual
    from spend cross join marketing

    union all

    select
        'marketing sessions' as figure,
        web_sessions.sessions as expected,
        marketing.sessions as actual
    from web_sessions cross join marketing

    union all

    select
        'cohort sizes' as figure,
        revenue_of_the_months.new_customer_count as expected,
        cohorts.customers as actual
    from revenue_of_the_months cross join cohorts

)

select * from figures
where coalesce(expected, 0) <> coalesce(actual, 0)
