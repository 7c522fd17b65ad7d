"""An ECB rate rejected once and loaded correctly later no longer warns; a rate not loaded
since still does (`no_unresolved_rejects`, as for the shop). The endpoint is in the Frankfurter
shape and answers `/<start>..` with the rates from that day on, as the real one does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.warehouse import Warehouse

# day -> currency -> rate, as the endpoint serves it now
RATES: dict[str, dict[str, Any]] = {}


class _Frankfurter(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        start = urlsplit(self.path).path.strip("/").removesuffix("..")
        days = {day: rates for day, rates in RATES.items() if day >= start}
        body = json.dumps({"amount": 1.0, "base": "EUR", "rates": days}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def frankfurter() -> Iterator[str]:
    RATES.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Frankfurter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


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
