"""Overview: headline KPIs and revenue and orders over time, for a chosen date range."""

from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output, callback, dcc, html

from dashboards import data, figures

dash.register_page(__name__, path="/", name="Overview", title="Overview – Northwind Threads")


def kpi_card(label: str, value_id: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="kpi-label"), html.Div("–", id=value_id, className="kpi-value")],
        className="kpi",
    )


def layout(**_query: str) -> html.Div:
    try:
        dates = data.available_dates()
    except data.DataUnavailable as exc:
        return html.Div(str(exc).capitalize(), className="banner banner-error", id="overview-error")
    if dates is None:
        return html.Div(
            "No sales yet: the marts are empty. Run the pipeline (`make demo`) and reload.",
            className="banner banner-info",
            id="overview-empty",
        )
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Dates", className="filter-label"),
                    dcc.DatePickerRange(
                        id="overview-date-range",
                        min_date_allowed=dates.start,
                        max_date_allowed=dates.end,
                        start_date=dates.start,
                        end_date=dates.end,
                        display_format="D MMM YYYY",
                    ),
                    html.Span(
                        f"Data as of {dates.end:%d %b %Y}", className="badge", id="overview-as-of"
                    ),
                ],
                className="filters",
            ),
            html.Div(
                [
                    kpi_card("Net revenue", "overview-kpi-revenue"),
                    kpi_card("Orders", "overview-kpi-orders"),
                    kpi_card("Average order value", "overview-kpi-aov"),
                    kpi_card("New customers", "overview-kpi-new-customers"),
                ],
                className="kpis",
            ),
            html.Div(id="overview-message", className="banner banner-error", hidden=True),
            dcc.Graph(id="overview-revenue-chart", config={"displayModeBar": False}),
        ]
    )


@callback(
    Output("overview-kpi-revenue", "children"),
    Output("overview-kpi-orders", "children"),
    Output("overview-kpi-aov", "children"),
    Output("overview-kpi-new-customers", "children"),
    Output("overview-revenue-chart", "figure"),
    Output("overview-message", "children"),
    Output("overview-message", "hidden"),
    Input("overview-date-range", "start_date"),
    Input("overview-date-range", "end_date"),
)
def update(start_date: str | None, end_date: str | None) -> tuple:
    blank = ("–", "–", "–", "–")
    try:
        start = date.fromisoformat(str(start_date)[:10])
        end = date.fromisoformat(str(end_date)[:10])
    except ValueError:
        return (*blank, figures.empty_figure("Choose a valid date range"), "", True)
    try:
        totals = data.kpis(start, end)
        rows = data.revenue_by_day(start, end)
    except data.DataUnavailable as exc:
        return (*blank, figures.empty_figure("No data"), str(exc).capitalize(), False)
    if not rows:
        return (*blank, figures.empty_figure("No orders in this date range"), "", True)
    kept = totals["kept_order_count"] or 0
    aov = totals["net_revenue_eur"] / kept if kept else None
    return (
        figures.money(totals["net_revenue_eur"]),
        figures.count(totals["order_count"]),
        figures.money(aov),
        figures.count(totals["new_customer_count"]),
        figures.revenue_and_orders(rows),
        "",
        True,
    )
