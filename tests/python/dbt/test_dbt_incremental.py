"""Incremental facts equal a full rebuild after several demo days with late updates, and the
snapshots keep one current version per record with a history that holds together.

One warehouse of this module's own is advanced day by day with `dataops run --days N`, as
production would run daily: each day brings new orders and status changes (and refunds) to
orders of earlier days. After the first day a customer moves to another country and a product
changes price, in raw as a source correction would arrive, so the facts must rebuild that
customer's older orders and the snapshots must open new versions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from support.warehouse import Warehouse

from dataops.core.paths import dbt_target_dir
from dataops.core.warehouse import WarehouseSettings

# the first run's history is longer than the 30 days over which an order changes status, so
# its oldest days see no late update: the move below reaches those only through the slices of
# the two countries (`sales_slices_to_rebuild`), not through days rebuilt whole; and it spans
# three months, so the move reaches the first month's cohorts only through the two the customer
# left and joined (`cohorts_to_rebuild`), not through months rebuilt whole
FIRST_DAY, LAST_DAY = 70, 73
ORDERS = 20_000
# the customer of the first order moves (see correct_sources)
MOVED = "(select customer_id from raw_shop.orders order by order_id limit 1)"
# every incremental model, in its schema, with its key
INCREMENTAL_FACTS = {
    "marts.fct_orders": "order_id",
    "marts.fct_order_items": "order_item_id",
    "marts.fct_payments": "payment_id",
    "marts.fct_web_sessions": "session_id",
    "intermediate.int_orders_attributed_to_channels": "order_id",
    "intermediate.int_customers_assigned_to_cohorts": "customer_id",
    "marts.rpt_product_sales_daily": "product_sales_daily_id",
    "marts.rpt_category_sales_daily": "category_sales_daily_id",
    "marts.rpt_product_totals_daily": "product_totals_daily_id",
    "marts.rpt_revenue_daily": "revenue_daily_id",
    "marts.rpt_kpis_daily": "kpi_date",
    "marts.rpt_marketing_daily": "marketing_daily_id",
    "marts.dim_customers": "customer_id",
    "marts.rpt_customer_cohorts": "customer_cohort_id",
}
MODELS = [fact.split(".")[1] for fact in INCREMENTAL_FACTS]
# the daily rollups rewrite whole days, which late updates reach back over most of
WHOLE_DAYS = {
    "rpt_product_sales_daily",
    "rpt_category_sales_daily",
    "rpt_product_totals_daily",
    "rpt_revenue_daily",
    "rpt_kpis_daily",
    "rpt_marketing_daily",
}
# the cohorts rewrite whole months from the oldest changed order's: two of these three
WHOLE_MONTHS = {"rpt_customer_cohorts"}
# a row test of an incremental fact and the filter an incremental build gives it
WINDOWED_TEST, WINDOW = "unique_fct_orders_order_id", "updated_at >= '"
# a test comparing a record's versions, and the filter: every version of the recent records
HISTORY_TEST = (
    "non_overlapping_validity_ranges_snp_shop__customers_customer_id__dbt_valid_from__dbt_valid_to"
)
HISTORY_WINDOW = "customer_id in (select customer_id from"
# a row test of a model with no time of its own (payments per order), and its filter: the
# orders with a payment in the window (`test_window_keys_in`)
KEYS_TEST, KEYS_WINDOW = (
    "not_null_int_payments_aggregated_to_orders_order_id",
    "order_id = any(array(select order_id from",
)
# the warehouse, the newest change the first build saw, what the last build wrote
Daily = tuple[Warehouse, datetime, dict[str, int | str]]


def run_day(warehouse: Warehouse, days: int) -> None:
    warehouse.dataops("run", "--days", str(days), "--orders", str(ORDERS))


def last_results(warehouse: Warehouse) -> dict[str, dict]:
    """The last dbt build's results by node name (tests without their hash)."""
    path = warehouse.state_dir / "dbt" / "target" / "run_results.json"
    results = json.loads(path.read_text())["results"]
    return {result["unique_id"].split(".")[2]: result for result in results}


def rows_affected(warehouse: Warehouse) -> dict[str, int]:
    """Rows each incremental fact wrote in the last dbt build."""
    results = last_results(warehouse)
    return {model: results[model]["adapter_response"].get("rows_affected", -1) for model in MODELS}


