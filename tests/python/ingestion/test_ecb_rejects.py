"""An ECB rate rejected once and loaded correctly later no longer warns; a rate not loaded
since still does (`no_unresolved_rejects`, as for the shop). The endpoint is in the Frankfurter
shape and answers `/<start>..` with the rates from that day on, as the real one does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.json_endpoint import json_endpoint
from support.warehouse import Warehouse

# day -> currency -> rate, as the endpoint serves it now
RATES: dict[str, dict[str, Any]] = {}


def _rates_from(path: str) -> dict[str, Any]:
    start = urlsplit(path).path.strip("/").removesuffix("..")
    days = {day: rates for day, rates in RATES.items() if day >= start}
    return {"amount": 1.0, "base": "EUR", "rates": days}


@pytest.fixture
def frankfurter() -> Iterator[str]:
    RATES.clear()
    with json_endpoint(_rates_from) as url:
        yield url


def test_an_ecb_reject_loaded_correctly_later_no_longer_warns(
    fresh_warehouse: Warehouse, frankfurter: str
) -> None:
    w = fresh_warehouse
    settings = {"SOURCES__ECB__BASE_URL": frankfurter, "SOURCES__ECB__MAX_REJECTED_SHARE": "1"}
    select = ("dbt", "test", "--select", "source:ecb._rejected_rows")

    # every rate of the first run rejected: no rates table yet, and both rejects warn
    RATES["2024-12-02"] = {"USD": "n/a", "GBP": "n/a"}
    w.dataops("ingest", "ecb", **settings)
    warned = w.dataops(*select, check=False)
    assert "WARN 2 no_rejected_rows_in_raw_ecb" in warned.stdout, warned.stdout[-2000:]

    # the cursor has not moved, so the day is read again: USD is now good, GBP still is not
    RATES["2024-12-02"] = {"USD": 1.05, "GBP": "n/a"}
    RATES["2024-12-03"] = {"USD": "n/a", "GBP": 0.83}
    w.dataops("ingest", "ecb", **settings)
    warned = w.dataops(*select, check=False)
    assert "WARN 2 no_rejected_rows_in_raw_ecb" in warned.stdout, warned.stdout[-2000:]

    # the next run reads from the newest day on: its USD rate, corrected, loads
    RATES["2024-12-03"] = {"USD": 1.06, "GBP": 0.83}
    w.dataops("ingest", "ecb", **settings)
    partly = w.dataops(*select, check=False)

    loaded = w.rows("select rate_date::text, currency, rate from raw_ecb.euro_rates")
    assert sorted(loaded) == [
        ("2024-12-02", "USD", 1.05),
        ("2024-12-03", "GBP", 0.83),
        ("2024-12-03", "USD", 1.06),
    ]
    # 2024-12-02's GBP rate was never loaded: it still warns, alone
    assert "WARN 1 no_rejected_rows_in_raw_ecb" in partly.stdout, partly.stdout[-2000:]
    # raw keeps the history: a reject read again replaces itself, a resolved one stays
    assert w.rows("select count(*) from raw_ecb._rejected_rows") == [(3,)]
