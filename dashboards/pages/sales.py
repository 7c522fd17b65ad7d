"""Sales: revenue and orders by day, week or month, and by category, country and channel."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboards import figures
from dashboards.db import GRAINS
from dashboards.filters import Filters
from dashboards.queries import sales
from dashboards.views import Chart, NoData, Option, Page

dash.register_page(
    __name__, path="/sales", name="Sales", title="Sales – Northwind Threads", order=1
)


def build(filters: Filters, trunc: str) -> dict[str, Any]:
    trend = sales.sales_over_time(filters, trunc)
    if not trend:
        raise NoData("No orders for these filters")
    by_category = sales.sales_by_category(filters)
    by_country = sales.sales_by(filters, "country")
    by_channel = sales.sales_by(filters, "channel")
    return {
        "figures": [
            figures.mark_partial(
                figures.revenue_and_orders(trend, x="period_start"),
                filters.start,
                filters.end,
                trunc,
            ),
            figures.ranked_bars(
                by_category, "category", "net_revenue_eur", display=figures.category_label
            )
            if by_category
            else figures.message("No product sales for these filters"),
            figures.ranked_bars(by_country, "country_code", "net_revenue_eur"),
            figures.ranked_bars(
                by_channel, "channel", "net_revenue_eur", labels=figures.CHANNEL_LABELS
            ),
        ]
    }


def by_breakdown(breakdown: str) -> Chart:
    return Chart(
        breakdown,
        f"Net revenue by {breakdown}",
        rows=lambda filters, _trunc: (f"sales_by_{breakdown}", sales.sales_by(filters, breakdown)),
    )


PAGE = Page(
    "sales",
    build,
    options=(Option("sales-grain", GRAINS, "period"),),
    charts=(
        Chart(
            "trend",
            "Net revenue and orders over time",
            rows=lambda filters, trunc: (
                f"sales_by_{trunc}",
                sales.sales_over_time(filters, trunc),
            ),
            wide=True,
        ),
        Chart(
            "category",
            "Net revenue by category",
            rows=lambda filters, _trunc: ("sales_by_category", sales.sales_by_category(filters)),
        ),
        by_breakdown("country"),
        by_breakdown("channel"),
    ),
).register()


def layout(**_query: str) -> html.Div:
    grain = dcc.RadioItems(
        id="sales-grain",
        options=[
            {"label": "Day", "value": "day"},
            {"label": "Week", "value": "week"},
            {"label": "Month", "value": "month"},
        ],
        value="week",
        inline=True,
        className="segmented",
    )
    return PAGE.layout(
        "Sales",
        "Net revenue is the value of orders not cancelled, less refunds, in euros at "
        "the ECB rate of the order day.",
        controls={"trend": grain},
    )
