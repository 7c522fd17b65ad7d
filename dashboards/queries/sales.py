"""The sales page: orders and revenue over time, and by category, country and channel."""

from __future__ import annotations

from dashboards.cache import query
from dashboards.db import BREAKDOWNS, Row, bind, checked_grain
from dashboards.filters import Filters


def sales_over_time(filters: Filters, grain: str) -> list[Row]:
    """Orders and revenue per day, week or month (`grain` is a value of `db.GRAINS`)."""
    return query(
        """
        select
            cast(date_trunc(%(grain)s, revenue_date) as date) as period_start,
            sum(order_count) as order_count,
            sum(gross_revenue_eur) as gross_revenue_eur,
            sum(refunded_eur) as refunded_eur,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by 1
        order by 1
        """,
        bind(filters, grain=checked_grain(grain)),
    )


def sales_by(filters: Filters, breakdown: str) -> list[Row]:
    """Orders and revenue per country or channel (`breakdown` is a key of `BREAKDOWNS`)."""
    return query(
        """
        select
            {column},
            sum(order_count) as order_count,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by 1
        order by net_revenue_eur desc, 1
        """,
        bind(filters),
        column=BREAKDOWNS[breakdown],
    )


def sales_by_category(filters: Filters) -> list[Row]:
    return query(
        """
        select
            category,
            sum(units_sold) as units_sold,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_category_sales_daily
        where sales_date between %(start)s and %(end)s
        {segment}
        group by category
        order by net_revenue_eur desc, category
        """,
        bind(filters),
    )
