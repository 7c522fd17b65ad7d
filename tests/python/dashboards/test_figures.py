"""The pure figure functions: numbers for humans, valid Plotly figures, safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import pytest

from dashboards import figures

DAYS = [date(2025, 3, 1), date(2025, 3, 2)]


def test_numbers_are_formatted_for_humans() -> None:
    assert figures.money(Decimal("1234567.49")) == "€1,234,567"
    assert figures.money(-12.6) == "-€13"
    assert figures.money_cents(Decimal("18.054")) == "€18.05"
    assert figures.money_cents(1234.5) == "€1,234.50"
    assert figures.count(Decimal("12345")) == "12,345"
    assert figures.percent(Decimal("0.9523")) == "95.2%"
    assert figures.multiple(3.21) == "3.2x"
    assert figures.day(date(2025, 3, 1)) == "1 Mar 2025"
    for format_ in (figures.money, figures.money_cents, figures.count, figures.percent):
        assert format_(None) == "–"


def test_a_change_is_stated_against_the_previous_period() -> None:
    assert figures.change(110, 100) == ("▲ 10.0%", "up")
    assert figures.change(Decimal(90), Decimal(100)) == ("▼ 10.0%", "down")
    assert figures.change(100, 100) == ("± 0.0%", "flat")
    assert figures.change(100, 0) == ("no previous period to compare", "flat")


def _figures() -> dict[str, dict[str, Any]]:
    daily = [
        {"revenue_date": day, "order_count": 3, "net_revenue_eur": Decimal("10.5")} for day in DAYS
    ]
    return {
        "revenue_and_orders": figures.revenue_and_orders(daily),
        "revenue_against_target": figures.revenue_against_target(
            [
                {
                    "target_month": date(2025, 3, 1),
                    "target_net_revenue_eur": Decimal(100),
                    "actual_net_revenue_eur": Decimal(90),
                }
            ]
        ),
        "ranked_bars": figures.ranked_bars(
            [{"channel": "email", "roas": Decimal("3.5")}],
            "channel",
            "roas",
            value_format="multiple",
            labels=figures.CHANNEL_LABELS,
        ),
        "retention_heatmap": figures.retention_heatmap(
            [
                {
                    "cohort_month": date(2025, 1, 1),
                    "months_since_first_order": 0,
                    "retention_rate": Decimal(1),
                },
                {
                    "cohort_month": date(2025, 1, 1),
                    "months_since_first_order": 1,
                    "retention_rate": Decimal("0.3"),
                },
                {
                    "cohort_month": date(2025, 2, 1),
                    "months_since_first_order": 0,
                    "retention_rate": Decimal(1),
                },
            ]
        ),
        "stacked_periods": figures.stacked_periods(
            [{"period_start": DAYS[0], "first_orders": 2, "repeat_orders": 5}],
            {"first_orders": "First orders", "repeat_orders": "Repeat orders"},
        ),
        "spend_by_channel_over_time": figures.spend_by_channel_over_time(
            [{"period_start": DAYS[0], "channel": "email", "spend_eur": Decimal(5)}]
        ),
        "lifetime_value_by_cohort": figures.lifetime_value_by_cohort(
            [
                {
                    "cohort_month": date(2025, 1, 1),
                    "customer_count": 4,
                    "average_lifetime_revenue_eur": Decimal("55.5"),
                }
            ]
        ),
        "message": figures.message("No data"),
    }


@pytest.mark.parametrize("name", sorted(_figures()))
def test_every_figure_is_valid_plotly(name: str) -> None:
    # graph objects validate every property name and value against Plotly's schema
    go.Figure(_figures()[name])


def test_an_invalid_figure_fails_the_plotly_check() -> None:
    broken = figures.message("x")
    broken["layout"]["xaxis"]["tickprefx"] = "€"
    with pytest.raises(ValueError, match="tickprefx"):
        go.Figure(broken)


def test_the_heatmap_leaves_months_a_cohort_has_not_reached_empty() -> None:
    heatmap = _figures()["retention_heatmap"]["data"][0]
    assert heatmap["y"] == ["Jan 2025", "Feb 2025"]
    assert heatmap["x"] == [0, 1]
    assert heatmap["z"] == [[1.0, 0.3], [1.0, None]]
    assert heatmap["text"] == [["100%", "30%"], ["100%", "–"]]


def test_csv_has_a_header_iso_dates_and_defused_formulas() -> None:
    rows = [
        {"day": date(2025, 3, 1), "name": '=HYPERLINK("x")', "amount": Decimal("1.50")},
        {"day": date(2025, 3, 2), "name": "Coat, long", "amount": None},
    ]
    parsed = list(csv.reader(io.StringIO(figures.to_csv(rows))))
    assert parsed == [
        ["day", "name", "amount"],
        ["2025-03-01", '\'=HYPERLINK("x")', "1.50"],
        ["2025-03-02", "Coat, long", ""],
    ]
    assert figures.to_csv([], ["a", "b"]) == "a,b\n"
