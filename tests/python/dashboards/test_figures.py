"""The pure figure functions: numbers for humans, valid Plotly figures, safe CSV."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import pytest

from dashboards import figures, run_figures

DAYS = [date(2025, 3, 1), date(2025, 3, 2)]
# Mondays: the weeks of 6 to 27 January 2025
WEEKS = [
    {"period_start": date(2025, 1, day), "order_count": 10, "net_revenue_eur": Decimal(100)}
    for day in (6, 13, 20, 27)
]
PRODUCTS = [
    {"product_name": "Recycled Rain Jacket - Sky Blue", "net_revenue_eur": Decimal(900)},
    {"product_name": "Linen Hoodie - Navy", "net_revenue_eur": Decimal(500)},
]
DAILY = [
    {"revenue_date": day, "order_count": 3, "net_revenue_eur": Decimal("10.5")} for day in DAYS
]
TARGETS = [
    {
        "target_month": date(2025, 3, 1),
        "target_net_revenue_eur": Decimal(100),
        "actual_net_revenue_eur": Decimal(90),
    }
]
RETENTION = [
    {"cohort_month": cohort, "months_since_first_order": months, "retention_rate": rate}
    for cohort, months, rate in (
        (date(2025, 1, 1), 0, Decimal(1)),
        (date(2025, 1, 1), 1, Decimal("0.3")),
        (date(2025, 2, 1), 0, Decimal(1)),
    )
]
LIFETIME_VALUE = [
    {
        "cohort_month": date(2025, 1, 1),
        "customer_count": 4,
        "average_lifetime_revenue_eur": Decimal("55.5"),
    }
]
ONE_RUN = [
    {
        "started_at": datetime(2025, 12, 7, 19, 8, 52, 312000, tzinfo=UTC),
        "tests_passed": 196,
        "tests_failed": 0,
        "rows_rejected": 0,
        "build_duration_s": Decimal("7.9"),
    }
]


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
    """One figure of each kind the dashboard draws, from the rows above."""
    return {
        "revenue_and_orders": figures.revenue_and_orders(DAILY),
        "revenue_against_target": figures.revenue_against_target(TARGETS),
        "ranked_bars": figures.ranked_bars(
            [{"channel": "email", "roas": Decimal("3.5")}],
            "channel",
            "roas",
            value_format="multiple",
            labels=figures.CHANNEL_LABELS,
        ),
        "retention_heatmap": figures.retention_heatmap(RETENTION),
        "stacked_periods": figures.stacked_periods(
            [{"period_start": DAYS[0], "first_orders": 2, "repeat_orders": 5}],
            {"first_orders": "First orders", "repeat_orders": "Repeat orders"},
        ),
        "spend_by_channel_over_time": figures.spend_by_channel_over_time(
            [{"period_start": DAYS[0], "channel": "email", "spend_eur": Decimal(5)}]
        ),
        "lifetime_value_by_cohort": figures.lifetime_value_by_cohort(LIFETIME_VALUE),
        "message": figures.message("No data"),
        "partial weeks": figures.mark_partial(
            figures.revenue_and_orders(WEEKS, x="period_start"),
            date(2025, 1, 10),
            date(2025, 1, 30),
            "week",
        ),
        "names above bars": figures.ranked_bars(PRODUCTS, "product_name", "net_revenue_eur"),
        "tests per run": run_figures.tests_over_time(ONE_RUN),
        "rejected rows per run": run_figures.runs_over_time(ONE_RUN, "rows_rejected", "rows"),
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


def test_weeks_and_months_reaching_past_the_dates_chosen_are_partial() -> None:
    mondays = [date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 27)]
    # 10 January is a Friday, 30 January a Thursday: the first and last weeks are cut
    assert figures.partial_periods(mondays, date(2025, 1, 10), date(2025, 1, 30), "week") == [
        True,
        False,
        True,
    ]
    assert figures.partial_periods(mondays, date(2025, 1, 6), date(2025, 2, 2), "week") == [
        False,
        False,
        False,
    ]
    months = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert figures.partial_periods(months, date(2024, 12, 1), date(2025, 2, 27), "month") == [
        False,
        False,
        True,
    ]
    assert (
        figures.partial_periods(mondays, date(2025, 1, 10), date(2025, 1, 30), "day") == [False] * 3
    )


def test_partial_periods_are_paler_and_said_so() -> None:
    figure = _figures()["partial weeks"]
    bars = figure["data"][0]
    assert bars["marker"]["opacity"] == [figures.PARTIAL_OPACITY, 1.0, 1.0, figures.PARTIAL_OPACITY]
    assert bars["customdata"][0] == " (part of the week only)"
    assert "%{customdata}" in bars["hovertemplate"]
    assert "partly inside the dates chosen" in figure["layout"]["xaxis"]["title"]["text"]
    whole = figures.mark_partial(
        figures.revenue_and_orders(WEEKS, x="period_start"),
        date(2025, 1, 6),
        date(2025, 2, 2),
        "week",
    )
    assert whole == figures.revenue_and_orders(WEEKS, x="period_start")


def test_long_names_go_above_their_bars_and_short_ones_beside() -> None:
    above = _figures()["names above bars"]
    assert above["layout"]["yaxis"]["showticklabels"] is False
    assert [note["text"] for note in above["layout"]["annotations"]] == [
        row["product_name"] for row in PRODUCTS
    ]
    assert above["data"][0]["y"] == [row["product_name"] for row in PRODUCTS]
    beside = _figures()["ranked_bars"]
    assert "annotations" not in beside["layout"]
    assert beside["data"][0]["y"] == ["Email"]


def test_categories_are_written_as_channels_are_while_the_data_keep_the_code() -> None:
    figure = figures.ranked_bars(
        [{"category": code, "net_revenue_eur": 5} for code in ("outerwear", "tops")],
        "category",
        "net_revenue_eur",
        display=figures.category_label,
    )
    assert figure["data"][0]["y"] == ["outerwear", "tops"]
    assert figure["layout"]["yaxis"]["ticktext"] == ["Outerwear", "Tops"]
    assert figure["data"][0]["customdata"] == ["Outerwear", "Tops"]
    assert figures.channel_label("paid_search") == "Paid search"
    assert figures.country_label("unknown") == "Unknown"
    assert figures.country_label("DE") == "DE"


def test_one_run_is_one_labelled_place_on_the_axis() -> None:
    for figure in (_figures()["tests per run"], _figures()["rejected rows per run"]):
        axis = figure["layout"]["xaxis"]
        assert axis["type"] == "category"
        assert figure["data"][0]["x"] == ["7 Dec 19:08"]
        # one run of the eight places the axis spans at least, in the middle
        assert axis["range"] == [-4.0, 4.0]
    two = run_figures.tests_over_time(ONE_RUN * 2)
    assert two["data"][0]["x"] == ["7 Dec 19:08", "7 Dec 19:08·"]


def _runs_a_minute_apart(count: int) -> list[dict[str, Any]]:
    first = ONE_RUN[0]["started_at"]
    return [
        {**ONE_RUN[0], "started_at": first + timedelta(minutes=minute)} for minute in range(count)
    ]


@pytest.mark.parametrize("count", [1, 2, 8, 9, 30, 200])
def test_many_runs_are_each_a_point_under_a_few_labels_far_apart(count: int) -> None:
    runs = _runs_a_minute_apart(count)
    for figure in (
        run_figures.tests_over_time(runs),
        run_figures.runs_over_time(runs, "build_duration_s", "seconds"),
    ):
        go.Figure(figure)
        started = figure["data"][0]["x"]
        # every run its own place, its full label in the hover
        assert len(started) == len(set(started)) == count
        assert "%{x}" in figure["data"][0]["hovertemplate"]
        axis = figure["layout"]["xaxis"]
        labelled = [started.index(value) for value in axis["tickvals"]]
        # the newest run labelled, at most three labels, a third of the axis or more apart
        assert labelled[-1] == count - 1
        assert 1 <= len(labelled) <= run_figures.RUN_LABELS == 3
        places = max(count, run_figures.RUN_SLOTS)
        assert all(b - a >= places / 3 for a, b in itertools.pairwise(labelled))
        # the day over the time: half the width of one line
        assert [text.replace("<br>", " ") for text in axis["ticktext"]] == axis["tickvals"]
        assert all("<br>" in text for text in axis["ticktext"])


def test_large_amounts_tick_in_thousands() -> None:
    assert figures.money_ticks([1200.0, None, 9999.0])["tickformat"] == ",.0f"
    assert figures.money_ticks([12_000.0, 300.0])["tickformat"] == "~s"
    assert figures.money_ticks([])["tickprefix"] == "€"
