"""The marketing page: spend, reach and results per channel and week.

Countries do not apply: spend is not booked per country.
"""

from __future__ import annotations

from dashboards.cache import query
from dashboards.db import Row, bind
from dashboards.filters import Filters


def marketing_by_channel(filters: Filters) -> list[Row]:
    """Spend, reach and results per channel; CAC and ROAS over the whole period."""
    return query(
        """
        select
            channel,
            sum(spend_eur) as spend_eur,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(sessions) as sessions,
            sum(attributed_orders) as attributed_orders,
            sum(new_customers) as new_customers,
            sum(attributed_revenue_eur) as attributed_revenue_eur,
            sum(spend_eur) / nullif(sum(new_customers), 0) as cac_eur,
            sum(attributed_revenue_eur) / nullif(sum(spend_eur), 0) as roas
        from {marts}.rpt_marketing_daily
        where spend_date between %(start)s and %(end)s
            and (%(all_channels)s or channel = any(%(channels)s::text[]))
        group by channel
        order by spend_eur desc, channel
        """,
        bind(filters),
    )


def marketing_over_time(filters: Filters) -> list[Row]:
    """Spend per week and channel."""
    return query(
        """
        select
            cast(date_trunc('week', spend_date) as date) as period_start,
            channel,
            sum(spend_eur) as spend_eur,
            sum(attributed_revenue_eur) as attributed_revenue_eur
        from {marts}.rpt_marketing_daily
        where spend_date between %(start)s and %(end)s
            and (%(all_channels)s or channel = any(%(channels)s::text[]))
        group by 1, 2
        order by 1, 2
        """,
        bind(filters),
    )
