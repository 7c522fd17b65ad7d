"""The dashboard in a real headless Chromium: every page, a filter change, the numbers from
the marts, no Dash or console error, every page laid out at a phone's width (375 px) and a
desktop's (1440 px), and a screenshot of each step.

In CI (`CI=true`) a missing browser fails the tests; elsewhere they skip with the reason.
Screenshots go to `$DATAOPS_ARTIFACTS` if set, else to the test run's temporary folder
(`--basetemp`), never into the clone.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from psycopg2 import sql
from support import browser as browser_support
from support.dashboard import dataops_dashboard, gunicorn_dashboard
from support.warehouse import Warehouse

from dashboards import figures
from dashboards.queries import health as queries_health
from dataops import roles
from dataops.core.warehouse import WarehouseSettings, free_port

START, END = "2025-01-10", "2025-02-20"
LINK = f"?start={START}&end={END}"
LAPTOP = (1280, 900)
PHONE = (390, 844)
# the widths every page is laid out at, and the window's height
WIDTHS = {"phone": 375, "desktop": 1440}
HEIGHT = 812
PAGES = ("", "sales", "customers", "marketing", "products", "health")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not browser_support.installed():
        reason = (
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    driver = browser_support.chromium(*LAPTOP, console_log=True)
    configured = os.environ.get("DATAOPS_ARTIFACTS")
    driver.screenshots = Path(configured) if configured else tmp_path_factory.mktemp("screens")
    driver.screenshots.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


# -- helpers ----------------------------------------------------------------------------------


def wait(browser: Any, condition: Callable[[Any], Any], what: str, timeout: float = 30) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        screenshot(browser, "timeout")
        raise AssertionError(f"waited {timeout:.0f} s for {what}") from None


def text_of(browser: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def wait_for_text(browser: Any, element_id: str, expected: str) -> None:
    wait(
        browser,
        lambda driver: text_of(driver, element_id) == expected,
        f"#{element_id} to read {expected!r} (it reads {text_of(browser, element_id)!r})",
    )


def chart(browser: Any, graph_id: str) -> list[dict[str, Any]] | None:
    """The traces Plotly has drawn in a dcc.Graph, or None before it has drawn any."""
    return browser.execute_script(
        """
        const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        if (!plot || !plot.data || !plot.data.length) { return null; }
        return plot.data.map(t => ({x: t.x, y: t.y, name: t.name, z: t.z}));
        """,
        graph_id,
    )


def wait_for_chart(
    browser: Any, graph_id: str, check: Callable[[list[dict[str, Any]]], bool], what: str
) -> list[dict[str, Any]]:
    def drawn(driver: Any) -> list[dict[str, Any]] | bool:
        traces = chart(driver, graph_id)
        return traces if traces and check(traces) else False

    return wait(browser, drawn, f"#{graph_id} to show {what}")


def errors(browser: Any) -> list[str]:
    """Dash's error pop-ups and the console's errors since the last call."""
    from selenium.webdriver.common.by import By

    found = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".dash-fe-error__title")]
    found += [
        entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
    ]
    return found


def screenshot(browser: Any, name: str) -> None:
    assert browser.save_screenshot(str(browser.screenshots / f"dashboard-{name}.png"))


def full_page_screenshot(browser: Any, name: str) -> None:
    """The whole page, however long: the window stretched to it for the picture."""
    size = browser.get_window_size()
    length = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size["width"], min(length + 120, 10_000))
    try:
        screenshot(browser, name)
    finally:
        browser.set_window_size(size["width"], size["height"])


def query_of(browser: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(browser.current_url).query)


def click_nav(browser: Any, name: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, f"shell-nav-{name}").click()


def choose_option(browser: Any, dropdown_id: str, value: str) -> None:
    """Open a dropdown, tick one option, close it again."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.ID, dropdown_id).click()
    option = wait(
        browser,
        lambda driver: driver.find_element(
            By.CSS_SELECTOR, f"[role=option] input[value='{value}']"
        ),
        f"the option {value} of #{dropdown_id}",
    )
    option.find_element(By.XPATH, "./ancestor::*[@role='option']").click()
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)


