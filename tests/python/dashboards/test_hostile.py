"""Hostile requests straight to Dash's callback endpoint: every input is untrusted.

Each request must get a clean answer (a message, an empty result, or a plain HTTP error
without a trace of the code or the SQL), within a second, and leave the marts as they were.
The one-second bound is a security property (no input may make a callback work hard), so
it is asserted generously, not as a speed figure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.dashboard import PAGE_OUTPUTS, Dashboard, ServerLog, store
from support.warehouse import Warehouse

from dashboards.guard import MAX_BODY_BYTES, MAX_DEPTH, nested_deeper_than

HOSTILE = {
    "sql injection": "2025-01-01'; drop table marts.fct_orders; --",
    "union select": "DE' union select usename, passwd from pg_shadow --",
    "100 kB string": "A" * 100_000,
    "nul byte": "DE\x00",
    "object": {"$gt": "", "__proto__": {"admin": True}},
    "number": 1e308,
    "nested list": [["DE"], {"a": 1}],
}
# well formed, but no such country or channel
UNKNOWN = {"countries": "ZZ", "channels": "carrier_pigeon"}
FIELDS = ("start", "countries", "channels")
LEAKS = ("Traceback", 'File "', "psycopg2", "select ", "marts.", "password")
# JSON nested 3,000 levels deep: the standard library's parser gives up at about 1,000
DEEP = {
    "list": "[" * 3000 + "]" * 3000,
    "object": '{"a":' * 3000 + "1" + "}" * 3000,
}


@pytest.fixture(scope="module", autouse=True)
def marts_before(built_warehouse: Warehouse) -> dict[str, int]:
    return mart_counts(built_warehouse)


@pytest.fixture(scope="module", autouse=True)
def module_log(dashboard_url: str, dashboard_log_path: Any) -> Iterator[ServerLog]:
    """The session dashboard's log from the first hostile request of this module on."""
    log = ServerLog(dashboard_log_path)
    log.mark()
    yield log


