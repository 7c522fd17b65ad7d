"""Marketing: spend, customer acquisition cost (CAC) and return on ad spend (ROAS) per channel."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards import figures
from dashboards.filters import Filters
from dashboards.queries import marketing
from dashboards.views import Chart, Kpi, NoData, Page

dash.register_page(
    __name__, path="/marketing", name="Marketing", title="Marketing – Northwind Threads", order=3
)


def build(filters: Filters) -> dict[str, Any]:
    channels = marketing.marketing_by_channel(filters)
    if not channels:
        raise NoData("No marketing data for these filters")
    weekly = marketing.marketing_over_time(filters)
    spend = sum(float(row["spend_eur"] or 0) for row in channels)
    revenue = sum(float(row["attributed_revenue_eur"] or 0) for row in channels)
    new_customers = sum(int(row["new_customers"] or 0) for row in channels)
    paid = [row for row in channels if row["spend_eur"]]
    return {
        "values": [
            figures.money(spend),
            figures.money(revenue),
            figures.money_cents(figures.ratio(spend, new_customers)),
            figures.multiple(figures.ratio(revenue, spend)),
        ],
        "figures": [
            figures.mark_partial(
                figures.spend_by_channel_over_time(weekly),
                filters.start,
                filters.end,
                "week",
            ),
            figures.ranked_bars(
                sorted(paid, key=lambda row: row["cac_eur"] or 0),
                "channel",
                "cac_eur",
                value_format="money_cents",
                color=figures.ACCENT,
                labels=figures.CHANNEL_LABELS,
            )
            if paid
            else figures.message("No spend for these filters"),
            figures.ranked_bars(
                sorted(paid, key=lambda row: row["roas"] or 0, reverse=True),
                "channel",
                "roas",
                value_format="multiple",
                labels=figures.CHANNEL_LABELS,
            )
            if paid
            else figures.message("No spend for these filters"),
        ],
    }


def by_channel(filters: Filters) -> tuple[str, list[dict[str, Any]]]:
    return "marketing_by_channel", marketing.marketing_by_channel(filters)


PAGE = Page(
    "marketing",
    build,
    kpis=(
        Kpi("spend", "Marketing spend"),
        Kpi("revenue", "Attributed revenue"),
        Kpi("cac", "Blended CAC"),
        Kpi("roas", "Blended ROAS"),
    ),
    kpi_notes=False,
    charts=(
        Chart(
            "spend",
            "Spend per week and channel",
            rows=lambda filters: (
                "marketing_spend_by_week",
                marketing.marketing_over_time(filters),
            ),
            wide=True,
        ),
        Chart(
            "cac",
            "Customer acquisition cost by channel",
            rows=by_channel,
            note="Channels without spend have no CAC.",
        ),
        Chart(
            "roas",
            "Return on ad spend by channel",
            rows=by_channel,
            note="Channels without spend have no ROAS.",
        ),
    ),
).register()


def layout(**_query: str) -> html.Div:
    return PAGE.layout(
        "Marketing",
        "What each channel costs and returns. CAC is spend per new customer; ROAS is "
        "attributed net revenue per euro spent. Spend is not booked per country, so "
        "the country filter does not apply here.",
    )
