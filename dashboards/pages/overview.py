"""Overview: headline KPIs against the previous period and against the monthly targets."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import data, figures
from dashboards.components import (
    FILTERS_STORE,
    change_note,
    chart_card,
    csv_download,
    kpi,
    message_area,
    page_header,
)
from dashboards.filters import Filters, InvalidFilters
from dashboards.views import NoData, page_outputs

dash.register_page(
    __name__, path="/", name="Overview", title="Overview – Northwind Threads", order=0
)

KPIS = ("revenue", "orders", "aov", "new-customers")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Overview",
                "Revenue, orders and customers for the chosen period, against the period of "
                "the same length before it and against the monthly targets.",
            ),
            message_area("overview"),
            html.Div(
                [
                    kpi("Net revenue", "overview-kpi-revenue"),
                    kpi("Orders", "overview-kpi-orders"),
                    kpi("Average order value", "overview-kpi-aov"),
                    kpi("New customers", "overview-kpi-new-customers"),
                    kpi("Revenue against target", "overview-kpi-target"),
                ],
                className="kpis",
            ),
            html.Div(
                [
                    chart_card(
                        "Net revenue and orders per day",
                        "overview-revenue-chart",
                        download_id="overview-revenue-download",
                        wide=True,
                    ),
                    chart_card(
                        "Net revenue against target per month",
                        "overview-target-chart",
                        download_id="overview-target-download",
                        note="Targets are set for the whole shop and whole months: countries "
                        "and channels do not apply.",
                        wide=True,
                    ),
                ],
                className="cards",
            ),
            dcc.Download(id="overview-download"),
        ]
    )


@callback(
    output={
        "values": [Output(f"overview-kpi-{name}", "children") for name in (*KPIS, "target")],
        "notes": [Output(f"overview-kpi-{name}-note", "children") for name in (*KPIS, "target")],
        "revenue": Output("overview-revenue-chart", "figure"),
        "target": Output("overview-target-chart", "figure"),
        "message": Output("overview-message", "children"),
        "hidden": Output("overview-message", "hidden"),
    },
    inputs={"stored": Input(FILTERS_STORE, "data")},
)
def update(stored: Any) -> dict[str, Any]:
    return page_outputs(stored, build, blanks)


def build(filters: Filters) -> dict[str, Any]:
    days = data.revenue_by_day(filters)
    if not days:
        raise NoData("No orders for these filters")
    available = data.available_dates()
    totals = data.revenue_totals(filters)
    targets = data.targets_by_month(filters)
    current, previous = totals["current"], totals["previous"]
    aov = figures.ratio(current["net_revenue_eur"], current["kept_order_count"])
    previous_aov = figures.ratio(previous["net_revenue_eur"], previous["kept_order_count"])
    length = filters.period.days
    if available is None or filters.previous().start < available.start:
        # the data does not reach back over the whole previous period: no fair comparison
        previous = {key: None for key in previous}
        previous_aov = None
    # months with an actual so far; a month still to come has a target and no actual
    reached = [row for row in targets if row["actual_net_revenue_eur"] is not None]
    actual = sum(float(row["actual_net_revenue_eur"]) for row in reached)
    target = sum(float(row["target_net_revenue_eur"] or 0) for row in reached)
    attainment = figures.ratio(actual, target)
    if reached:
        months = figures.month(reached[0]["target_month"])
        if len(reached) > 1:
            months += f" – {figures.month(reached[-1]['target_month'])}"
        target_note: Any = f"{figures.money(actual)} of {figures.money(target)}, {months}"
    else:
        target_note = "no targets set for these months"
    return {
        "values": [
            figures.money(current["net_revenue_eur"]),
            figures.count(current["order_count"]),
            figures.money_cents(aov),
            figures.count(current["new_customer_count"]),
            figures.percent(attainment),
        ],
        "notes": [
            change_note(current["net_revenue_eur"], previous["net_revenue_eur"], length),
            change_note(current["order_count"], previous["order_count"], length),
            change_note(aov, previous_aov, length),
            change_note(current["new_customer_count"], previous["new_customer_count"], length),
            target_note,
        ],
        "revenue": figures.revenue_and_orders(days),
        "target": figures.revenue_against_target(targets)
        if targets
        else figures.message("No targets set for these months"),
    }


def blanks(text: str) -> dict[str, Any]:
    """Blank cards, and charts that say why: bad filters, no data, or no warehouse."""
    return {
        "values": [figures.NO_VALUE] * (len(KPIS) + 1),
        "notes": [""] * (len(KPIS) + 1),
        "revenue": figures.message(text),
        "target": figures.message(text),
    }


@callback(
    Output("overview-download", "data"),
    Input("overview-revenue-download", "n_clicks"),
    Input("overview-target-download", "n_clicks"),
    State(FILTERS_STORE, "data"),
    prevent_initial_call=True,
)
def download(_revenue: Any, _target: Any, stored: Any) -> dict[str, Any]:
    try:
        filters = Filters.from_store(stored)
        if dash.ctx.triggered_id == "overview-target-download":
            return csv_download("revenue_against_target", filters, data.targets_by_month(filters))
        return csv_download("revenue_by_day", filters, data.revenue_by_day(filters))
    except (InvalidFilters, data.DataUnavailable):
        raise PreventUpdate from None
