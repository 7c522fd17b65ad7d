"""The Shop API source against the demo API over HTTP: faults, quarantine, schema drift.

Each test loads the shop with `dataops ingest shop` (a subprocess) into its own database and
compares the primary keys in raw with the records the shop holds, both ways.
"""

from __future__ import annotations

import json

from support.ingest import DemoShop, last_line, raw_keys
from support.warehouse import Warehouse

from demo.generator import LANDING_DIRNAME

SHOP_TABLES = {
    "customers": "customer_id",
    "products": "product_id",
    "orders": "order_id",
    "payments": "payment_id",
}


def assert_shop_loaded(
    w: Warehouse, shop: DemoShop, rejected: dict[str, set] | None = None
) -> None:
    """Raw holds every record of the shop exactly once, except the rejected ones."""
    rejected = rejected or {}
    for table, key in SHOP_TABLES.items():
        expected = shop.keys(table, key) - rejected.get(table, set())
        loaded = raw_keys(w, f"raw_shop.{table}", key)
        assert loaded - expected == set(), f"{table}: unexpected keys"
        assert expected - loaded == set(), f"{table}: missing keys"
        duplicates = w.rows(
            f"select count(*) - count(distinct {key}) from raw_shop.{table}",
        )[0][0]
        assert duplicates == 0, table
    expected_lines = {
        line for line in shop.line_keys() if line[0] not in rejected.get("orders", set())
    }
    loaded_lines = set(
        w.rows(
            "select order_id, line_number from raw_shop.order_line_items",
        )
    )
    assert loaded_lines == expected_lines
    duplicate_lines = w.rows(
        "select count(*) - count(distinct (order_id, line_number)) from raw_shop.order_line_items",
    )[0][0]
    assert duplicate_lines == 0
    orphans = w.rows(
        "select count(*) from raw_shop.order_line_items where order_id not in"
        " (select order_id from raw_shop.orders)",
    )[0][0]
    assert orphans == 0


def cursors(w: Warehouse) -> dict[str, str]:
    """Each resource's incremental `updated_at` cursor in the local pipeline state."""
    state = json.loads((w.state_dir / "dlt" / "pipelines" / "shop" / "state.json").read_text())
    resources = state["sources"]["shop"]["resources"]
    return {
        name: resource["incremental"]["updated_at"]["last_value"]
        for name, resource in resources.items()
        if "incremental" in resource
    }


def snapshot(w: Warehouse) -> dict[str, object]:
    """Completed loads and every raw row's key and load, to compare before and after a run."""
    result: dict[str, object] = {
        "loads": w.rows("select load_id, status from raw_shop._dlt_loads order by load_id"),
        "states": w.rows("select count(*) from raw_shop._dlt_pipeline_state")[0][0],
    }
    for table, key in SHOP_TABLES.items():
        result[table] = sorted(w.rows(f"select {key}, _dlt_load_id from raw_shop.{table}"))
    result["lines"] = sorted(
        w.rows("select order_id, line_number, _dlt_load_id from raw_shop.order_line_items")
    )
    return result


