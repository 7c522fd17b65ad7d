"""Customers: cohort retention, first against repeat orders, and lifetime value."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards import figures
from dashboards.filters import Filters
from dashboards.queries import customers
from dashboards.views import Chart, Kpi, NoData, Page

dash.register_page(
    __name__, path="/customers", name="Customers", title="Customers – Northwind Threads", order=2
)


def build(filters: Filters) -> dict[str, Any]:
    retention = customers.cohort_retention(filters)
    orders = customers.new_and_returning(filters, "week")
    ltv = customers.lifetime_value(filters)
    if not (retention or orders or ltv):
        raise NoData("No customers for these filters")
    total = sum(int(row["customer_count"] or 0) for row in ltv)
    # only cohorts that have reached their second month can have come back in it
    reached = sum(int(row["reached_second_month"] or 0) for row in ltv)
    came_back = sum(int(row["active_second_month"] or 0) for row in ltv)
    revenue = sum(float(row["lifetime_revenue_eur"] or 0) for row in ltv)
    return {
        "values": [
            figures.count(total),
            figures.percent(figures.ratio(came_back, reached)),
            figures.money_cents(figures.ratio(revenue, total)),
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
            figures.mark_partial(
                figures.stacked_periods(
                    orders, {"first_orders": "First orders", "repeat_orders": "Repeat orders"}
                ),
                filters.start,
                filters.end,
                "week",
            )
            if orders
            else figures.message("No orders for these filters"),
            figures.lifetime_value_by_cohort(ltv)
            if ltv
            else figures.message("No new customers for these filters"),
        ],
    }


PAGE = Page(
    "customers",
    build,
    kpis=(
        Kpi("customers", "Customers in these cohorts"),
        Kpi("returning", "Ordered in their second month"),
        Kpi("ltv", "Average lifetime revenue"),
    ),
    charts=(
        Chart(
            "retention",
            "Retention by first-order month",
            rows=lambda filters: ("cohort_retention", customers.cohort_retention(filters)),
            note="Share of each month's new customers who ordered again N months "
            "later. Channels select customers by the channel of their first order.",
            wide=True,
        ),
        Chart(
            "orders",
            "First orders and repeat orders per week",
            rows=lambda filters: (
                "first_and_repeat_orders",
                customers.new_and_returning(filters, "week"),
            ),
        ),
        Chart(
            "ltv",
            "Average lifetime revenue by first-order month",
            rows=lambda filters: ("lifetime_value", customers.lifetime_value(filters)),
            note="Net revenue per customer to date.",
        ),
    ),
).register()


def layout(**_query: str) -> html.Div:
    return PAGE.layout(
        "Customers",
        "Customers are grouped by the month of their first order: how many come back, "
        "and what they are worth over their lifetime so far.",
    )
