"""Overview: headline KPIs against the previous period and the monthly targets."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards import figures
from dashboards.components import change_note
from dashboards.filters import Filters
from dashboards.queries import overview, shell
from dashboards.views import Chart, Kpi, NoData, Page

dash.register_page(
    __name__, path="/", name="Overview", title="Overview – Northwind Threads", order=0
)


def build(filters: Filters) -> dict[str, Any]:
    days = overview.revenue_by_day(filters)
    if not days:
        raise NoData("No orders for these filters")
    available = shell.available_dates()
    totals = overview.revenue_totals(filters)
    targets = overview.targets_by_month(filters)
    current, previous = totals["current"], totals["previous"]
    aov = figures.ratio(current["net_revenue_eur"], current["kept_order_count"])
    previous_aov = figures.ratio(previous["net_revenue_eur"], previous["kept_order_count"])
    length = filters.period.days
    if available is None or filters.previous().start < available.start:
        # the data does not reach back over the whole previous period: no fair comparison
        previous = {key: None for key in previous}
        previous_aov = None
    attainment, target_note = _against_target(targets)
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
        "figures": [
            figures.revenue_and_orders(days),
            figures.mark_partial(
                figures.revenue_against_target(targets),
                filters.start,
                filters.end,
                "month",
            )
            if targets
            else figures.message("No targets set for these months"),
        ],
    }


def _against_target(targets: list[dict[str, Any]]) -> tuple[float | None, str]:
    """Revenue against target over the months with an actual so far (a month still to come
    has a target and no actual), and the line that says of which months."""
    reached = [row for row in targets if row["actual_net_revenue_eur"] is not None]
    actual = sum(float(row["actual_net_revenue_eur"]) for row in reached)
    target = sum(float(row["target_net_revenue_eur"] or 0) for row in reached)
    if not reached:
        return figures.ratio(actual, target), "no targets set for these months"
    months = figures.month(reached[0]["target_month"])
    if len(reached) > 1:
        months += f" – {figures.month(reached[-1]['target_month'])}"
    note = f"{figures.money(actual)} of {figures.money(target)}, {months}"
    return figures.ratio(actual, target), note


PAGE = Page(
    "overview",
    build,
    kpis=(
        Kpi("revenue", "Net revenue"),
        Kpi("orders", "Orders"),
        Kpi("aov", "Average order value"),
        Kpi("new-customers", "New customers"),
        Kpi("target", "Revenue against target"),
    ),
    charts=(
        Chart(
            "revenue",
            "Net revenue and orders per day",
            rows=lambda filters: ("revenue_by_day", overview.revenue_by_day(filters)),
            wide=True,
        ),
        Chart(
            "target",
            "Net revenue against target per month",
            rows=lambda filters: ("revenue_against_target", overview.targets_by_month(filters)),
            note="Targets are set for the whole shop and whole months: countries "
            "and channels do not apply.",
            wide=True,
        ),
    ),
).register()


def layout(**_query: str) -> html.Div:
    return PAGE.layout(
        "Overview",
        "Revenue, orders and customers for the chosen period, against the period of "
        "the same length before it and against the monthly targets.",
    )
