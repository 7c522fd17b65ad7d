"""The overview page: revenue totals against the previous period, per day, and the targets."""

from __future__ import annotations

from dashboards.cache import query
from dashboards.db import Row, bind
from dashboards.filters import Filters


def revenue_totals(filters: Filters) -> dict[str, Row]:
    """Totals for the filters' period and for the period of the same length before it."""
    previous = filters.previous()
    rows = query(
        """
        select
            revenue_date >= %(start)s as is_current,
            coalesce(sum(net_revenue_eur), 0) as net_revenue_eur,
            coalesce(sum(order_count), 0) as order_count,
            coalesce(sum(order_count - cancelled_order_count), 0) as kept_order_count,
            coalesce(sum(new_customer_count), 0) as new_customer_count
        from {marts}.rpt_revenue_daily
        where revenue_date between %(previous_start)s and %(end)s
        {segment}
        group by 1
        """,
        bind(filters, previous_start=previous.start),
    )
    empty = {
        "net_revenue_eur": 0,
        "order_count": 0,
        "kept_order_count": 0,
        "new_customer_count": 0,
    }
    by_period = {row["is_current"]: row for row in rows}
    return {"current": by_period.get(True, empty), "previous": by_period.get(False, empty)}


def revenue_by_day(filters: Filters) -> list[Row]:
    return query(
        """
        select
            revenue_date,
            sum(order_count) as order_count,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by revenue_date
        order by revenue_date
        """,
        bind(filters),
    )


def targets_by_month(filters: Filters) -> list[Row]:
    """Monthly revenue targets for every month the period touches (whole shop)."""
    return query(
        """
        select
            target_month,
            target_net_revenue_eur,
            actual_net_revenue_eur,
            attainment
        from {marts}.rpt_targets_monthly
        where target_month between date_trunc('month', %(start)s::date) and %(end)s
        order by target_month
        """,
        bind(filters),
    )