# What the eye would catch on a screenshot, read off the page: each finding names the
# element. Plotly draws into SVG, so the boxes are its elements': `.legend`, the plot area
# (`.nsewdrag`, the rectangle that takes the drag), the tick labels (`g.xtick text`, ...).
LAYOUT_FINDINGS = r"""
const phone = arguments[0];
const findings = [];
const box = element => element.getBoundingClientRect();
const overlap = (a, b) =>
    Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
    Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
const visible = element => {
    const b = box(element);
    return b.width > 0 && b.height > 0 && getComputedStyle(element).visibility !== "hidden";
};
for (const plot of document.querySelectorAll(".js-plotly-plot")) {
    const name = plot.closest("[id]") ? plot.closest("[id]").id : "a chart";
    const area = plot.querySelector(".nsewdrag");
    const legend = plot.querySelector("g.legend");
    if (area && legend && overlap(box(legend), box(area)) > 1) {
        findings.push(name + ": the legend covers the plot");
    }
    const ticks = axis => [...plot.querySelectorAll("g." + axis + "tick text")]
        .filter(visible);
    const xs = ticks("x"), ys = [...ticks("y"), ...ticks("y2")];
    const canvas = box(plot);
    for (const text of [...xs, ...ys]) {
        const b = box(text);
        if (b.left < canvas.left - 1 || b.right > canvas.right + 1) {
            findings.push(name + ": a tick label is cut off at the edge: " + text.textContent);
        }
        const turned = /rotate\(\s*(-?[0-9.]+)/.exec(text.getAttribute("transform") || "");
        if (phone && turned && Math.abs(parseFloat(turned[1])) > 0.5) {
            findings.push(name + ": a tick label on its side: " + text.textContent);
        }
        if (/\d:\d\d:\d\d\.\d/.test(text.textContent)) {
            findings.push(name + ": a tick in fractions of a second: " + text.textContent);
        }
    }
    for (const x of xs) {
        for (const y of ys) {
            if (overlap(box(x), box(y)) > 1) {
                findings.push(name + ": " + x.textContent + " runs into " + y.textContent);
            }
        }
    }
    xs.forEach((x, i) => xs.slice(i + 1).forEach(other => {
        if (overlap(box(x), box(other)) > 1) {
            findings.push(name + ": " + x.textContent + " runs into " + other.textContent);
        }
    }));
}
for (const card of document.querySelectorAll(".card")) {
    const cue = card.querySelector(".scroll-cue");
    for (const element of [card, ...card.querySelectorAll("*")]) {
        const sideways = ["auto", "scroll"].includes(getComputedStyle(element).overflowX);
        if (sideways && element.scrollWidth > element.clientWidth + 1 && !(cue && visible(cue))) {
            const title = card.querySelector(".card-title");
            findings.push((title ? title.textContent : "a card") + ": scrolls sideways unsaid");
        }
    }
}
return findings;
"""
# Every chart drawn with its answer, not "Loading…", and the cards' tables filled.
SETTLED = """
const graphs = [...document.querySelectorAll(".chart")];
return graphs.length > 0 && graphs.every(graph => {
    const plot = graph.querySelector(".js-plotly-plot");
    return plot && plot._fullLayout && plot.querySelector(".main-svg") &&
        !(plot.layout.annotations || []).some(note => note.text === "Loading…");
});
"""


def total(w: Warehouse, column: str, mart: str, day: str, where: str = "") -> Any:
    return w.scalar(
        f"select coalesce(sum({column}), 0) from marts.{mart}"
        f" where {day} between %s and %s {where}",
        (START, END),
    )


# -- tests ------------------------------------------------------------------------------------


def test_the_error_check_sees_console_errors(browser: Any, dashboard_url: str) -> None:
    # the check every page below relies on, shown failing on a page with an error
    browser.get(f"{dashboard_url}/_dash-layout")
    errors(browser)
    browser.execute_script("console.error('deliberate error')")
    assert any("deliberate error" in message for message in errors(browser))


