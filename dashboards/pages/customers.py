"""Customers: cohort retention, first against repeat orders, and lifetime value."""

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
    __name__, path="/customers", name="Customers", title="Customers – Northwind Threads", order=2
)

CHARTS = ("retention", "orders", "ltv")
KPIS = ("customers", "returning", "ltv")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Customers",
                "Customers are grouped by the month of their first order: how many come back, "
                "and what they are worth over their lifetime so far.",
            ),
            message_area("customers"),
            html.Div(
                [
                    kpi("Customers in these cohorts", "customers-kpi-customers"),
                    kpi("Ordered in their second month", "customers-kpi-returning"),
                    kpi("Average lifetime revenue", "customers-kpi-ltv"),
                ],
                className="kpis",
            ),
            html.Div(
                [
                    chart_card(
                        "Retention by first-order month",
                        "customers-retention-chart",
                        download_id="customers-retention-download",
                        note="Share of each month's new customers who ordered again N months "
                        "later. Channels select customers by the channel of their first order.",
                        wide=True,
                    ),
                    chart_card(
                        "First orders and repeat orders per week",
                        "customers-orders-chart",
                        download_id="customers-orders-download",
                    ),
                    chart_card(
                        "Average lifetime revenue by first-order month",
                        "customers-ltv-chart",
                        download_id="customers-ltv-download",
                        note="Net revenue per customer to date.",
                    ),
                ],
                className="cards",
            ),
            dcc.Download(id="customers-download"),
        ]
    )


@callback(
    output={
        "values": [Output(f"customers-kpi-{name}", "children") for name in KPIS],
        "notes": [Output(f"customers-kpi-{name}-note", "children") for name in KPIS],
        "figures": [Output(f"customers-{chart}-chart", "figure") for chart in CHARTS],
        "message": Output("customers-message", "children"),
        "hidden": Output("customers-message", "hidden"),
    },
    inputs={"stored": Input(FILTERS_STORE, "data")},
)
def update(stored: Any) -> dict[str, Any]:
    return page_outputs(stored, build, blanks)


def build(filters: Filters) -> dict[str, Any]:
    retention = data.cohort_retention(filters)
    orders = data.new_and_returning(filters, "week")
    ltv = data.lifetime_value(filters)
    if not (retention or orders or ltv):
        raise NoData("No customers for these filters")
    customers = sum(int(row["customer_count"] or 0) for row in ltv)
    # only cohorts that have reached their second month can have come back in it
    reached = sum(int(row["reached_second_month"] or 0) for row in ltv)
    came_back = sum(int(row["active_second_month"] or 0) for row in ltv)
    revenue = sum(float(row["lifetime_revenue_eur"] or 0) for row in ltv)
    return {
        "values": [
            figures.count(customers),
            figures.percent(figures.ratio(came_back, reached)),
            figures.money_cents(figures.ratio(revenue, customers)),
        ],
        "notes": [
            "first order in the months the period touches",
            f"{figures.count(came_back)} of {figures.count(reached)} customers"
            if reached
            else "no cohort has reached its second month",
            "per customer, all orders to date",
        ],
        "figures": [
            figures.retention_heatmap(retention)
            if retention
            else figures.message("No cohorts for these filters"),
            figures.stacked_periods(
                orders, {"first_orders": "First orders", "repeat_orders": "Repeat orders"}
            )
            if orders
            else figures.message("No orders for these filters"),
            figures.lifetime_value_by_cohort(ltv)
            if ltv
            else figures.message("No new customers for these filters"),
        ],
    }


def blanks(text: str) -> dict[str, Any]:
    return {
        "values": [figures.NO_VALUE] * len(KPIS),
        "notes": [""] * len(KPIS),
        "figures": [figures.message(text) for _ in CHARTS],
    }


@callback(
    Output("customers-download", "data"),
    *[Input(f"customers-{chart}-download", "n_clicks") for chart in CHARTS],
    State(FILTERS_STORE, "data"),
    prevent_initial_call=True,
)
def download(*args: Any) -> dict[str, Any]:
    try:
        filters = Filters.from_store(args[-1])
        chart = dash.ctx.triggered_id
        if chart == "customers-retention-download":
            return csv_download("cohort_retention", filters, data.cohort_retention(filters))
        if chart == "customers-orders-download":
            rows = data.new_and_returning(filters, "week")
            return csv_download("first_and_repeat_orders", filters, rows)
        if chart == "customers-ltv-download":
            return csv_download("lifetime_value", filters, data.lifetime_value(filters))
    except (InvalidFilters, data.DataUnavailable):
        pass
    raise PreventUpdate
