"""The dashboard's database access (`db`, `cache`, `queries`) against a real PostgreSQL: bound
parameters, allowlists, read-only sessions, the cache and its invalidation, and errors that a
page can show."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
from support.warehouse import Warehouse

from dashboards import cache, db
from dashboards.filters import Filters
from dashboards.queries import coverage, overview, products, sales, shell
from dataops.core.warehouse import WarehouseSettings, free_port

JANUARY = Filters(date(2025, 1, 1), date(2025, 1, 31))

CREATE_REVENUE = """
create table marts.{name} (
    revenue_date date, country_code text, channel text, order_count integer,
    cancelled_order_count integer, new_customer_count integer, item_count integer,
    gross_revenue_eur numeric(14, 2), refunded_eur numeric(14, 2), net_revenue_eur numeric(14, 2)
)
"""
ROWS = """
insert into marts.{name} values
    ('2025-01-05', 'DE', 'email', 3, 1, 2, 5, 120.00, 20.00, 100.00),
    ('2025-01-06', 'FR', 'direct', 2, 0, 1, 2, 50.00, 0.00, 50.00),
    ('2025-02-01', 'DE', 'email', 1, 0, 0, 1, 10.00, 0.00, 10.00)
"""


@pytest.fixture
def marts(fresh_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """A database with a small revenue mart, and the dashboard pointed at it."""
    w = fresh_warehouse
    w.execute("create schema marts")
    w.execute(CREATE_REVENUE.format(name="rpt_revenue_daily"))
    w.execute(ROWS.format(name="rpt_revenue_daily"))
    monkeypatch.setenv("DATABASE_URL", w.settings.url())
    monkeypatch.setenv("DASHBOARD_CACHE_CHECK_SECONDS", "0")
    monkeypatch.delenv("DATAOPS_MARTS_SCHEMA", raising=False)
    cache.reset()
    yield w
    cache.reset()


def revenue_by_country(filters: Filters) -> dict[str, float]:
    return {
        row["country_code"]: float(row["net_revenue_eur"])
        for row in sales.sales_by(filters, "country")
    }


def test_filters_select_exactly_the_matching_rows(marts: Warehouse) -> None:
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}
    germany_by_email = Filters(JANUARY.start, JANUARY.end, ("DE",), ("email",))
    assert revenue_by_country(germany_by_email) == {"DE": 100.0}
    assert revenue_by_country(Filters(JANUARY.start, JANUARY.end, ("ZZ",))) == {}
    totals = overview.revenue_totals(Filters(date(2025, 2, 1), date(2025, 2, 28)))
    # the previous 28 days reach back to 4 January: both January rows
    assert float(totals["current"]["net_revenue_eur"]) == 10.0
    assert float(totals["previous"]["net_revenue_eur"]) == 150.0


def test_values_travel_as_bound_parameters(marts: Warehouse) -> None:
    # a value the filters would refuse, passed straight to a query, is only a value
    hostile = Filters(JANUARY.start, JANUARY.end, ("DE') or ('1' = '1",), ("x'; drop table y; --",))
    assert revenue_by_country(hostile) == {}
    assert marts.scalar("select count(*) from marts.rpt_revenue_daily") == 3


def test_identifiers_and_grains_come_only_from_allowlists(marts: Warehouse) -> None:
    with pytest.raises(KeyError):
        sales.sales_by(JANUARY, "country_code; drop table marts.rpt_revenue_daily")
    with pytest.raises(ValueError, match="unknown grain"):
        sales.sales_over_time(JANUARY, "year")
    weeks = sales.sales_over_time(JANUARY, db.GRAINS["week"])
    assert [row["period_start"] for row in weeks] == [date(2024, 12, 30), date(2025, 1, 6)]


def test_sessions_are_read_only(marts: Warehouse) -> None:
    with pytest.raises(db.DataUnavailable):
        cache.query("delete from {marts}.rpt_revenue_daily")
    assert marts.scalar("select count(*) from marts.rpt_revenue_daily") == 3


def test_results_are_cached_until_dbt_replaces_the_mart(
    marts: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}
    before = cache.cache_stats()
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}
    assert cache.cache_stats()["hits"] == before["hits"] + 1
    # dbt's table materialization: build a new table, swap it in by renaming, drop the old
    marts.execute(CREATE_REVENUE.format(name="rpt_revenue_daily__dbt_tmp"))
    marts.execute(
        "insert into marts.rpt_revenue_daily__dbt_tmp"
        " select * from marts.rpt_revenue_daily where country_code = 'FR'"
    )
    monkeypatch.setenv("DASHBOARD_CACHE_CHECK_SECONDS", "3600")
    marts.execute(
        "alter table marts.rpt_revenue_daily rename to rpt_revenue_daily__dbt_backup;"
        " alter table marts.rpt_revenue_daily__dbt_tmp rename to rpt_revenue_daily;"
        " drop table marts.rpt_revenue_daily__dbt_backup"
    )
    # within the check interval the cache still answers: this is what makes it fast ...
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}
    # ... and the first check after the build sees the new table
    monkeypatch.setenv("DASHBOARD_CACHE_CHECK_SECONDS", "0")
    assert revenue_by_country(JANUARY) == {"FR": 50.0}


def test_rows_written_by_an_incremental_build_empty_the_cache(marts: Warehouse) -> None:
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}
    marts.execute(
        "insert into marts.rpt_revenue_daily"
        " values ('2025-01-07', 'IT', 'email', 1, 0, 1, 1, 7.00, 0.00, 7.00)"
    )
    # write counters reach the statistics when the writing session ends, a moment later
    deadline = time.monotonic() + 15
    while revenue_by_country(JANUARY) != {"DE": 100.0, "FR": 50.0, "IT": 7.0}:
        assert time.monotonic() < deadline, "the cache never saw the new rows"
        time.sleep(0.2)


def test_a_page_answer_is_remembered_until_the_mart_changes(marts: Warehouse) -> None:
    builds: list[Filters] = []

    def answer(filters: Filters) -> dict[str, float]:
        builds.append(filters)
        return revenue_by_country(filters)

    first = cache.remembered(answer, JANUARY)
    assert first == {"DE": 100.0, "FR": 50.0}
    assert cache.remembered(answer, JANUARY) is first
    assert builds == [JANUARY]
    february = Filters(date(2025, 2, 1), date(2025, 2, 28))
    assert cache.remembered(answer, february) == {"DE": 10.0}
    assert builds == [JANUARY, february]
    marts.execute("delete from marts.rpt_revenue_daily where country_code = 'FR'")
    deadline = time.monotonic() + 15
    while cache.remembered(answer, JANUARY) != {"DE": 100.0}:
        assert time.monotonic() < deadline, "the remembered answer outlived the mart's change"
        time.sleep(0.2)


def test_a_failed_page_answer_is_not_remembered(marts: Warehouse) -> None:
    attempts = []

    def answer(filters: Filters) -> list:
        attempts.append(filters)
        return products.product_sales(filters)["top"]  # its mart is not built: it raises

    for _ in range(2):
        with pytest.raises(db.MartNotBuilt):
            cache.remembered(answer, JANUARY)
    assert attempts == [JANUARY, JANUARY]


def test_a_mart_that_is_not_built_yet_is_said_so(marts: Warehouse) -> None:
    with pytest.raises(db.MartNotBuilt, match="not been built yet"):
        products.product_sales(JANUARY)
    freshness = {row["mart"]: row for row in coverage.mart_freshness()}
    assert set(freshness) == set(coverage.DATED_MARTS)
    assert freshness["rpt_revenue_daily"]["row_count"] == 3
    assert freshness["rpt_product_sales_daily"]["row_count"] is None


def test_a_warehouse_that_is_down_is_said_so_without_details(
    server_connection: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = WarehouseSettings("127.0.0.1", free_port(), "nobody", "secret", "warehouse", "test")
    monkeypatch.setenv("DATABASE_URL", closed.url())
    cache.reset()
    try:
        with pytest.raises(db.WarehouseUnreachable) as raised:
            shell.available_dates()
    finally:
        cache.reset()
    message = str(raised.value)
    assert message.startswith("The warehouse cannot be reached right now")
    assert str(closed.port) not in message
    assert "secret" not in message


def test_after_a_failed_check_the_cache_answers_nothing_until_the_warehouse_is_back(
    marts: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_CACHE_CHECK_SECONDS", "0.5")
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}  # cached, and checked
    # the warehouse goes away, and the pooled connections with it
    up = marts.settings.url()
    closed = WarehouseSettings("127.0.0.1", free_port(), "nobody", "secret", "warehouse", "test")
    monkeypatch.setenv("DATABASE_URL", closed.url())
    db.close_pool()
    time.sleep(0.6)
    # the first request after the check interval notices; every one after it says so too,
    # rather than answering from the cache until the next check
    for _ in range(3):
        with pytest.raises(db.WarehouseUnreachable):
            revenue_by_country(JANUARY)
        with pytest.raises(db.WarehouseUnreachable):
            shell.available_dates()
    monkeypatch.setenv("DATABASE_URL", up)
    db.close_pool()
    assert revenue_by_country(JANUARY) == {"DE": 100.0, "FR": 50.0}
