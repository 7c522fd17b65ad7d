"""The overview page over HTTP: served, and its callback answers with numbers from the marts."""

from __future__ import annotations

from typing import Any

import requests
from support import Warehouse

from dashboards import figures

OUTPUTS = [
    ("overview-kpi-revenue", "children"),
    ("overview-kpi-orders", "children"),
    ("overview-kpi-aov", "children"),
    ("overview-kpi-new-customers", "children"),
    ("overview-revenue-chart", "figure"),
    ("overview-message", "children"),
    ("overview-message", "hidden"),
]


def call_overview(url: str, start: Any, end: Any) -> requests.Response:
    """POST straight to Dash's callback endpoint, as the browser does."""
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in OUTPUTS],
        "inputs": [
            {"id": "overview-date-range", "property": "start_date", "value": start},
            {"id": "overview-date-range", "property": "end_date", "value": end},
        ],
        "changedPropIds": ["overview-date-range.start_date"],
        "state": [],
    }
    return requests.post(f"{url}/_dash-update-component", json=body, timeout=10)


def test_page_is_served(dashboard_url: str) -> None:
    response = requests.get(dashboard_url, timeout=10)
    assert response.status_code == 200
    assert "Northwind Threads" in response.text


def test_kpis_and_chart_come_from_the_marts(dashboard_url: str, built_warehouse: Warehouse) -> None:
    w = built_warehouse
    start, end = "2025-01-10", "2025-02-10"
    expected_revenue = w.scalar(
        "select sum(net_revenue_eur) from marts.rpt_revenue_daily"
        " where revenue_date between %s and %s",
        (start, end),
    )
    expected_orders = w.scalar(
        "select count(*) from marts.fct_orders where order_date between %s and %s", (start, end)
    )
    response = call_overview(dashboard_url, start, end)
    assert response.status_code == 200
    outputs = response.json()["response"]
    assert outputs["overview-kpi-revenue"]["children"] == figures.money(expected_revenue)
    assert outputs["overview-kpi-orders"]["children"] == figures.count(expected_orders)
    chart = outputs["overview-revenue-chart"]["figure"]
    bars = chart["data"][0]
    assert len(bars["x"]) == 32  # one bar per day of the range
    assert abs(sum(bars["y"]) - float(expected_revenue)) < 0.01


def test_a_range_without_orders_says_so(dashboard_url: str) -> None:
    outputs = call_overview(dashboard_url, "1990-01-01", "1990-01-31").json()["response"]
    assert outputs["overview-kpi-revenue"]["children"] == "–"
    annotation = outputs["overview-revenue-chart"]["figure"]["layout"]["annotations"][0]
    assert annotation["text"] == "No orders in this date range"


def test_a_malformed_date_is_answered_cleanly(dashboard_url: str) -> None:
    response = call_overview(dashboard_url, "2025-01-01'; drop table marts.fct_orders; --", None)
    assert response.status_code == 200
    annotation = response.json()["response"]["overview-revenue-chart"]["figure"]["layout"]
    assert annotation["annotations"][0]["text"] == "Choose a valid date range"