def test_transient_faults_are_retried_and_every_record_lands_once(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    # a repeated page is a revisited cursor, which stops the run (test_shop_pagination.py)
    faults = "429:2@customers,500:2@orders,503:1@payments,slow:0.02"
    with shop.serve(faults) as api:
        fresh_warehouse.dataops("ingest", "shop", **api.env())

    injected = api.faults.injected
    assert (injected["429"], injected["500"], injected["503"]) == (2, 2, 1)
    assert injected["slow"] > len(SHOP_TABLES)
    # the client waited as long as Retry-After asked (1 s) before each retry
    assert len(api.faults.waits_after_429) == 2
    assert min(api.faults.waits_after_429) >= 1.0
    assert_shop_loaded(fresh_warehouse, shop)


def test_without_retries_a_rate_limit_fails_the_run(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    with shop.serve("429:1") as api:
        result = fresh_warehouse.dataops(
            "ingest", "shop", check=False, **api.env(RUNTIME__REQUEST_MAX_ATTEMPTS="1")
        )

    assert result.returncode == 1
    assert last_line(result.stderr).startswith("error: shop: extract step failed: 429")


def test_a_persistent_failure_commits_nothing_and_keeps_the_cursors(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    w = fresh_warehouse
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    before, cursors_before = snapshot(w), cursors(w)
    shop.advance(45)  # new orders and late changes to earlier ones

    with shop.serve("500:always@payments") as api:
        failed = w.dataops("ingest", "shop", check=False, **api.env())

    assert failed.returncode == 1
    line = last_line(failed.stderr)
    assert line.startswith("error: shop: extract step failed: 500 Server Error"), line
    assert "/api/v1/payments" in line
    assert api.faults.injected["500"] == 4  # every attempt
    assert snapshot(w) == before
    assert cursors(w) == cursors_before
    # the next healthy run reads everything the failed one missed
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    assert_shop_loaded(w, shop)
    assert cursors(w) != cursors_before


def raw_tables(w: Warehouse, schema: str) -> list[tuple]:
    return w.rows(
        "select table_name from information_schema.tables where table_schema = %s"
        " and table_name not like '\\_dlt%%'",
        (schema,),
    )


def test_a_failing_source_does_not_keep_the_others_from_loading(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    w = fresh_warehouse
    with shop.serve("500:always@payments") as api:
        landing = (shop.state_dir / LANDING_DIRNAME).as_uri()
        failed = w.dataops(
            "ingest",
            "shop",
            "landing",
            check=False,
            SOURCES__LANDING__BUCKET_URL=landing,
            **api.env(),
        )

    assert failed.returncode == 1
    line = last_line(failed.stderr)
    assert line.startswith("error: shop: extract step failed: 500 Server Error"), line
    assert raw_tables(w, "raw_shop") == []  # the failed run committed nothing
    files = w.rows("select count(*), count(distinct source_file) from raw_landing._loaded_files")
    assert files[0][0] > 0
    sessions = w.rows("select count(*) from raw_landing.web_sessions")[0][0]
    assert sessions > 0


def _break_records(shop: DemoShop) -> dict[str, set[int]]:
    """Give some records values their resource's model refuses; returns their keys."""
    payments = {row[0] for row in shop.rows("select payment_id from payments limit 3")}
    for payment_id in payments:
        shop.execute("update payments set amount = 'twelve' where payment_id = ?", (payment_id,))
    orders = [row[0] for row in shop.rows("select order_id from orders order by order_id limit 2")]
    shop.execute("update orders set customer_id = 'c-17' where order_id = ?", (orders[0],))
    shop.execute(
        "update order_items set quantity = 'two' where order_id = ? and line_number = 1",
        (orders[1],),
    )
    customer = shop.rows("select max(customer_id) from customers")[0][0]
    shop.execute("update customers set created_at = 'yesterday' where customer_id = ?", (customer,))
    return {"payments": payments, "orders": set(orders), "customers": {customer}}


def _rejects(w: Warehouse) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for table, origin, raw_text, error, load_id in w.rows(
        "select table_name, origin, raw_text, error, _dlt_load_id from raw_shop._rejected_rows"
    ):
        assert origin.endswith(f"/api/v1/{table}")
        assert error and load_id
        found.setdefault(table, set()).add(json.loads(raw_text)[SHOP_TABLES[table]])
    return found


def test_records_failing_their_model_are_quarantined_and_the_rest_load(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    broken = _break_records(shop)

    with shop.serve() as api:
        fresh_warehouse.dataops(
            "ingest", "shop", **api.env(SOURCES__SHOP__MAX_REJECTED_SHARE="0.05")
        )

    assert _rejects(fresh_warehouse) == broken
    errors = {row[0] for row in fresh_warehouse.rows("select error from raw_shop._rejected_rows")}
    assert "amount: 'twelve' is not a number" in errors
    assert "line_items[1].quantity: 'two' is not an integer" in errors
    assert_shop_loaded(fresh_warehouse, shop, rejected=broken)


def test_more_rejects_than_allowed_turn_the_run_red_after_loading(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    shop.execute("update payments set amount = 'n/a' where payment_id % 5 = 0")
    broken = {"payments": {row[0] for row in shop.rows("select payment_id from payments")}}
    broken["payments"] = {key for key in broken["payments"] if key % 5 == 0}

    with shop.serve() as api:
        result = fresh_warehouse.dataops("ingest", "shop", check=False, **api.env())

    assert result.returncode == 1
    line = last_line(result.stderr)
    assert line.startswith(f"error: shop: {len(broken['payments']):,} of ")
    assert "above sources.shop.max_rejected_share 1.0%" in line
    # the good records and the rejects were loaded before the run turned red
    assert _rejects(fresh_warehouse) == broken
    assert_shop_loaded(fresh_warehouse, shop, rejected=broken)


def test_an_invalid_threshold_is_one_line(fresh_warehouse: Warehouse, shop: DemoShop) -> None:
    with shop.serve() as api:
        result = fresh_warehouse.dataops(
            "ingest", "shop", check=False, **api.env(SOURCES__SHOP__MAX_REJECTED_SHARE="lots")
        )

    assert result.returncode == 1
    assert last_line(result.stderr) == (
        "error: sources.shop.max_rejected_share must be a number from 0 to 1, got 'lots'"
    )


def variant_columns(w: Warehouse) -> list[tuple[str, str, str]]:
    """dlt variant columns (`<column>__v_<type>`) in any raw schema: none may exist."""
    return w.rows(
        "select table_schema, table_name, column_name from information_schema.columns"
        r" where table_schema like 'raw\_%' and column_name like '%\_\_v\_%'",
    )


def test_new_fields_evolve_and_a_type_change_stops_the_load(
    fresh_warehouse: Warehouse, shop: DemoShop
) -> None:
    w = fresh_warehouse
    shop.execute("alter table customers add column loyalty_points integer")
    shop.execute("update customers set loyalty_points = customer_id % 7")
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    column_type = w.rows(
        "select data_type from information_schema.columns where table_schema = 'raw_shop'"
        " and table_name = 'customers' and column_name = 'loyalty_points'",
    )
    assert column_type == [("bigint",)]
    staging = w.dataops("dbt", "run", "--select", "stg_shop__customers", check=False)
    assert staging.returncode == 0, staging.stdout[-2000:]
    assert raw_keys(w, "staging.stg_shop__customers", "customer_id") == shop.keys(
        "customers", "customer_id"
    )

    before, cursors_before = snapshot(w), cursors(w)
    changed = shop.rows("select max(customer_id) from customers")[0][0]
    shop.execute(
        "update customers set loyalty_points = 'gold', updated_at = '2031-01-01T00:00:00Z'"
        " where customer_id = ?",
        (changed,),
    )
    with shop.serve() as api:
        failed = w.dataops("ingest", "shop", check=False, **api.env())

    assert failed.returncode == 1
    assert last_line(failed.stderr).startswith(
        "error: shop: table raw_shop.customers, column loyalty_points:"
        " type changed from bigint to text; nothing was loaded"
    )
    assert snapshot(w) == before
    assert cursors(w) == cursors_before
    assert variant_columns(w) == []

    shop.execute("update customers set loyalty_points = 9 where customer_id = ?", (changed,))
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    assert w.rows(
        "select loyalty_points from raw_shop.customers where customer_id = %s", (changed,)
    ) == [(9,)]
    assert_shop_loaded(w, shop)


def test_the_variant_guard_finds_a_variant_column(fresh_warehouse: Warehouse) -> None:
    fresh_warehouse.execute("create schema raw_guard")
    fresh_warehouse.execute("create table raw_guard.t (amount numeric, amount__v_text text)")

    assert variant_columns(fresh_warehouse) == [("raw_guard", "t", "amount__v_text")]