def test_every_page_shows_the_marts_and_follows_a_filter(
    browser: Any, dashboard_url: str, built_warehouse: Warehouse
) -> None:
    """One visit, page after page: the filter chosen on the overview comes along."""
    browser.set_window_size(*LAPTOP)
    browser.get(dashboard_url + "/" + LINK)
    errors(browser)
    germany = "and country_code = 'DE'"

    overview_from_a_link(browser, built_warehouse)
    overview_filtered_to_germany(browser, built_warehouse, germany)
    sales_through_the_navigation(browser, built_warehouse, germany)
    customers_marketing_and_products(browser, built_warehouse)
    data_health(browser)


def overview_from_a_link(browser: Any, w: Warehouse) -> None:
    """The KPI and the daily chart are the marts' numbers."""
    wait_for_text(
        browser,
        "overview-kpi-revenue",
        figures.money(total(w, "net_revenue_eur", "rpt_revenue_daily", "revenue_date")),
    )
    days = wait_for_chart(
        browser, "overview-revenue-chart", lambda t: len(t[0]["x"]) > 30, "the days"
    )
    assert len(days[0]["x"]) == w.scalar(
        "select count(distinct revenue_date) from marts.rpt_revenue_daily"
        " where revenue_date between %s and %s",
        (START, END),
    )
    assert errors(browser) == []
    screenshot(browser, "overview")


def overview_filtered_to_germany(browser: Any, w: Warehouse, germany: str) -> None:
    """Only Germany: the numbers follow and the address keeps the view."""
    choose_option(browser, "filters-country", "DE")
    wait_for_text(
        browser,
        "overview-kpi-revenue",
        figures.money(total(w, "net_revenue_eur", "rpt_revenue_daily", "revenue_date", germany)),
    )
    wait(browser, lambda driver: query_of(driver).get("country") == ["DE"], "the link to say DE")
    assert query_of(browser)["start"] == [START]
    assert errors(browser) == []
    screenshot(browser, "overview-germany")


def sales_through_the_navigation(browser: Any, w: Warehouse, germany: str) -> None:
    """The filter comes along; switch to months."""
    from selenium.webdriver.common.by import By

    click_nav(browser, "sales")
    wait(browser, lambda driver: urlsplit(driver.current_url).path == "/sales", "the sales page")
    assert query_of(browser).get("country") == ["DE"]
    expected = float(total(w, "net_revenue_eur", "rpt_revenue_daily", "revenue_date", germany))
    weeks = wait_for_chart(
        browser,
        "sales-trend-chart",
        lambda t: abs(sum(t[0]["y"]) - expected) < 0.01,
        f"German revenue of {expected}",
    )
    assert len(weeks[0]["x"]) >= 6
    browser.find_element(By.CSS_SELECTOR, "#sales-grain input[value='month']").click()
    months = wait_for_chart(
        browser, "sales-trend-chart", lambda t: len(t[0]["x"]) == 2, "two months"
    )
    assert abs(sum(months[0]["y"]) - expected) < 0.01
    countries = wait_for_chart(
        browser, "sales-country-chart", lambda t: t[0]["y"] == ["DE"], "Germany alone"
    )
    assert abs(countries[0]["x"][0] - expected) < 0.01
    assert errors(browser) == []
    screenshot(browser, "sales")


