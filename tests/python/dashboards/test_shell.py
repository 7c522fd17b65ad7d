"""The shell: a view is a link (the address, the filters and the store kept in step), what it
does while the warehouse cannot be read, and "Report a data issue"."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support.dashboard import REPOSITORY, Dashboard, gunicorn_dashboard, store
from support.warehouse import Warehouse

from dashboards import figures, report
from dataops.core.warehouse import WarehouseSettings, free_port

START, END = "2025-01-10", "2025-02-20"
GERMANY = store(START, END, countries=["DE"])


def with_query(stored: dict[str, Any]) -> dict[str, Any]:
    """The store as the shell writes it: the filters and the query that reproduces them."""
    query = f"?start={stored['start']}&end={stored['end']}"
    if stored["countries"]:
        query += "&country=" + ",".join(stored["countries"])
    if stored["channels"]:
        query += "&channel=" + ",".join(stored["channels"])
    return {**stored, "query": query}


# -- a view is a link --------------------------------------------------------------


def shell(dashboard: Dashboard, search: str, stored: Any = None) -> dict[str, Any]:
    return dashboard.call(
        "filters-store.data", {"shell-url.search": search}, {"filters-store.data": stored}
    )


def test_a_link_sets_the_filters_and_every_navigation_link_keeps_them(
    dashboard: Dashboard,
) -> None:
    out = shell(dashboard, "?start=2025-01-10&end=2025-02-20&country=FR,DE&channel=email")
    assert out["filters-store"]["data"] == {
        **store(START, END, ["DE", "FR"], ["email"]),
        "query": "?start=2025-01-10&end=2025-02-20&country=DE,FR&channel=email",
    }
    assert out["filters-country"]["value"] == ["DE", "FR"]
    assert out["filters-date-range"]["start_date"] == START
    hrefs = [out[key]["href"] for key in out if key.startswith("shell-nav-")]
    assert sorted(href.split("?")[0] for href in hrefs) == sorted(
        ["/", "/sales", "/customers", "/marketing", "/products", "/health"]
    )
    assert all(href.endswith(out["filters-store"]["data"]["query"]) for href in hrefs)
    assert out["shell-banner"]["hidden"] is True


def test_a_link_without_filters_shows_the_latest_90_days(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    out = shell(dashboard, "")
    latest = built_warehouse.scalar("select max(revenue_date)::text from marts.rpt_revenue_daily")
    assert out["filters-store"]["data"]["end"] == latest
    assert out["filters-date-range"]["max_date_allowed"] == latest
    badge = out["shell-as-of"]["children"]
    assert badge.startswith("Data as of ")
    assert badge.endswith(f"UTC · sales to {figures.day(date.fromisoformat(latest))}")


def test_a_bad_link_value_is_ignored_and_named(dashboard: Dashboard) -> None:
    out = shell(dashboard, "?start=2025-01-10&end=2025-02-20&country=<script>")
    assert out["filters-store"]["data"]["countries"] == []
    assert out["shell-banner"]["hidden"] is False
    assert "country filter" in out["shell-banner"]["children"]


def test_an_unchanged_view_does_not_refresh_the_pages(dashboard: Dashboard) -> None:
    first = shell(dashboard, "?start=2025-01-10&end=2025-02-20")
    again = shell(dashboard, "?start=2025-01-10&end=2025-02-20", first["filters-store"]["data"])
    # no store update means no page callback runs again
    assert "filters-store" not in again


def test_the_marts_unknown_country_is_a_country_to_choose(dashboard: Dashboard) -> None:
    out = shell(dashboard, f"?start={START}&end={END}&country=unknown")
    assert out["filters-store"]["data"]["countries"] == ["unknown"]
    assert out["shell-banner"]["hidden"] is True
    assert {"label": "Unknown", "value": "unknown"} in out["filters-country"]["options"]


# -- "Report a data issue" ------------------------------------------------------------------


def issue_body(out: dict[str, Any]) -> str:
    return parse_qs(urlsplit(out["shell-report-issue"]["href"]).query)["body"][0]


def test_every_page_links_to_a_prefilled_data_issue(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    passed = built_warehouse.scalar(
        "select tests_passed from marts.rpt_data_health_runs order by started_at desc limit 1"
    )
    for page, marts in report.MARTS_BY_PAGE.items():
        out = dashboard.call(
            "shell-report-issue.href",
            {
                "shell-url.pathname": page,
                "filters-store.data": with_query(GERMANY),
                "shell-as-of.children": "Data as of 24 Nov 2026",
            },
        )
        link = urlsplit(out["shell-report-issue"]["href"])
        assert f"{link.scheme}://{link.netloc}{link.path}" == f"{REPOSITORY}/issues/new"
        fields = parse_qs(link.query)
        assert fields["title"] == [f"Data issue on {page}"]
        body = fields["body"][0]
        assert f"`{page}?start=2025-01-10&end=2025-02-20&country=DE`" in body
        assert all(f"`{mart}`" in body for mart in marts)
        assert "data as of: Data as of 24 Nov 2026" in body
        assert f"latest tests: {passed} passed, 0 failed" in body
    # a page that does not exist is reported against the overview, not echoed back
    out = dashboard.call(
        "shell-report-issue.href",
        {"shell-url.pathname": "/<script>", "filters-store.data": {}, "shell-as-of.children": ""},
    )
    assert parse_qs(urlsplit(out["shell-report-issue"]["href"]).query)["title"] == [
        "Data issue on /"
    ]


def test_the_issue_carries_the_view_after_a_filter_change(dashboard: Dashboard) -> None:
    # the address is rewritten in the browser only, so the view must come from the store
    opened = shell(dashboard, f"?start={START}&end={END}")["filters-store"]["data"]
    changed = dashboard.call(
        "filters-store.data",
        {
            "filters-date-range.start_date": START,
            "filters-date-range.end_date": END,
            "filters-country.value": ["FR"],
        },
        {"filters-store.data": opened},
    )["filters-store"]["data"]
    out = dashboard.call(
        "shell-report-issue.href",
        {"shell-url.pathname": "/sales", "filters-store.data": changed},
    )
    assert f"`/sales?start={START}&end={END}&country=FR`" in issue_body(out)


def test_a_crafted_view_puts_no_markdown_and_no_bulk_in_the_issue(dashboard: Dashboard) -> None:
    crafted = {
        **GERMANY,
        "query": f"?start={START}&end={END}&country=DE`%20[click](https://evil.example)%20`",
    }
    out = dashboard.call(
        "shell-report-issue.href",
        {
            "shell-url.pathname": "/",
            "filters-store.data": crafted,
            "shell-as-of.children": "[click](https://evil.example)\n# Heading `x`",
        },
    )
    body = issue_body(out)
    assert f"`/?start={START}&end={END}`" in body  # the malformed country is dropped
    assert "](" not in body and "evil.example" not in body and "\n# " not in body
    assert body.count("`") % 2 == 0
    bulky = {**GERMANY, "query": f"?start={START}&end={END}&channel=" + "a" * 120_000}
    out = dashboard.call(
        "shell-report-issue.href",
        {
            "shell-url.pathname": "/",
            "filters-store.data": bulky,
            "shell-as-of.children": "B" * 100_000,
        },
    )
    assert len(out["shell-report-issue"]["href"]) < 2000
    # the longest view the filters allow still fits a link GitHub accepts (8 kB)
    widest = store(
        START,
        END,
        [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ"],
        [f"c{n:02d}_" + "x" * 36 for n in range(100)],
    )
    out = dashboard.call(
        "shell-report-issue.href",
        {"shell-url.pathname": "/", "filters-store.data": with_query(widest)},
    )
    assert len(out["shell-report-issue"]["href"]) < 8192


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/northwind/analytics.git", "https://github.com/northwind/analytics"),
        # the credentials never reach the page
        (
            "https://x-access-token:secret@github.com/northwind/analytics",
            "https://github.com/northwind/analytics",
        ),
        ("git@github.com:northwind/analytics.git", "https://github.com/northwind/analytics"),
        ("ssh://git@github.com/northwind/analytics", "https://github.com/northwind/analytics"),
        ("https://gitlab.com/northwind/analytics.git", None),
        ("/srv/git/analytics.git", None),
        (None, None),
    ],
)
def test_issues_go_to_the_origin_remote_on_github(
    tmp_path: Path, remote: str | None, expected: str | None
) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", remote], check=True)
    assert report.github_repository(tmp_path) == expected


def test_the_configured_repository_wins_and_without_one_the_link_is_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboards import app

    monkeypatch.setattr(report, "github_repository", lambda root: None)
    monkeypatch.delenv("DATAOPS_REPOSITORY_URL", raising=False)
    assert report.repository_url() is None
    hidden = app.report_issue_link()
    assert hidden.hidden is True
    assert "example" not in hidden.href
    monkeypatch.setenv("DATAOPS_REPOSITORY_URL", "javascript:alert(1)")
    assert report.repository_url() is None
    monkeypatch.setenv("DATAOPS_REPOSITORY_URL", REPOSITORY + "/")
    assert report.repository_url() == REPOSITORY
    shown = app.report_issue_link()
    assert (shown.hidden, shown.href) == (False, REPOSITORY)


# -- while the warehouse cannot be read ---------------------------------------------------------


@pytest.fixture(scope="module")
def down(built_warehouse: Warehouse) -> Any:
    """A dashboard whose warehouse does not answer: nothing listens on its port."""
    closed = WarehouseSettings("127.0.0.1", free_port(), "nobody", "secret", "warehouse", "test")
    with gunicorn_dashboard(built_warehouse.env(DATABASE_URL=closed.url())) as url:
        yield Dashboard(url)


def latest_day(w: Warehouse) -> str:
    return str(w.scalar("select max(revenue_date)::text from marts.rpt_revenue_daily"))


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("", ""),
        ("?country=DE&channel=email", "?country=DE&channel=email"),
        (f"?start={START}&end={END}", f"?start={START}&end={END}"),
        ("?country=DE&start=yesterday", "?country=DE"),
    ],
)
def test_a_link_opened_during_an_outage_keeps_only_what_it_gave(
    down: Dashboard, dashboard: Dashboard, built_warehouse: Warehouse, link: str, kept: str
) -> None:
    out = shell(down, link)
    stored = out["filters-store"]["data"]
    # no dates nobody chose in the address or the navigation links
    assert stored["query"] == kept
    assert all(out[key]["href"].endswith(kept) for key in out if key.startswith("shell-nav-"))
    assert stored["provisional"] is True
    assert out["shell-as-of"]["children"] == "Data unavailable"
    assert out["filters-date-range"]["start_date"] == (START if START in kept else None)
    assert out["shell-retry"]["disabled"] is False
    page = down.call("overview-kpi-revenue.children", {"filters-store.data": stored})
    assert page["overview-message"]["children"].startswith("The warehouse cannot be reached")
    # afterwards the same link is the view it names, with the latest days where it named none
    after = shell(dashboard, stored["query"])["filters-store"]["data"]
    assert after["end"] == (END if START in kept else latest_day(built_warehouse))
    figures_after = dashboard.call("overview-revenue-chart.figure", {"filters-store.data": after})[
        "overview-revenue-chart"
    ]["figure"]
    assert figures_after["data"], figures_after["layout"].get("annotations")


def test_a_filter_changed_during_an_outage_keeps_the_dates_unknown(down: Dashboard) -> None:
    opened = shell(down, "")["filters-store"]["data"]
    out = down.call(
        "filters-store.data",
        {
            "filters-date-range.start_date": None,
            "filters-date-range.end_date": None,
            "filters-country.value": ["FR"],
        },
        {"filters-store.data": opened},
    )
    assert out["filters-store"]["data"]["query"] == "?country=FR"
    assert out["filters-store"]["data"]["provisional"] is True


def test_a_provisional_view_fills_in_once_the_warehouse_answers(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    waiting = {**store("2026-01-01", "2026-03-31", ["DE"]), "query": "?country=DE"}
    waiting["provisional"] = True
    out = dashboard.call(
        "filters-store.data", {"shell-retry.n_intervals": 1}, {"filters-store.data": waiting}
    )
    resolved = out["filters-store"]["data"]
    assert resolved["end"] == latest_day(built_warehouse)
    assert resolved["countries"] == ["DE"]
    assert "provisional" not in resolved
    assert out["shell-retry"]["disabled"] is True
    # a view that is not provisional is left alone by the retry
    again = dashboard.call(
        "filters-store.data", {"shell-retry.n_intervals": 2}, {"filters-store.data": resolved}
    )
    assert "filters-store" not in again
