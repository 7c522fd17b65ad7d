"""The walking skeleton end to end: generate, ingest, dbt build, on a fresh database.

The tests in this module run in order on one warehouse; the last one advances the demo
business by a day, so it comes last.
"""

from __future__ import annotations

from support.raw import duplicate_customer
from support.warehouse import DEMO_DAYS, DEMO_ORDERS, Warehouse

MARTS = ("fct_orders", "dim_customers", "dim_products", "rpt_revenue_daily")


def mart_counts(warehouse: Warehouse) -> dict[str, int]:
    return {mart: warehouse.scalar(f"select count(*) from marts.{mart}") for mart in MARTS}


def test_every_layer_is_built_from_the_sources(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    raw_orders = w.scalar("select count(distinct order_id) from raw_shop.orders")
    assert raw_orders > DEMO_ORDERS * DEMO_DAYS / 365 * 0.5
    # every source order reaches the fact exactly once, nothing extra
    missing = w.scalar(
        "select count(*) from (select order_id from raw_shop.orders"
        " except select order_id from marts.fct_orders) as missing"
    )
    extra = w.scalar(
        "select count(*) from (select order_id from marts.fct_orders"
        " except select order_id from raw_shop.orders) as extra"
    )
    assert (missing, extra) == (0, 0)
    assert w.scalar("select count(*) from marts.dim_products") == w.scalar(
        "select count(distinct product_id) from raw_shop.products"
    )
    for table in ("raw_ecb.euro_rates", "raw_landing.marketing_spend", "raw_landing.web_sessions"):
        assert w.scalar(f"select count(*) from {table}") > 0, table
    # several currencies were converted, none left without a rate
    assert w.scalar("select count(distinct currency) from marts.fct_orders") >= 4
    assert w.scalar("select count(*) from marts.fct_orders where order_total_eur is null") == 0


def test_rollup_matches_the_facts(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    rollup = w.scalar("select sum(net_revenue_eur) from marts.rpt_revenue_daily")
    facts = w.scalar("select sum(net_revenue_eur) from marts.fct_orders")
    assert rollup == facts
    assert rollup > 0


def test_rerun_for_the_same_day_reuses_the_database_and_keeps_counts(
    built_warehouse: Warehouse,
) -> None:
    w = built_warehouse
    before = mart_counts(w)
    raw_before = w.scalar("select count(*) from raw_shop.orders")
    w.dataops("run", "--days", str(DEMO_DAYS), "--orders", str(DEMO_ORDERS))
    assert mart_counts(w) == before
    assert w.scalar("select count(*) from raw_shop.orders") == raw_before
    assert w.scalar("select count(*) - count(distinct order_id) from raw_shop.orders") == 0


def test_a_failing_dbt_test_turns_the_build_red(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    with duplicate_customer(w):
        result = w.dataops("transform", "--", "--select", "stg_shop__customers", check=False)
        assert result.returncode != 0
        assert "unique_stg_shop__customers_customer_id" in result.stdout
        assert result.stderr.strip().splitlines()[-1].startswith("error: `dbt build")
    assert w.dataops("transform", "--", "--select", "stg_shop__customers").returncode == 0


def test_advancing_a_day_adds_orders_and_applies_late_updates(
    built_warehouse: Warehouse,
) -> None:
    w = built_warehouse
    before = w.scalar("select max(updated_at) from marts.fct_orders")
    orders_before = w.scalar("select count(*) from marts.fct_orders")
    w.dataops("run", "--days", str(DEMO_DAYS + 1), "--orders", str(DEMO_ORDERS))
    assert w.scalar("select count(*) from marts.fct_orders") > orders_before
    # an order placed before the new day changed on it (a late status change)
    late = w.scalar(
        "select count(*) from marts.fct_orders where updated_at > %s and ordered_at <= %s",
        (before, before),
    )
    assert late > 0
    assert w.scalar("select count(*) - count(distinct order_id) from raw_shop.orders") == 0
