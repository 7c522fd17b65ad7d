"""The dashboard in a real headless Chromium: every page, a filter change, the numbers from
the marts, no Dash or console error, and a screenshot of each step.

In CI (`CI=true`) a missing browser fails the tests; elsewhere they skip with the reason.
Screenshots go to `$DATAOPS_ARTIFACTS` (default `.local/artifacts`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support.dashboard import gunicorn_dashboard
from support.warehouse import Warehouse

from dashboards import figures
from dataops.core.warehouse import WarehouseSettings, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(
    os.environ.get("DATAOPS_ARTIFACTS", Path(__file__).parents[3] / ".local" / "artifacts")
)
START, END = "2025-01-10", "2025-02-20"
LINK = f"?start={START}&end={END}"
LAPTOP = (1280, 900)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        reason = (
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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
    assert browser.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))


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
    w = built_warehouse
    browser.set_window_size(*LAPTOP)
    browser.get(dashboard_url + "/" + LINK)
    errors(browser)

    # overview, from a link: the KPI and the daily chart are the marts' numbers
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

    # change a filter: only Germany; the numbers follow and the address keeps the view
    choose_option(browser, "filters-country", "DE")
    germany = "and country_code = 'DE'"
    wait_for_text(
        browser,
        "overview-kpi-revenue",
        figures.money(total(w, "net_revenue_eur", "rpt_revenue_daily", "revenue_date", germany)),
    )
    wait(browser, lambda driver: query_of(driver).get("country") == ["DE"], "the link to say DE")
    assert query_of(browser)["start"] == [START]
    assert errors(browser) == []
    screenshot(browser, "overview-germany")

    # sales, through the navigation: the filter comes along; switch to months
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
    from selenium.webdriver.common.by import By

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

    # customers
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

    # marketing: spend is not booked per country, so the country filter leaves it whole
    click_nav(browser, "marketing")
    wait_for_text(
        browser,
        "marketing-kpi-spend",
        figures.money(total(w, "spend_eur", "rpt_marketing_daily", "spend_date")),
    )
    assert errors(browser) == []
    screenshot(browser, "marketing")

    # products
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

    # data health
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
