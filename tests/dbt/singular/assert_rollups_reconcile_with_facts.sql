-- The dashboard's rollups tell one story: product sales, marketing and cohorts add up to the
-- same revenue, orders, units, spend, sessions and new customers as the facts they come
-- from. Returns one row per figure that does not add up.
with

revenue as (

    select
        sum(net_revenue_eur) as net_revenue_eur,
        sum(order_count) as order_count,
        sum(item_count) as item_count,
        sum(new_customer_count) as new_customer_count

    from {{ ref('rpt_revenue_daily') }}

),

product_sales as (

    select
        sum(net_revenue_eur) as net_revenue_eur,
        sum(units_sold) as units_sold

    from {{ ref('rpt_product_sales_daily') }}

),

marketing as (

    select
        sum(spend_eur) as spend_eur,
        sum(sessions) as sessions,
        sum(attributed_orders) as attributed_orders,
        sum(new_customers) as new_customers,
        sum(attributed_revenue_eur) as attributed_revenue_eur

    from {{ ref('rpt_marketing_daily') }}

),

cohorts as (

    select sum(cohort_size) as customers

    from {{ ref('rpt_customer_cohorts') }}

    where months_since_first_order = 0

),

spend as (

    select sum(spend_eur) as spend_eur
    from {{ ref('fct_marketing_spend') }}

),

web_sessions as (

    select count(*) as sessions
    from {{ ref('fct_web_sessions') }}

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
        revenue.new_customer_count as expected,
        cohorts.customers as actual
    from revenue cross join cohorts

)

select * from figures
where coalesce(expected, 0) <> coalesce(actual, 0)
