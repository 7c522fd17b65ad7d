"""Sales: revenue and orders by day, week or month, and by category, country and channel."""

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
    message_area,
    page_header,
)
from dashboards.filters import Filters, InvalidFilters, choose
from dashboards.views import NoData, page_outputs

dash.register_page(
    __name__, path="/sales", name="Sales", title="Sales – Northwind Threads", order=1
)

CHARTS = ("trend", "category", "country", "channel")


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
    return html.Div(
        [
            page_header(
                "Sales",
                "Net revenue is the value of orders not cancelled, less refunds, in euros at "
                "the ECB rate of the order day.",
            ),
            message_area("sales"),
            html.Div(
                [
                    chart_card(
                        "Net revenue and orders over time",
                        "sales-trend-chart",
                        download_id="sales-trend-download",
                        controls=grain,
                        wide=True,
                    ),
                    chart_card(
                        "Net revenue by category",
                        "sales-category-chart",
                        download_id="sales-category-download",
                    ),
                    chart_card(
                        "Net revenue by country",
                        "sales-country-chart",
                        download_id="sales-country-download",
                    ),
                    chart_card(
                        "Net revenue by channel",
                        "sales-channel-chart",
                        download_id="sales-channel-download",
                    ),
                ],
                className="cards",
            ),
            dcc.Download(id="sales-download"),
        ]
    )


@callback(
    output={
        "figures": [Output(f"sales-{chart}-chart", "figure") for chart in CHARTS],
        "message": Output("sales-message", "children"),
        "hidden": Output("sales-message", "hidden"),
    },
    inputs={"stored": Input(FILTERS_STORE, "data"), "grain": Input("sales-grain", "value")},
)
def update(stored: Any, grain: Any) -> dict[str, Any]:
    return page_outputs(stored, build, blanks, [(grain, data.GRAINS, "period")])


def build(filters: Filters, trunc: str) -> dict[str, Any]:
    trend = data.sales_over_time(filters, trunc)
    if not trend:
        raise NoData("No orders for these filters")
    by_category = data.sales_by_category(filters)
    by_country = data.sales_by(filters, "country")
    by_channel = data.sales_by(filters, "channel")
    return {
        "figures": [
            figures.revenue_and_orders(trend, x="period_start"),
            figures.ranked_bars(by_category, "category", "net_revenue_eur")
            if by_category
            else figures.message("No product sales for these filters"),
            figures.ranked_bars(by_country, "country_code", "net_revenue_eur"),
            figures.ranked_bars(
                by_channel, "channel", "net_revenue_eur", labels=figures.CHANNEL_LABELS
            ),
        ]
    }


def blanks(text: str) -> dict[str, Any]:
    return {"figures": [figures.message(text) for _ in CHARTS]}


@callback(
    Output("sales-download", "data"),
    *[Input(f"sales-{chart}-download", "n_clicks") for chart in CHARTS],
    State(FILTERS_STORE, "data"),
    State("sales-grain", "value"),
    prevent_initial_call=True,
)
def download(*args: Any) -> dict[str, Any]:
    stored, grain = args[-2:]
    try:
        filters = Filters.from_store(stored)
        chart = str(dash.ctx.triggered_id).removeprefix("sales-").removesuffix("-download")
        if chart == "trend":
            trunc = choose(grain, data.GRAINS, "period")
            rows = data.sales_over_time(filters, trunc)
            return csv_download(f"sales_by_{trunc}", filters, rows)
        if chart == "category":
            return csv_download("sales_by_category", filters, data.sales_by_category(filters))
        if chart in data.BREAKDOWNS:
            return csv_download(f"sales_by_{chart}", filters, data.sales_by(filters, chart))
    except (InvalidFilters, data.DataUnavailable):
        pass
    raise PreventUpdate
