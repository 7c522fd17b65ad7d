"""A failed request names what to fix: the source, the resource and the URL, in one line.

401 and 5xx did already (requests puts the URL in their message); a body cut short, a page
that is not JSON and a timeout ended with the bare `IncompleteRead(…)`, `Unterminated string …`
or `timed out`. Against the demo API over a real socket, one resource misbehaving.
"""

from __future__ import annotations

import pytest
from support.ingest import DemoShop, last_line
from support.warehouse import Warehouse

CASES = {
    # fault, reason in the line
    "truncate": ("truncate:always@orders", "IncompleteRead"),
    "invalid JSON": ("badjson:always@orders", "not valid JSON"),
    "timeout": ("slow:3@orders", "timed out"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_response_names_source_resource_and_url(
    fresh_warehouse: Warehouse, shop: DemoShop, case: str
) -> None:
    fault, reason = CASES[case]
    with shop.serve(fault) as api:
        result = fresh_warehouse.dataops(
            "ingest",
            "shop",
            check=False,
            **api.env(RUNTIME__REQUEST_MAX_ATTEMPTS="2", RUNTIME__REQUEST_TIMEOUT="1"),
        )

    assert result.returncode == 1, result.stderr[-2000:]
    line = last_line(result.stderr)
    assert line.startswith("error: shop: extract step failed: "), line
    assert reason in line, line
    assert "resource orders" in line, line
    assert f"{api.base_url}/api/v1/orders" in line, line
    assert line.endswith("no load was completed, the next run starts from the last completed load")


def test_a_status_error_keeps_its_url_once(fresh_warehouse: Warehouse, shop: DemoShop) -> None:
    with shop.serve("503:always@payments") as api:
        result = fresh_warehouse.dataops(
            "ingest", "shop", check=False, **api.env(RUNTIME__REQUEST_MAX_ATTEMPTS="1")
        )

    line = last_line(result.stderr)
    assert line.startswith("error: shop: extract step failed: 503 Server Error"), line
    assert line.count("/api/v1/payments") == 1, line
    assert "(resource payments)" in line, line