def customers_marketing_and_products(browser: Any, w: Warehouse) -> None:
    """Germany's customers and best product; marketing's spend is not booked per country, so
    the country filter leaves it whole."""
    click_nav(browser, "customers")
    customers = w.scalar(
        "select count(*) from marts.dim_customers where country_code = 'DE'"
        " and cohort_month between date_trunc('month', date %s) and %s",
        (START, END),
    )
    wait_for_text(browser, "customers-kpi-customers", figures.count(customers))
    wait_for_chart(browser, "customers-retention-chart", lambda t: t[0]["z"], "the cohorts")
    assert errors(browser) == []
    screenshot(browser, "customers")

    click_nav(browser, "marketing")
    wait_for_text(
        browser,
        "marketing-kpi-spend",
        figures.money(total(w, "spend_eur", "rpt_marketing_daily", "spend_date")),
    )
    assert errors(browser) == []
    screenshot(browser, "marketing")

    click_nav(browser, "products")
    best = w.scalar(
        "select product_name from marts.rpt_product_sales_daily"
        " where sales_date between %s and %s and country_code = 'DE'"
        " group by product_id, product_name order by sum(net_revenue_eur) desc, product_id"
        " limit 1",
        (START, END),
    )
    wait_for_chart(browser, "products-top-chart", lambda t: t[0]["y"][0] == best, best)
    assert errors(browser) == []
    screenshot(browser, "products")


def data_health(browser: Any) -> None:
    """The shop's orders are listed among the sources, with the status pass."""
    click_nav(browser, "health")
    wait(browser, lambda driver: "shop.orders" in text_of(driver, "health-sources"), "sources")
    assert text_of(browser, "health-status-shop-orders") == "pass"
    assert errors(browser) == []
    screenshot(browser, "health")


def test_a_shared_link_opens_the_same_view_on_a_phone(
    browser: Any, dashboard_url: str, built_warehouse: Warehouse
) -> None:
    browser.set_window_size(*PHONE)
    try:
        browser.get(f"{dashboard_url}/sales{LINK}&country=FR&channel=email")
        errors(browser)
        expected = total(
            built_warehouse,
            "net_revenue_eur",
            "rpt_revenue_daily",
            "revenue_date",
            "and country_code = 'FR' and channel = 'email'",
        )
        wait_for_chart(
            browser,
            "sales-trend-chart",
            lambda t: abs(sum(t[0]["y"]) - float(expected)) < 0.01,
            f"French email revenue of {expected}",
        )
        assert "FR" in text_of(browser, "filters-country")
        # nothing wider than the screen: no sideways scrolling
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
        assert errors(browser) == []
        screenshot(browser, "phone-sales")
    finally:
        browser.set_window_size(*LAPTOP)


def test_a_warehouse_that_is_down_shows_a_banner(browser: Any, built_warehouse: Warehouse) -> None:
    closed = WarehouseSettings("127.0.0.1", free_port(), "nobody", "secret", "warehouse", "test")
    with gunicorn_dashboard(built_warehouse.env(DATABASE_URL=closed.url())) as url:
        browser.get(url + "/" + LINK)
        errors(browser)
        wait_for_text(browser, "shell-as-of", "Data unavailable")
        wait(
            browser,
            lambda driver: "cannot be reached" in text_of(driver, "overview-message"),
            "the page's message",
        )
        assert text_of(browser, "overview-kpi-revenue") == figures.NO_VALUE
        page = browser.page_source
        assert "Traceback" not in page
        # the connection's details stay on the server; a bare substring test would also
        # match inside the hex hashes Dash names its clientside functions with
        for secret in (str(closed.port), closed.password):
            assert not re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", page), secret
        assert errors(browser) == []
        screenshot(browser, "warehouse-down")


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_every_page_is_laid_out_for_a_phone_and_a_desktop(
    browser: Any, dashboard_url: str, device: str
) -> None:
    # legends clear of the plots, level tick labels on a phone that run into nothing and
    # are not cut off, no run history in fractions of a second, a cue wherever a card's
    # content scrolls sideways; and on a phone, the header and filters leave most of the
    # first screen to the page
    width = WIDTHS[device]
    found = laid_out(browser, dashboard_url, PAGES, device)
    assert found == [], f"at {width} px:\n" + "\n".join(found)