def correct_sources(warehouse: Warehouse, at: datetime) -> None:
    """A customer with orders moves to another country, and a product is repriced, an hour
    after the newest change the first build saw (the oldest records, which the Shop API's
    re-reads do not touch again); the first day's marketing spend is corrected, as a file
    dropped again would correct it, long after the lookback window."""
    warehouse.execute(
        "update raw_landing.marketing_spend set spend_eur = spend_eur + 10"
        " where spend_date = (select min(spend_date) from raw_landing.marketing_spend)"
    )
    warehouse.execute(
        "update raw_shop.customers set updated_at = %s + interval '1 hour',"
        " country_code = case when country_code = 'SE' then 'PL' else 'SE' end"
        f" where customer_id = {MOVED}",
        (at,),
    )
    warehouse.execute(
        "update raw_shop.products set updated_at = %s + interval '1 hour',"
        " unit_price_eur = unit_price_eur + 1"
        " where product_id = (select min(product_id) from raw_shop.products)",
        (at,),
    )


@pytest.fixture(scope="module")
def daily(
    server_connection: WarehouseSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Daily]:
    """The warehouse after its first day and three more, the newest change the first day's
    build saw, and what the last day's build wrote (and, under `WINDOWED_TEST`, the SQL
    of that test in it)."""
    settings = server_connection.with_database(f"test_{uuid.uuid4().hex[:10]}")
    settings.ensure_database()
    warehouse = Warehouse(settings, tmp_path_factory.mktemp("daily"))
    try:
        run_day(warehouse, FIRST_DAY)
        first_build_saw = warehouse.scalar("select max(updated_at) from marts.fct_orders")
        correct_sources(warehouse, first_build_saw)
        for day in range(FIRST_DAY + 1, LAST_DAY + 1):
            run_day(warehouse, day)
        written: dict[str, int | str] = dict(rows_affected(warehouse))
        written[WINDOWED_TEST] = last_results(warehouse)[WINDOWED_TEST]["compiled_code"]
        written[HISTORY_TEST] = last_results(warehouse)[HISTORY_TEST]["compiled_code"]
        written[KEYS_TEST] = last_results(warehouse)[KEYS_TEST]["compiled_code"]
        yield warehouse, first_build_saw, written
    finally:
        settings.drop_database()


def differences(warehouse: Warehouse, left: str, right: str) -> int:
    return warehouse.scalar(
        f"select count(*) from (select * from {left} except select * from {right}) as d"
    )


def test_the_days_brought_late_updates_and_were_built_incrementally(
    daily: Daily,
) -> None:
    warehouse, first_build_saw, written = daily
    # orders placed before the first build changed after it (late status changes, refunds)
    late = warehouse.scalar(
        "select count(*) from marts.fct_orders where ordered_at <= %s and updated_at > %s",
        (first_build_saw, first_build_saw),
    )
    assert late > 0
    # the customer who moved has every order, the first day's too, under the new country
    assert (
        warehouse.scalar(f"select count(*) from marts.fct_orders where customer_id = {MOVED}") > 0
    )
    assert (
        warehouse.scalar(
            "select count(*) from marts.fct_orders inner join staging.stg_shop__customers"
            " on fct_orders.customer_id = stg_shop__customers.customer_id"
            f" where fct_orders.customer_id = {MOVED}"
            " and fct_orders.country_code <> stg_shop__customers.country_code"
        )
        == 0
    )
    # the last day's build rewrote only a part of each fact; the product rollups rewrite whole
    # days, and late updates reach back over most of these few days, so only some stay
    for fact, model in zip(INCREMENTAL_FACTS, MODELS, strict=True):
        total = warehouse.scalar(f"select count(*) from {fact}")
        share = 1 if model in WHOLE_DAYS | WHOLE_MONTHS else 1 / 2
        assert 0 < written[model] < total * share, (fact, written[model], total)


def test_incremental_facts_equal_a_full_refresh(
    daily: Daily,
) -> None:
    warehouse, _, _ = daily
    warehouse.execute("create schema incremental_result")
    for fact, model in zip(INCREMENTAL_FACTS, MODELS, strict=True):
        warehouse.execute(f"create table incremental_result.{model} as select * from {fact}")
    warehouse.dataops("transform", "--", "--full-refresh", "--select", *MODELS)
    for (fact, key), model in zip(INCREMENTAL_FACTS.items(), MODELS, strict=True):
        incremental, rebuilt = f"incremental_result.{model}", fact
        assert warehouse.scalar(f"select count(*) from {rebuilt}") > 0, fact
        assert (
            differences(warehouse, rebuilt, incremental),
            differences(warehouse, incremental, rebuilt),
        ) == (0, 0), fact
        assert warehouse.scalar(f"select count(distinct {key}) from {rebuilt}") == warehouse.scalar(
            f"select count(*) from {incremental}"
        ), fact


