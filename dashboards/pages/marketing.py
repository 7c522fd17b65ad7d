"""Marketing: spend, customer acquisition cost (CAC) and return on ad spend (ROAS) per channel."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import data, figures
from dashboards.components import (
    FILTERS_STORE,
    chart_card,
    csv_download,
    kpi,
    message_area,
    page_header,
)
from dashboards.filters import Filters, InvalidFilters
from dashboards.views import NoData, page_outputs

dash.register_page(
    __name__, path="/marketing", name="Marketing", title="Marketing – Northwind Threads", order=3
)

CHARTS = ("spend", "cac", "roas")
KPIS = ("spend", "revenue", "cac", "roas")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Marketing",
                "What each channel costs and returns. CAC is spend per new customer; ROAS is "
                "attributed net revenue per euro spent. Spend is not booked per country, so "
                "the country filter does not apply here.",
            ),
            message_area("marketing"),
            html.Div(
                [
                    kpi("Marketing spend", "marketing-kpi-spend"),
                    kpi("Attributed revenue", "marketing-kpi-revenue"),
                    kpi("Blended CAC", "marketing-kpi-cac"),
                    kpi("Blended ROAS", "marketing-kpi-roas"),
                ],
                className="kpis",
            ),
            html.Div(
                [
                    chart_card(
                        "Spend per week and channel",
                        "marketing-spend-chart",
                        download_id="marketing-spend-download",
                        wide=True,
                    ),
                    chart_card(
                        "Customer acquisition cost by channel",
                        "marketing-cac-chart",
                        download_id="marketing-cac-download",
                        note="Channels without spend have no CAC.",
                    ),
                    chart_card(
                        "Return on ad spend by channel",
                        "marketing-roas-chart",
                        download_id="marketing-roas-download",
                        note="Channels without spend have no ROAS.",
                    ),
                ],
                className="cards",
            ),
            dcc.Download(id="marketing-download"),
        ]
    )


@callback(
    output={
        "values": [Output(f"marketing-kpi-{name}", "children") for name in KPIS],
        "figures": [Output(f"marketing-{chart}-chart", "figure") for chart in CHARTS],
        "message": Output("marketing-message", "children"),
        "hidden": Output("marketing-message", "hidden"),
    },
    inputs={"stored": Input(FILTERS_STORE, "data")},
)
def update(stored: Any) -> dict[str, Any]:
    return page_outputs(stored, build, blanks)


def build(filters: Filters) -> dict[str, Any]:
    channels = data.marketing_by_channel(filters)
    if not channels:
        raise NoData("No marketing data for these filters")
    weekly = data.marketing_over_time(filters)
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
            figures.spend_by_channel_over_time(weekly),
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


def blanks(text: str) -> dict[str, Any]:
    return {
        "values": [figures.NO_VALUE] * len(KPIS),
        "figures": [figures.message(text) for _ in CHARTS],
    }


@callback(
    Output("marketing-download", "data"),
    *[Input(f"marketing-{chart}-download", "n_clicks") for chart in CHARTS],
    State(FILTERS_STORE, "data"),
    prevent_initial_call=True,
)
def download(*args: Any) -> dict[str, Any]:
    try:
        filters = Filters.from_store(args[-1])
        if dash.ctx.triggered_id == "marketing-spend-download":
            rows = data.marketing_over_time(filters)
            return csv_download("marketing_spend_by_week", filters, rows)
        if dash.ctx.triggered_id in ("marketing-cac-download", "marketing-roas-download"):
            rows = data.marketing_by_channel(filters)
            return csv_download("marketing_by_channel", filters, rows)
    except (InvalidFilters, data.DataUnavailable):
        pass
    raise PreventUpdate