def laid_out(
    browser: Any, url: str, pages: Sequence[str], device: str, name: str = ""
) -> list[str]:
    """What is wrong with the layout of each of `pages` of the dashboard at `url` at the
    device's width (`LAYOUT_FINDINGS`, and on a phone the header's height), each page's
    screenshot taken; `name` tells the screenshots apart from other runs of the check."""
    browser.set_window_size(WIDTHS[device], HEIGHT)
    found: list[str] = []
    try:
        for page in pages:
            browser.get(f"{url}/{page}{LINK}")
            errors(browser)
            wait(browser, lambda driver: driver.execute_script(SETTLED), f"/{page}'s charts")
            findings = browser.execute_script(LAYOUT_FINDINGS, device == "phone")
            found += [f"/{page}: {finding}" for finding in findings]
            if device == "phone":
                bottom = browser.execute_script(
                    "return document.getElementById('shell-filters').getBoundingClientRect().bottom"
                )
                if bottom > 0.4 * HEIGHT:
                    found.append(f"/{page}: the header and filters end at {bottom:.0f} px")
            full_page_screenshot(browser, f"{device}-{name}{page or 'overview'}")
            assert errors(browser) == []
    finally:
        browser.set_window_size(*LAPTOP)
    return found


# -- a long run history ---------------------------------------------------------------------

# runs recorded a minute apart: more than the data health page shows (`RUNS_SHOWN`)
MANY_RUNS = 200
RUN_HISTORY = """
insert into {schema}.rpt_data_health_runs (run_id, commands, started_at, run_status,
    tests_passed, tests_failed, rows_loaded, rows_rejected, build_duration_s)
select 'run-' || n, 'run', timestamptz '2026-11-30 21:00:00+00' + n * interval '1 minute',
    'success', 120 - mod(n, 3), mod(n, 3), 6000, mod(n, 5), 30 + mod(n, 7)
from generate_series(1, %s) as n
"""


@pytest.fixture(scope="module")
def many_runs_url(built_warehouse: Warehouse) -> Iterator[str]:
    """A dashboard whose marts schema (`DATAOPS_MARTS_SCHEMA`) is one of its own: views of the
    built marts, but a run history of `MANY_RUNS` runs a minute apart, as a team's few weeks of
    runs (or a test session's) leave it. The built marts stay as other tests read them."""
    schema = sql.Identifier(f"marts_runs_{uuid.uuid4().hex[:8]}")
    marts = [
        name
        for (name,) in built_warehouse.rows(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    ]
    reporter = sql.Identifier(roles.ROLES["reporter"].name)
    with built_warehouse.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("create schema {}").format(schema))
        for name in marts:
            copy = "create {} as select * from marts.{}"
            kind = sql.SQL("view {}.{}")
            if name == "rpt_data_health_runs":
                copy += " with no data"
                kind = sql.SQL("table {}.{}")
            target = kind.format(schema, sql.Identifier(name))
            cursor.execute(sql.SQL(copy).format(target, sql.Identifier(name)))
        cursor.execute(sql.SQL(RUN_HISTORY).format(schema=schema), (MANY_RUNS,))
        cursor.execute(sql.SQL("grant usage on schema {} to {}").format(schema, reporter))
        cursor.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(schema, reporter)
        )
    try:
        with dataops_dashboard(built_warehouse, DATAOPS_MARTS_SCHEMA=schema.string) as url:
            yield url
    finally:
        built_warehouse.execute(sql.SQL("drop schema {} cascade").format(schema))


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_a_long_run_history_stays_readable_on_a_phone_and_a_desktop(
    browser: Any, many_runs_url: str, device: str
) -> None:
    # every run shown is a bar and a point, yet the run axis' labels run into nothing
    found = laid_out(browser, many_runs_url, ["health"], device, name="many-runs-")
    shown = queries_health.RUNS_SHOWN
    for graph in ("health-tests-chart", "health-rejects-chart", "health-build-chart"):
        traces = wait_for_chart(browser, graph, lambda t: len(t[0]["x"]) == shown, "every run")
        assert len(set(traces[0]["x"])) == shown
    assert found == [], f"at {WIDTHS[device]} px:\n" + "\n".join(found)
