"""Pagination that would not end stops the run: a `next_cursor` the resource already
requested, or more pages than `sources.shop.max_pages`.

Against the demo API over a real socket; each run is bounded by a timeout, since the defect
was a run that requested pages forever. The failed run keeps nothing: no completed load, the
raw rows and the incremental cursors as the last good run left them.
"""

from __future__ import annotations

import subprocess

import pytest
from support.ingest import DemoShop, last_line
from support.warehouse import DATAOPS, Warehouse
from test_shop_api import assert_shop_loaded, cursors, snapshot

from dataops.core.paths import REPO_ROOT

# a looping run used to request pages forever: a healthy shop run takes a few seconds
RUN_TIMEOUT_SECONDS = 240


def ingest_shop(w: Warehouse, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATAOPS, "ingest", "shop"],
        cwd=REPO_ROOT,
        env=w.env(**env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("fault", ["loop_cursor:orders", "repeat_page:orders"])
def test_a_cursor_that_loops_back_stops_the_run_and_keeps_nothing(
    fresh_warehouse: Warehouse, shop: DemoShop, fault: str
) -> None:
    w = fresh_warehouse
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    before, cursors_before = snapshot(w), cursors(w)
    shop.advance(45)

    with shop.serve(fault) as api:
        # small pages, so the new orders take several
        failed = ingest_shop(w, api.env(SOURCES__SHOP__PAGE_SIZE="20"))

    assert failed.returncode == 1, failed.stderr[-2000:]
    assert api.faults.injected[fault] >= 1
    line = last_line(failed.stderr)
    assert line.startswith("error: shop: extract step failed: resource orders"), line
    assert "/api/v1/orders" in line
    assert "next_cursor '" in line and "already requested" in line, line
    assert snapshot(w) == before
    assert cursors(w) == cursors_before
    # the next run against a healthy API reads everything the failed one missed
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    assert_shop_loaded(w, shop)


def test_more_pages_than_the_limit_stop_the_run(fresh_warehouse: Warehouse, shop: DemoShop) -> None:
    w = fresh_warehouse
    with shop.serve() as api:
        failed = ingest_shop(w, api.env(SOURCES__SHOP__MAX_PAGES="2"))

    assert failed.returncode == 1, failed.stderr[-2000:]
    line = last_line(failed.stderr)
    assert line.startswith("error: shop: extract step failed: resource "), line
    assert "more than 2 pages (sources.shop.max_pages), next_cursor '" in line, line
    completed = w.rows(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw_shop' and table_name = '_dlt_loads'"
    )[0][0]
    if completed:
        assert w.rows("select count(*) from raw_shop._dlt_loads")[0][0] == 0

    # a limit the shop fits in loads it whole
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env(SOURCES__SHOP__MAX_PAGES="1000"))
    assert_shop_loaded(w, shop)
