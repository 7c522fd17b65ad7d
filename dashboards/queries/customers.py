"""The customers page: cohort retention, first against repeat orders, lifetime value."""

from __future__ import annotations

from dashboards.cache import query
from dashboards.db import Row, bind, checked_grain
from dashboards.filters import Filters

# The start of a query on the cohorts the period touches: `with cohorts as (…),`. A customer's
# channel here is the channel of the first order.
COHORTS = """
        with

        cohorts as (

            select *
            from {marts}.rpt_customer_cohorts
            where cohort_month between date_trunc('month', %(start)s::date) and %(end)s
                and (%(all_countries)s or country_code = any(%(countries)s::text[]))
                and (%(all_channels)s or first_channel = any(%(channels)s::text[]))

        ),
"""


def cohort_retention(filters: Filters) -> list[Row]:
    """Share of each monthly cohort active N months after its first order.

    Cohorts are the months the period touches; with countries or channels chosen, a cohort
    is the customers of those countries whose first order came through those channels.
    """
    return query(
        COHORTS
        + """

        cohort_sizes as (

            select
                cohort_month,
                sum(cohort_size) as cohort_size
            from cohorts
            where months_since_first_order = 0
            group by cohort_month

        ),

        active_per_month as (

            select
                cohort_month,
                months_since_first_order,
                sum(active_customers) as active_customers,
                sum(net_revenue_eur) as net_revenue_eur
            from cohorts
            group by cohort_month, months_since_first_order

        )

        select
            active_per_month.cohort_month,
            active_per_month.months_since_first_order,
            cohort_sizes.cohort_size,
            active_per_month.active_customers,
            cast(active_per_month.active_customers as numeric)
                / nullif(cohort_sizes.cohort_size, 0)
                as retention_rate,
            active_per_month.net_revenue_eur
        from active_per_month
        inner join cohort_sizes
            on active_per_month.cohort_month = cohort_sizes.cohort_month
        order by 1, 2
        """,
        bind(filters),
    )


def new_and_returning(filters: Filters, grain: str) -> list[Row]:
    """First orders and repeat orders per period."""
    return query(
        """
        select
            cast(date_trunc(%(grain)s, revenue_date) as date) as period_start,
            sum(new_customer_count) as first_orders,
            sum(order_count - new_customer_count) as repeat_orders
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by 1
        order by 1
        """,
        bind(filters, grain=checked_grain(grain)),
    )


def lifetime_value(filters: Filters) -> list[Row]:
    """Per cohort (the month of the first order): its customers, how many of those that have
    reached their second month ordered in it, and their revenue to date, in total and per
    customer. The same cohorts and segments as `cohort_retention`."""
    return query(
        COHORTS
        + """

        per_cohort as (

            select
                cohort_month,
                sum(cohort_size) filter (where months_since_first_order = 0) as customer_count,
                sum(cohort_size) filter (where months_since_first_order = 1)
                    as reached_second_month,
                sum(active_customers) filter (where months_since_first_order = 1)
                    as active_second_month,
                sum(net_revenue_eur) as lifetime_revenue_eur
            from cohorts
            group by cohort_month

        )

        select
            cohort_month,
            customer_count,
            reached_second_month,
            active_second_month,
            lifetime_revenue_eur,
            lifetime_revenue_eur / nullif(customer_count, 0) as average_lifetime_revenue_eur
        from per_cohort
        order by cohort_month
        """,
        bind(filters),
    )