def mart_counts(w: Warehouse) -> dict[str, int]:
    tables = [
        row[0]
        for row in _rows(
            w,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    ]
    assert "fct_orders" in tables
    return {table: w.scalar(f'select count(*) from marts."{table}"') for table in tables}


def _rows(w: Warehouse, statement: str) -> list[tuple]:
    with w.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall()


def answer_cleanly(send: Any) -> requests.Response:
    """Send a request; the answer must be clean and quick."""
    started = time.perf_counter()
    response = send()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"a hostile request took {elapsed:.2f} s"
    assert response.status_code in (200, 204, 400, 500), response.status_code
    for leak in LEAKS:
        assert leak not in response.text, f"the answer shows {leak!r}: {response.text[:300]}"
    return response


def test_the_clean_answer_check_catches_a_leak() -> None:
    # the check every test below relies on, shown failing on an answer that leaks
    leaky = requests.Response()
    leaky.status_code = 500
    leaky._content = b'Traceback (most recent call last):\n  File "dashboards/db.py"'
    with pytest.raises(AssertionError, match="Traceback"):
        answer_cleanly(lambda: leaky)


def shown_message(response: requests.Response, page: str) -> str | None:
    """The page's message when the callback answered, None for an empty answer."""
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text[:300]
    outputs = response.json()["response"]
    message = outputs[f"{page}-message"]
    return None if message["hidden"] else message["children"]


@pytest.mark.parametrize("page", sorted(PAGE_OUTPUTS))
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_filters_get_a_clean_message(
    dashboard: Dashboard, page: str, field: str, kind: str
) -> None:
    filters: dict[str, Any] = store("2025-01-10", "2025-02-20")
    filters[field] = HOSTILE[kind] if field == "start" else [HOSTILE[kind]]
    response = answer_cleanly(
        lambda: dashboard.post(
            PAGE_OUTPUTS[page], {"filters-store.data": filters, "sales-grain.value": "week"}
        )
    )
    message = shown_message(response, page)
    assert message is not None and message.startswith("the "), message


@pytest.mark.parametrize(
    ("page", "field"),
    [
        (page, field)
        for page in sorted(PAGE_OUTPUTS)
        for field in sorted(UNKNOWN)
        # spend is not booked per country: marketing ignores the country filter
        if (page, field) != ("marketing", "countries")
    ],
)
def test_unknown_codes_select_nothing(dashboard: Dashboard, page: str, field: str) -> None:
    filters: dict[str, Any] = store("2025-01-10", "2025-02-20")
    filters[field] = [UNKNOWN[field]]
    response = answer_cleanly(
        lambda: dashboard.post(
            PAGE_OUTPUTS[page], {"filters-store.data": filters, "sales-grain.value": "week"}
        )
    )
    assert shown_message(response, page) is None
    chart = response.json()["response"][PAGE_OUTPUTS[page].split(".")[0]]["figure"]
    assert chart["layout"]["annotations"][0]["text"].startswith("No ")


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_options_and_links_are_refused(dashboard: Dashboard, kind: str) -> None:
    value = HOSTILE[kind]
    grain = answer_cleanly(
        lambda: dashboard.post(
            "sales-trend-chart.figure",
            {"filters-store.data": store("2025-01-10", "2025-02-20"), "sales-grain.value": value},
        )
    )
    assert shown_message(grain, "sales") == "choose a period from day, week, month"
    link = answer_cleanly(lambda: dashboard.post("filters-store.data", {"shell-url.search": value}))
    assert link.status_code == 200
    banner = link.json()["response"]["shell-banner"]
    if isinstance(value, str) and "=" not in value and len(value) < 4096:
        # a string without filters in it is a link without filters: the default view
        assert banner["hidden"] is True
    else:
        assert banner["hidden"] is False
    components = answer_cleanly(
        lambda: dashboard.post(
            "filters-store.data",
            {
                "filters-date-range.start_date": value,
                "filters-date-range.end_date": "2025-02-20",
                "filters-country.value": [value],
            },
        )
    )
    outputs = components.json()["response"]
    assert "filters-store" not in outputs
    assert outputs["shell-banner"]["hidden"] is False


@pytest.mark.parametrize("page", sorted(PAGE_OUTPUTS))
def test_hostile_downloads_download_nothing(dashboard: Dashboard, page: str) -> None:
    callback = dashboard.callback_for(f"{page}-download.data")
    button = callback["inputs"][0]["id"]
    for value in HOSTILE.values():
        response = answer_cleanly(
            lambda value=value: dashboard.post(
                f"{page}-download.data",
                {f"{button}.n_clicks": 1},
                {"filters-store.data": store(value, "2025-02-20"), "sales-grain.value": value},
            )
        )
        assert response.status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"output": "marts.fct_orders", "outputs": {"id": "x", "property": "y"}, "inputs": []},
        {
            "output": "sales-trend-chart.figure; drop table marts.fct_orders",
            "outputs": {"id": "sales-trend-chart", "property": "figure; drop"},
            "inputs": [{"id": "filters-store", "property": "data", "value": None}],
            "state": [],
        },
        {"output": "A" * 100_000, "outputs": [], "inputs": "x" * 100_000},
        ["not", "an", "object"],
    ],
    ids=["empty", "unknown output", "injected property", "100 kB envelope", "array"],
)
def test_malformed_callback_requests_are_refused_plainly(
    dashboard: Dashboard, dashboard_log: ServerLog, body: Any
) -> None:
    response = answer_cleanly(lambda: dashboard.post_body(body))
    assert response.status_code in (400, 500)
    # refused before Dash reads it: a 400 and one line in the log, not a 500 and a traceback
    assert response.status_code == 400
    assert_one_line_each(dashboard_log, 1)


def assert_one_line_each(log: ServerLog, requests_sent: int) -> None:
    written = log.since_mark()
    assert "Traceback" not in written, written[:2000]
    lines = written.splitlines()
    assert len(lines) == requests_sent, written[:2000]
    assert all(line.startswith("refused a callback request") for line in lines), written[:2000]