def test_daily_builds_test_the_recent_rows_and_a_full_refresh_every_row(
    daily: Daily,
) -> None:
    warehouse, _, written = daily
    # the last day's build read only the recent rows of the fact it tested
    assert WINDOW in written[WINDOWED_TEST]
    warehouse.dataops("transform", "--", "--full-refresh", "--select", WINDOWED_TEST)
    assert WINDOW not in last_results(warehouse)[WINDOWED_TEST]["compiled_code"]


def test_daily_builds_test_the_orders_with_a_recent_payment(daily: Daily) -> None:
    warehouse, _, written = daily
    compiled = written[KEYS_TEST]
    assert KEYS_WINDOW in compiled
    # the rows the test read: some orders, not every order
    rows_read = compiled[compiled.index("(select * from") : compiled.rindex(") dbt_subquery") + 1]
    read = warehouse.scalar(f"select count(*) from {rows_read} as rows_read")
    every = warehouse.scalar("select count(*) from intermediate.int_payments_aggregated_to_orders")
    assert 0 < read < every, (read, every)


def test_daily_builds_test_every_version_of_the_records_changed_recently(daily: Daily) -> None:
    warehouse, _, written = daily
    assert HISTORY_WINDOW in written[HISTORY_TEST]
    # the broken fixture: a version of the customer who moved, overlapping its current one
    table = "snapshots.snp_shop__customers"
    columns = "customer_id, first_name, last_name, email, country_code, created_at, updated_at"
    warehouse.execute(
        f"insert into {table} ({columns}, dbt_scd_id, dbt_updated_at, dbt_valid_from,"
        f" dbt_valid_to) select {columns}, 'overlapping', dbt_updated_at,"
        " dbt_valid_from - interval '1 hour', dbt_valid_from + interval '1 hour'"
        f" from {table} where customer_id = {MOVED} and dbt_valid_to is null"
    )
    try:
        # a daily build's test reads the moved customer's versions, and finds the overlap
        result = warehouse.dataops("transform", "--", "--select", HISTORY_TEST, check=False)
        assert result.returncode != 0, result.stdout[-3000:]
        # its versions before and after the move both overlap the new one
        assert f"FAIL 2 {HISTORY_TEST}" in result.stdout
        assert HISTORY_WINDOW in last_results(warehouse)[HISTORY_TEST]["compiled_code"]
    finally:
        warehouse.execute(f"delete from {table} where dbt_scd_id = 'overlapping'")


@pytest.mark.parametrize(
    ("snapshot", "staged", "key"),
    [
        ("snp_shop__customers", "stg_shop__customers", "customer_id"),
        ("snp_shop__products", "stg_shop__products", "product_id"),
    ],
)
def test_snapshots_keep_one_current_version_and_a_gapless_history(
    daily: Daily, snapshot: str, staged: str, key: str
) -> None:
    warehouse, _, _ = daily
    table = f"snapshots.{snapshot}"
    # records changed over the days, so some have several versions
    versioned = f"select {key} from {table} group by {key} having count(*) > 1"
    assert warehouse.scalar(f"select count(*) from ({versioned}) as k") > 0
    # at most one current version per record, and every staged record has one
    assert (
        warehouse.scalar(
            f"select count(*) from (select {key} from {table} where dbt_valid_to is null"
            f" group by {key} having count(*) > 1) as k"
        )
        == 0
    )
    current = f"(select {key}, updated_at from {table} where dbt_valid_to is null)"
    staging = f"(select {key}, updated_at from staging.{staged})"
    assert (differences(warehouse, current, staging), differences(warehouse, staging, current)) == (
        0,
        0,
    )
    # each closed version ends where the next one starts
    assert (
        warehouse.scalar(
            f"select count(*) from (select dbt_valid_to, lead(dbt_valid_from) over"
            f" (partition by {key} order by dbt_valid_from) as next_from from {table}) as v"
            " where dbt_valid_to is distinct from next_from"
        )
        == 0
    )


def test_daily_builds_log_no_dbt_warnings(daily: Daily) -> None:
    """dbt's warnings are for someone to act on: the daily builds (with their snapshots taken
    again over existing tables) leave none in dbt's log."""
    warehouse, _, _ = daily
    log = dbt_target_dir(warehouse.state_dir).parent / "logs" / "dbt.log"
    text = log.read_text(errors="replace")
    assert "snp_shop__customers" in text
    warnings = [line for line in text.splitlines() if "[warn ]" in line]
    assert warnings == []
