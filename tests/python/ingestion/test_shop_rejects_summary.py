"""The summary line of a run with rejects says where they came from and how many, in one
line: the files or endpoints with the most rejects first, the rest counted ("and N more")."""

from __future__ import annotations

from support.ingest import DemoShop, last_line
from support.warehouse import Warehouse
from test_shop_api import _break_records

from dataops.core.warehouse import WarehouseSettings
from dataops.pipeline import rejects_since


def test_the_summary_line_names_each_origin_and_its_rejects(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    _break_records(shop)  # 3 payments, 2 orders, 1 customer

    with shop.serve() as api:
        result = fresh_warehouse.dataops(
            "ingest", "shop", **api.env(SOURCES__SHOP__MAX_REJECTED_SHARE="0.05")
        )

    line = last_line(result.stderr)
    endpoint = f"{api.base_url}/api/v1/"
    assert line.endswith(
        f", _rejected_rows 6; rejected: {endpoint}payments 3, {endpoint}orders 2,"
        f" {endpoint}customers 1)"
    ), line
    assert "shop: done in " in line

    settings: WarehouseSettings = fresh_warehouse.settings
    since = "2000-01-01T00:00:00Z"
    bounded = rejects_since(settings, "shop", since).by_origin(shown=2)
    assert bounded == f"{endpoint}payments 3, {endpoint}orders 2 and 1 more"


def _repair(shop: DemoShop, table: str, key: str, keys: set[int], fix: str) -> None:
    """Give broken records good values again, changed now (the newest `updated_at`), so the
    next run reads them."""
    newest = shop.rows(f"select max(updated_at) from {table}")[0][0]
    for record in keys:
        shop.execute(f"update {table} set updated_at = ? where {key} = ?", (newest, record))
    shop.execute(fix)


def test_a_reject_loaded_correctly_later_no_longer_warns(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    w = fresh_warehouse
    broken = _break_records(shop)
    settings = {"SOURCES__SHOP__MAX_REJECTED_SHARE": "0.05"}
    select = ("dbt", "test", "--select", "source:shop._rejected_rows")
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env(**settings))
    warned = w.dataops(*select, check=False)
    assert "WARN 6 no_rejected_rows_in_raw_shop" in warned.stdout, warned.stdout[-2000:]

    # the payments are fixed and read again; the others still fail (and may be read again)
    fix_payments = "update payments set amount = 12.5 where amount = 'twelve'"
    _repair(shop, "payments", "payment_id", broken["payments"], fix_payments)
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env(**settings))
    partly = w.dataops(*select, check=False)
    rejected = w.rows("select count(*) from raw_shop._rejected_rows")[0][0]
    assert f"WARN {rejected - 3} no_rejected_rows_in_raw_shop" in partly.stdout, partly.stdout

    # every record fixed and read again: nothing left to warn about, raw keeps the history
    _repair(
        shop,
        "orders",
        "order_id",
        broken["orders"],
        "update orders set customer_id = 17 where customer_id = 'c-17'",
    )
    shop.execute("update order_items set quantity = 2 where quantity = 'two'")
    _repair(
        shop,
        "customers",
        "customer_id",
        broken["customers"],
        "update customers set created_at = updated_at where created_at = 'yesterday'",
    )
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env(**settings))
    resolved = w.dataops(*select, check=False)
    assert resolved.returncode == 0, resolved.stdout[-2000:]
    assert "PASS no_rejected_rows_in_raw_shop" in resolved.stdout, resolved.stdout[-2000:]
    assert w.rows("select count(*) from raw_shop._rejected_rows")[0][0] >= rejected
