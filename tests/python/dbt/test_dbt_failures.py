"""Each kind of dbt check fails on a deliberately broken fixture, and says where.

Generic tests run in a small project of their own (tests/python/dbt/fixtures) on data made
to pass and made to fail each of them. The singular test and the freshness check run on the
session's built warehouse with data broken for the test and put back afterwards; the unit
test and the contract run there too, from a copy of the project with one model broken (both
stop dbt before it writes anything, which the contract test checks).
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from support.dbt import dbt, edited, run_results
from support.warehouse import Warehouse

from dataops.core.paths import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"

# test name -> the status dbt must give it
GENERIC_EXPECTED = {
    "chained_versions_do_not_overlap": "pass",
    "chained_versions_have_one_current": "pass",
    "overlapping_versions_overlap": "fail",
    "overlapping_versions_have_two_current": "fail",
    "recent_events_are_recent": "pass",
    "recent_event_ids_are_unique": "pass",
    "stale_events_are_stale": "fail",
    "stale_events_lag_recent_ones": "fail",
    "stale_events_keep_up_with_a_lenient_limit": "pass",
    "all_rows_match_the_parent": "pass",
    "missing_rows_break_an_exact_count": "fail",
    "missing_rows_fit_a_five_percent_tolerance": "pass",
    "missing_rows_match_the_kept_part_of_the_parent": "pass",
    "day_country_channel_repeats": "fail",
    "day_country_channel_amount_is_unique": "pass",
    "amounts_are_not_all_positive": "fail",
    "amounts_are_above_minus_ten": "pass",
    "a_rollup_sums_to_its_detail": "pass",
    "a_rollup_missing_a_group_does_not": "fail",
    "a_rollup_with_an_extra_group_does_not": "fail",
    "a_rollup_with_a_wrong_sum_does_not": "fail",
}


def test_our_generic_tests_fail_on_bad_data_and_pass_on_good(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    project = tmp_path / "generic_tests"
    shutil.copytree(FIXTURES / "generic_tests", project)
    shutil.copytree(REPO_ROOT / "tests" / "dbt" / "generic", project / "tests" / "generic")
    schema = f"fixture_{uuid.uuid4().hex[:8]}"
    try:
        result = dbt(built_warehouse, project, "build", DBT_TARGET="ci", DBT_SCHEMA=schema)
    finally:
        built_warehouse.execute(f"drop schema if exists {schema} cascade")
    assert result.returncode == 1, result.stdout[-3000:]
    tests = {
        name: status for name, status in run_results(project).items() if name in GENERIC_EXPECTED
    }
    assert tests == GENERIC_EXPECTED, result.stdout[-3000:]


def test_a_singular_test_fails_when_its_business_rule_breaks(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    names = w.scalar(
        "select string_agg(column_name, ',' order by ordinal_position)"
        " from information_schema.columns"
        " where table_schema = 'raw_shop' and table_name = 'payments'"
    ).split(",")
    changed = {
        "payment_id": "-1",
        "payment_type": "'refund'",
        "amount": "amount * 3",
        "updated_at": "now()",
    }
    # a refund three times the payment, just changed (in the test window), in a completed load
    w.execute(
        f"insert into raw_shop.payments ({', '.join(names)})"
        f" select {', '.join(changed.get(name, name) for name in names)} from raw_shop.payments"
        " where payment_type = 'payment' order by payment_id limit 1"
    )
    try:
        result = w.dataops(
            "dbt", "test", "--select", "assert_refunds_never_exceed_payments", check=False
        )
    finally:
        w.execute("delete from raw_shop.payments where payment_id = -1")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAIL 1 assert_refunds_never_exceed_payments" in result.stdout


def test_stale_sources_fail_the_freshness_check_by_name(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    w.execute("update raw_landing._dlt_loads set inserted_at = inserted_at - interval '5 days'")
    try:
        result = w.dataops("freshness", check=False)
    finally:
        w.execute("update raw_landing._dlt_loads set inserted_at = inserted_at + interval '5 days'")
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: source freshness failed: "), last
    stale = set(last.removeprefix("error: source freshness failed: ").split(", "))
    assert stale == {"landing.marketing_spend", "landing.web_sessions"}
    assert "ERROR STALE freshness of landing.web_sessions" in result.stdout


def test_production_builds_leave_unit_tests_to_ci_where_every_one_passes(
    built_warehouse: Warehouse, project_copy: Path
) -> None:
    # the pipeline's build ran models and data tests and no unit test (their inputs are fixed,
    # so a production run has nothing new for them: dbt's advice)
    kinds = dict(
        built_warehouse.rows(
            "select resource_type, count(*) from observability.dbt_nodes"
            " where command = 'build' group by resource_type"
        )
    )
    assert kinds.get("model") and kinds.get("test"), kinds
    assert "unit_test" not in kinds, kinds
    # where they run (CI, or `dataops dbt test --select test_type:unit`), all of them pass
    result = dbt(built_warehouse, project_copy, "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = json.loads((project_copy / "target" / "manifest.json").read_text())
    expected = {unit_test["name"] for unit_test in manifest["unit_tests"].values()}
    assert len(expected) >= 5, expected
    assert run_results(project_copy) == dict.fromkeys(expected, "pass")


def test_a_unit_test_fails_when_its_calculation_breaks(
    built_warehouse: Warehouse, project_copy: Path
) -> None:
    model = project_copy / "models" / "intermediate" / "int_euro_rates_filled_to_days.sql"
    # off by one: the day a new rate is published also keeps the previous one
    with edited(
        model,
        "or days.date_day < rates_with_validity.next_rate_date",
        "or days.date_day <= rates_with_validity.next_rate_date",
    ):
        result = dbt(
            built_warehouse,
            project_copy,
            "test",
            "--select",
            "int_euro_rates_filled_to_days,test_type:unit",
        )
    assert result.returncode == 1, result.stdout[-3000:]
    assert run_results(project_copy) == {"test_weekend_takes_last_published_rate": "fail"}
    assert "Failure in unit_test test_weekend_takes_last_published_rate" in result.stdout
    assert "differs from" in result.stdout  # dbt's diff of actual and expected rows


def test_a_broken_contract_stops_the_build_before_the_mart_changes(
    built_warehouse: Warehouse, project_copy: Path
) -> None:
    w = built_warehouse

    def mart() -> tuple[object, ...]:
        return (
            w.scalar("select count(*) from marts.rpt_revenue_daily"),
            w.scalar("select sum(net_revenue_eur) from marts.rpt_revenue_daily"),
            w.scalar(
                "select data_type from information_schema.columns where table_schema = 'marts'"
                " and table_name = 'rpt_revenue_daily' and column_name = 'net_revenue_eur'"
            ),
        )

    before = mart()
    model = project_copy / "models" / "marts" / "rpt_revenue_daily.sql"
    with edited(
        model,
        "cast(net_revenue_eur as numeric(14, 2)) as net_revenue_eur",
        "cast(net_revenue_eur as text) as net_revenue_eur",
    ):
        result = dbt(w, project_copy, "run", "--select", "rpt_revenue_daily")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "This model has an enforced contract that failed" in result.stdout
    assert "net_revenue_eur" in result.stdout
    assert mart() == before
    assert before[2] == "numeric"
