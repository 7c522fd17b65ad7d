"""The ECB source against an endpoint in the Frankfurter shape that sends one bad rate."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from support.ingest import raw_keys
from support.json_endpoint import json_endpoint
from support.warehouse import Warehouse

PAYLOAD = {
    "amount": 1.0,
    "base": "EUR",
    "start_date": "2024-12-02",
    "end_date": "2024-12-03",
    "rates": {
        "2024-12-02": {"USD": 1.05, "GBP": "n/a"},
        "2024-12-03": {"USD": 1.06, "GBP": 0.83},
        "2024-13-04": {"USD": 1.07},
    },
}


@pytest.fixture
def frankfurter() -> Iterator[str]:
    with json_endpoint(lambda path: PAYLOAD) as url:
        yield url


def test_rates_that_do_not_parse_are_quarantined(
    fresh_warehouse: Warehouse, frankfurter: str
) -> None:
    fresh_warehouse.dataops(
        "ingest",
        "ecb",
        SOURCES__ECB__BASE_URL=frankfurter,
        SOURCES__ECB__MAX_REJECTED_SHARE="0.5",
    )

    loaded = raw_keys(fresh_warehouse, "raw_ecb.euro_rates", "rate_date::text, currency")
    assert loaded == {("2024-12-02", "USD"), ("2024-12-03", "USD"), ("2024-12-03", "GBP")}
    rejected = {
        (json.loads(raw)["rate_date"], json.loads(raw)["currency"], error)
        for raw, error in fresh_warehouse.rows("select raw_text, error from raw_ecb._rejected_rows")
    }
    assert rejected == {
        ("2024-12-02", "GBP", "rate: 'n/a' is not a number"),
        ("2024-13-04", "USD", "rate_date: '2024-13-04' is not a date (YYYY-MM-DD)"),
    }
