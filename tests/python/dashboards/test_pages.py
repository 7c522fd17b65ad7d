"""Every page's callbacks over HTTP, as the browser calls them: numbers from the marts.

Each expected value is computed here with SQL of its own against the marts, not with the
dashboard's queries, and sets of labels are compared both ways.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from support.dashboard import PAGE_OUTPUTS, Dashboard, store
from support.raw import stale_ecb
from support.warehouse import Warehouse

from dashboards import figures

START, END = "2025-01-10", "2025-02-20"
VIEW = store(START, END)
GERMANY = store(START, END, countries=["DE"])
NOWHERE = store("2010-01-01", "2010-01-31")
CENT = 0.005


def close(actual: list[float], expected: list[Any]) -> bool:
    return len(actual) == len(expected) and all(
        abs(float(a) - float(e)) < CENT for a, e in zip(actual, expected, strict=True)
    )


def annotation(figure: dict[str, Any]) -> str:
    return figure["layout"]["annotations"][0]["text"]


# -- overview ---------------------------------------------------------------------------------


def test_overview_kpis_and_daily_chart_come_from_the_marts(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    w = built_warehouse
    out = dashboard.call("overview-kpi-revenue.children", {"filters-store.data": VIEW})
    revenue = w.scalar(
        "select sum(net_revenue_eur) from marts.rpt_revenue_daily"
        " where revenue_date between %s and %s",
        (START, END),
    )
    orders = w.scalar(
        "select count(*) from marts.fct_orders where order_date between %s and %s", (START, END)
    )
    assert out["overview-kpi-revenue"]["children"] == figures.money(revenue)
    assert out["overview-kpi-orders"]["children"] == figures.count(orders)
    # the 42 days before 10 January reach back before the first day of data
    assert "no data for the previous 42 days" in str(out["overview-kpi-revenue-note"])
    assert out["overview-message"]["hidden"] is True
    daily = w.rows(
        "select revenue_date::text, sum(net_revenue_eur) from marts.rpt_revenue_daily"
        " where revenue_date between %s and %s group by 1 order by 1",
        (START, END),
    )
    bars = out["overview-revenue-chart"]["figure"]["data"][0]
    assert bars["x"] == [day for day, _ in daily]
    assert close(bars["y"], [amount for _, amount in daily])


def test_overview_compares_with_the_previous_period(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    start, end = "2025-02-01", "2025-02-20"
    out = dashboard.call("overview-kpi-revenue.children", {"filters-store.data": store(start, end)})
    current, previous = (
        built_warehouse.scalar(
            "select sum(net_revenue_eur) from marts.rpt_revenue_daily"
            " where revenue_date between date %s - %s and date %s - %s",
            (start, shift, end, shift),
        )
        for shift in (0, 20)
    )
    assert out["overview-kpi-revenue"]["children"] == figures.money(current)
    text, direction = figures.change(current, previous)
    note = str(out["overview-kpi-revenue-note"]["children"])
    assert text in note
    assert f"change-{direction}" in note
    assert "vs previous 20 days" in note


def test_overview_compares_revenue_with_the_monthly_targets(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call("overview-kpi-target.children", {"filters-store.data": VIEW})
    actual, target = built_warehouse.rows(
        "select sum(actual_net_revenue_eur), sum(target_net_revenue_eur)"
        " from marts.rpt_targets_monthly where actual_net_revenue_eur is not null"
        " and target_month between date_trunc('month', date %s) and %s",
        (START, END),
    )[0]
    assert target, "the targets mart has no months for the test period"
    assert out["overview-kpi-target"]["children"] == figures.percent(actual / target)
    assert out["overview-kpi-target-note"]["children"].startswith(
        f"{figures.money(actual)} of {figures.money(target)}"
    )
    months = out["overview-target-chart"]["figure"]["data"][0]["x"]
    assert months == ["2025-01-01", "2025-02-01"]


def test_a_country_filter_narrows_the_overview(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call("overview-kpi-revenue.children", {"filters-store.data": GERMANY})
    expected = built_warehouse.scalar(
        "select sum(net_revenue_eur) from marts.fct_orders"
        " where order_date between %s and %s and country_code = 'DE'",
        (START, END),
    )
    assert out["overview-kpi-revenue"]["children"] == figures.money(expected)


# -- sales ------------------------------------------------------------------------------------


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_sales_over_time_per_grain(
    dashboard: Dashboard, built_warehouse: Warehouse, grain: str
) -> None:
    out = dashboard.call(
        "sales-trend-chart.figure", {"filters-store.data": VIEW, "sales-grain.value": grain}
    )
    expected = built_warehouse.rows(
        "select date_trunc(%s, revenue_date)::date::text, sum(net_revenue_eur)"
        " from marts.rpt_revenue_daily where revenue_date between %s and %s"
        " group by 1 order by 1",
        (grain, START, END),
    )
    bars = out["sales-trend-chart"]["figure"]["data"][0]
    assert bars["x"] == [period for period, _ in expected]
    assert close(bars["y"], [amount for _, amount in expected])


def last_day(start: date, grain: str) -> date:
    if grain == "week":
        return start + timedelta(days=6)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@pytest.mark.parametrize(
    ("output", "grain", "values"),
    [
        ("sales-trend-chart.figure", "week", {"sales-grain.value": "week"}),
        ("sales-trend-chart.figure", "month", {"sales-grain.value": "month"}),
        ("customers-orders-chart.figure", "week", {}),
        ("marketing-spend-chart.figure", "week", {}),
        ("overview-target-chart.figure", "month", {}),
    ],
)
def test_periods_cut_by_the_dates_chosen_are_marked(
    dashboard: Dashboard, output: str, grain: str, values: dict[str, str]
) -> None:
    # 10 January 2025 is a Friday and 20 February a Thursday: the first and last weeks (and
    # both months) hold only some of their days, and their bars would read as drops
    first, last = date.fromisoformat(START), date.fromisoformat(END)
    out = dashboard.call(output, {"filters-store.data": VIEW, **values})
    figure = out[output.split(".")[0]]["figure"]
    marked = False
    for bars in (trace for trace in figure["data"] if trace["type"] == "bar"):
        starts = [date.fromisoformat(x[:10]) for x in bars["x"]]
        cut = [start < first or last_day(start, grain) > last for start in starts]
        expected = [figures.PARTIAL_OPACITY if part else 1.0 for part in cut]
        assert bars["marker"].get("opacity", [1.0] * len(cut)) == expected, bars["name"]
        marked = marked or any(cut)
    assert marked
    assert f"a {grain} only partly" in figure["layout"]["xaxis"]["title"]["text"]


def test_category_names_are_written_like_channel_names(dashboard: Dashboard) -> None:
    out = dashboard.call(
        "sales-category-chart.figure", {"filters-store.data": VIEW, "sales-grain.value": "week"}
    )
    chart = out["sales-category-chart"]["figure"]
    codes = chart["data"][0]["y"]
    assert chart["layout"]["yaxis"]["ticktext"] == [code.capitalize() for code in codes]
    assert all(text[0].isupper() for text in chart["layout"]["yaxis"]["ticktext"])


@pytest.mark.parametrize(
    ("chart", "column", "mart", "day"),
    [
        ("country", "country_code", "rpt_revenue_daily", "revenue_date"),
        ("channel", "channel", "rpt_revenue_daily", "revenue_date"),
        ("category", "category", "rpt_product_sales_daily", "sales_date"),
    ],
)
def test_sales_by_segment_has_every_segment_and_no_other(
    dashboard: Dashboard, built_warehouse: Warehouse, chart: str, column: str, mart: str, day: str
) -> None:
    out = dashboard.call(
        f"sales-{chart}-chart.figure", {"filters-store.data": VIEW, "sales-grain.value": "week"}
    )
    expected = dict(
        built_warehouse.rows(
            f"select {column}, sum(net_revenue_eur) from marts.{mart}"
            f" where {day} between %s and %s group by 1",
            (START, END),
        )
    )
    bars = out[f"sales-{chart}-chart"]["figure"]["data"][0]
    labels = {figures.CHANNEL_LABELS.get(code, code): code for code in expected}
    shown = dict(zip((labels.get(label, label) for label in bars["y"]), bars["x"], strict=True))
    assert set(shown) == set(expected)
    assert all(abs(shown[key] - float(expected[key])) < CENT for key in expected)
    assert bars["x"] == sorted(bars["x"], reverse=True)


def test_an_unknown_grain_is_refused_with_a_message(dashboard: Dashboard) -> None:
    out = dashboard.call(
        "sales-trend-chart.figure", {"filters-store.data": VIEW, "sales-grain.value": "year"}
    )
    assert out["sales-message"]["hidden"] is False
    assert out["sales-message"]["children"] == "choose a period from day, week, month"


# -- customers --------------------------------------------------------------------------------


def test_cohort_retention_matches_the_cohort_mart(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call("customers-retention-chart.figure", {"filters-store.data": VIEW})
    expected = built_warehouse.rows(
        """
        select
            to_char(cohort_month, 'Mon YYYY'),
            months_since_first_order,
            -- a row per segment and month, each carrying its segment's cohort size
            sum(active_customers)::numeric / sum(cohort_size)
        from marts.rpt_customer_cohorts
        where cohort_month between date_trunc('month', date %s) and %s
        group by 1, 2, cohort_month
        order by cohort_month, 2
        """,
        (START, END),
    )
    heatmap = out["customers-retention-chart"]["figure"]["data"][0]
    cells = {
        (cohort, offset): value
        for cohort, line in zip(heatmap["y"], heatmap["z"], strict=True)
        for offset, value in zip(heatmap["x"], line, strict=True)
        if value is not None
    }
    assert set(cells) == {(cohort, offset) for cohort, offset, _ in expected}
    assert all(abs(cells[(c, o)] - float(rate)) < 0.0001 for c, o, rate in expected)


def test_customer_kpis_agree_with_the_customer_dimension(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call("customers-kpi-ltv.children", {"filters-store.data": GERMANY})
    # the page reads the cohort mart; the customer dimension is an independent count
    customers, revenue = built_warehouse.rows(
        "select count(*), sum(lifetime_revenue_eur) from marts.dim_customers"
        " where country_code = 'DE'"
        " and cohort_month between date_trunc('month', date %s) and %s",
        (START, END),
    )[0]
    reached, came_back = built_warehouse.rows(
        "select sum(cohort_size), sum(active_customers) from marts.rpt_customer_cohorts"
        " where country_code = 'DE' and months_since_first_order = 1"
        " and cohort_month between date_trunc('month', date %s) and %s",
        (START, END),
    )[0]
    assert customers > 0 and reached > 0
    assert out["customers-kpi-customers"]["children"] == figures.count(customers)
    assert out["customers-kpi-returning"]["children"] == figures.percent(came_back / reached)
    assert out["customers-kpi-ltv"]["children"] == figures.money_cents(revenue / customers)


# -- marketing --------------------------------------------------------------------------------


def test_marketing_spend_cac_and_roas_per_channel(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call("marketing-cac-chart.figure", {"filters-store.data": VIEW})
    expected = built_warehouse.rows(
        "select channel, sum(spend_eur), sum(spend_eur) / nullif(sum(new_customers), 0),"
        " sum(attributed_revenue_eur) / nullif(sum(spend_eur), 0)"
        " from marts.rpt_marketing_daily where spend_date between %s and %s group by 1",
        (START, END),
    )
    spend = sum(amount for _, amount, _, _ in expected)
    assert spend > 0
    assert out["marketing-kpi-spend"]["children"] == figures.money(spend)
    paid = {channel: (cac, roas) for channel, amount, cac, roas in expected if amount}
    for chart, index in (("cac", 0), ("roas", 1)):
        bars = out[f"marketing-{chart}-chart"]["figure"]["data"][0]
        codes = {figures.channel_label(code): code for code in paid}
        shown = {codes[label]: value for label, value in zip(bars["y"], bars["x"], strict=True)}
        assert set(shown) == set(paid)
        assert all(
            (shown[c] is None and paid[c][index] is None)
            or abs(shown[c] - float(paid[c][index])) < CENT
            for c in paid
        )


# -- products ---------------------------------------------------------------------------------


# Without country or channel filters the top products come from the totals per product and day;
# with either, from the product rollup; categories always from the category rollup. Each view
# is checked against the product rollup, the finest of them.
PRODUCT_VIEWS = {
    "every segment": (VIEW, "true", ()),
    "one country": (GERMANY, "country_code = 'DE'", ()),
    "countries and a channel": (
        store(START, END, countries=["DE", "FR"], channels=["email"]),
        "country_code = any(%s) and channel = any(%s)",
        (["DE", "FR"], ["email"]),
    ),
}


@pytest.mark.parametrize("view", sorted(PRODUCT_VIEWS))
def test_top_products_and_their_return_rates(
    dashboard: Dashboard, built_warehouse: Warehouse, view: str
) -> None:
    stored, segment, segment_params = PRODUCT_VIEWS[view]
    out = dashboard.call("products-top-chart.figure", {"filters-store.data": stored})
    expected = built_warehouse.rows(
        "select product_name, sum(net_revenue_eur),"
        " sum(units_returned)::numeric / nullif(sum(units_sold), 0)"
        " from marts.rpt_product_sales_daily"
        f" where sales_date between %s and %s and {segment}"
        " group by product_id, product_name order by 2 desc, product_id limit 15",
        (START, END, *segment_params),
    )
    assert expected
    bars = out["products-top-chart"]["figure"]["data"][0]
    assert bars["y"] == [name for name, _, _ in expected]
    assert close(bars["x"], [amount for _, amount, _ in expected])
    # the same products again, by return rate (names may repeat: compare the pairs)
    rates = out["products-product-returns-chart"]["figure"]["data"][0]
    shown_rates = sorted(zip(rates["y"], (round(rate, 4) for rate in rates["x"]), strict=True))
    assert shown_rates == sorted((name, round(float(rate), 4)) for name, _, rate in expected)
    categories = dict(
        built_warehouse.rows(
            "select category, sum(units_returned)::numeric / nullif(sum(units_sold), 0)"
            " from marts.rpt_product_sales_daily"
            f" where sales_date between %s and %s and {segment} group by 1",
            (START, END, *segment_params),
        )
    )
    returns = out["products-returns-chart"]["figure"]["data"][0]
    shown = dict(zip(returns["y"], returns["x"], strict=True))
    assert set(shown) == set(categories)
    assert all(abs(shown[c] - float(categories[c])) < 0.0001 for c in categories)


def test_sales_by_category_with_a_country_matches_the_product_rollup(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call(
        "sales-category-chart.figure", {"filters-store.data": GERMANY, "sales-grain.value": "week"}
    )
    expected = dict(
        built_warehouse.rows(
            "select category, sum(net_revenue_eur) from marts.rpt_product_sales_daily"
            " where sales_date between %s and %s and country_code = 'DE' group by 1",
            (START, END),
        )
    )
    bars = out["sales-category-chart"]["figure"]["data"][0]
    shown = dict(zip(bars["y"], bars["x"], strict=True))
    assert expected and set(shown) == set(expected)
    assert all(abs(shown[c] - float(expected[c])) < CENT for c in expected)


# -- every page -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(PAGE_OUTPUTS))
def test_a_period_without_data_says_so(dashboard: Dashboard, page: str) -> None:
    out = dashboard.call(
        PAGE_OUTPUTS[page], {"filters-store.data": NOWHERE, "sales-grain.value": "week"}
    )
    chart_id = PAGE_OUTPUTS[page].split(".")[0]
    assert annotation(out[chart_id]["figure"]).startswith("No ")
    assert out[f"{page}-message"]["hidden"] is True


@pytest.mark.parametrize(
    ("button", "first_column", "statement"),
    [
        (
            "overview-revenue-download",
            "revenue_date",
            "select count(distinct revenue_date) from marts.rpt_revenue_daily"
            " where revenue_date between %s and %s",
        ),
        (
            "sales-country-download",
            "country_code",
            "select count(distinct country_code) from marts.rpt_revenue_daily"
            " where revenue_date between %s and %s",
        ),
        (
            "marketing-cac-download",
            "channel",
            "select count(distinct channel) from marts.rpt_marketing_daily"
            " where spend_date between %s and %s",
        ),
    ],
)
def test_the_table_behind_a_chart_downloads_as_csv(
    dashboard: Dashboard,
    built_warehouse: Warehouse,
    button: str,
    first_column: str,
    statement: str,
) -> None:
    page = button.split("-")[0]
    out = dashboard.call(
        f"{page}-download.data",
        {f"{button}.n_clicks": 1},
        {"filters-store.data": VIEW, "sales-grain.value": "week"},
    )
    download = out[f"{page}-download"]["data"]
    assert download["filename"].endswith("_20250110-20250220.csv")
    reader = csv.DictReader(io.StringIO(download["content"]))
    table = list(reader)
    assert reader.fieldnames and reader.fieldnames[0] == first_column
    assert len(table) == built_warehouse.scalar(statement, (START, END))


def test_the_data_health_page_shows_sources_and_runs_from_the_history(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = dashboard.call("health-sources.children", {"shell-url.pathname": "/health"})
    table = str(out["health-sources"]["children"])
    tables = built_warehouse.scalar(
        "select count(*) from marts.rpt_data_health_sources where freshness_status = 'pass'"
    )
    assert tables >= 5 and table.count("'pass'") == tables
    assert "shop.orders" in table and "ecb.euro_rates" in table
    tests = out["health-tests-chart"]["figure"]["data"]
    latest_passed = built_warehouse.scalar(
        "select tests_passed from marts.rpt_data_health_runs order by started_at desc limit 1"
    )
    assert tests[0]["name"] == "passed" and tests[0]["y"][-1] == latest_passed


def test_a_stale_source_turns_red_on_the_data_health_page(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    w = built_warehouse
    try:
        with stale_ecb(w):
            w.dataops("freshness", check=False)
            out = dashboard.call("health-sources.children", {"shell-url.pathname": "/health"})
    finally:
        w.dataops("freshness")
    rows = out["health-sources"]["children"]["props"]["children"][1]["props"]["children"]
    cells = {}
    for row in rows:
        name_cell, status_cell = row["props"]["children"][:2]  # <td><code>, <td><span>
        name = name_cell["props"]["children"]["props"]["children"]
        cells[name] = status_cell["props"]["children"]["props"]
    assert cells["ecb.euro_rates"]["children"] == "error"
    assert "status-bad" in cells["ecb.euro_rates"]["className"]
    assert cells["shop.orders"]["className"] == "status status-ok"