def every_input(dashboard: Dashboard) -> Iterator[tuple[str, dict[str, Any]]]:
    """(input, request body) for every input and state of every server-side callback, the
    body carrying a placeholder where that input's value goes."""
    for callback in dashboard.callbacks:
        if callback.get("clientside_function"):
            continue
        output = callback["output"].strip(".").split("...")[0]
        for group in ("inputs", "state"):
            for item in callback[group]:
                name = f"{item['id']}.{item['property']}"
                values = {name: "@@DEEP@@"}
                body = (
                    dashboard.body(output, values)
                    if group == "inputs"
                    else dashboard.body(output, {}, values)
                )
                yield name, body


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deeply_nested_input_values_are_refused_without_a_traceback(
    dashboard: Dashboard, dashboard_log: ServerLog, shape: str
) -> None:
    sent = 0
    for name, body in every_input(dashboard):
        text = json.dumps(body).replace('"@@DEEP@@"', DEEP[shape])
        response = answer_cleanly(lambda text=text: dashboard.post_text(text))
        assert response.status_code == 400, (name, response.status_code, response.text[:200])
        assert response.text == "The dashboard could not read that request.\n"
        sent += 1
    assert sent >= 20
    assert_one_line_each(dashboard_log, sent)


def test_an_oversized_body_is_refused_without_a_traceback(
    dashboard: Dashboard, dashboard_log: ServerLog
) -> None:
    body = dashboard.body("sales-trend-chart.figure", {"sales-grain.value": "w" * MAX_BODY_BYTES})
    response = answer_cleanly(lambda: dashboard.post_body(body))
    assert response.status_code == 400
    assert_one_line_each(dashboard_log, 1)


def test_the_nesting_check_counts_brackets_outside_strings_only() -> None:
    assert not nested_deeper_than(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, MAX_DEPTH)
    assert nested_deeper_than(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), MAX_DEPTH)
    assert nested_deeper_than(b'{"a":' * 40 + b"1" + b"}" * 40, MAX_DEPTH)
    assert not nested_deeper_than(json.dumps({"value": "[{" * 100}).encode(), MAX_DEPTH)
    assert not nested_deeper_than(json.dumps({"value": '\\"[[[' * 100}).encode(), MAX_DEPTH)
    # the worst bodies let through are read in well under the one-second bound: an
    # unterminated string full of escaped quotes, brackets that never close or never open
    for worst in (b'"' + b'a\\"' * (MAX_BODY_BYTES // 3), b"[]," * (MAX_BODY_BYTES // 3)):
        started = time.perf_counter()
        nested_deeper_than(worst[:MAX_BODY_BYTES], MAX_DEPTH)
        assert time.perf_counter() - started < 0.5


def test_unknown_columns_in_the_store_change_nothing(
    dashboard: Dashboard, built_warehouse: Warehouse
) -> None:
    base = dashboard.call(
        "overview-kpi-revenue.children", {"filters-store.data": store("2025-01-10", "2025-02-20")}
    )
    tampered = {
        **store("2025-01-10", "2025-02-20"),
        "column": "password",
        "order_by": "1; drop table marts.fct_orders",
        "schema": "pg_catalog",
    }
    out = dashboard.call("overview-kpi-revenue.children", {"filters-store.data": tampered})
    assert out["overview-kpi-revenue"] == base["overview-kpi-revenue"]


def test_the_marts_are_intact_after_the_hostile_requests(
    built_warehouse: Warehouse, marts_before: dict[str, int]
) -> None:
    # runs last in this module: every hostile request above has been answered
    assert mart_counts(built_warehouse) == marts_before


def test_no_hostile_request_left_a_traceback_in_the_server_log(module_log: ServerLog) -> None:
    written = module_log.since_mark()
    assert "Traceback" not in written, written[:3000]
