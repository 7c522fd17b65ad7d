"""The summary line of a run with rejects says where they came from and how many, in one
line: the files or endpoints with the most rejects first, the rest counted ("and N more")."""

from __future__ import annotations

from support.ingest import DemoShop, last_line
from support.warehouse import Warehouse
from test_shop_api import _break_records

from dataops.core.warehouse import WarehouseSettings
from dataops.pipeline import rejects_by_origin


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
    bounded = rejects_by_origin(settings, "shop", since, shown=2)
    assert bounded == f"{endpoint}payments 3, {endpoint}orders 2 and 1 more"
