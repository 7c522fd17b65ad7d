"""The plan of which production tables a pull request's build starts from, without a database:
each reason to build an incremental model in full, and the order copies are made in."""

from __future__ import annotations

import pytest

from dataops.ci.copy_plan import PlannedCopy, full_refresh_requested, plan_copies

PR_SCHEMA = "ci_pr_7"


def selected(name: str, *, materialized: str = "incremental", **config: object) -> dict:
    """A node as `dbt ls` reports it for a pull request's build."""
    return {
        "unique_id": f"model.dataops_retail.{name}",
        "resource_type": "model",
        "database": "warehouse",
        "schema": PR_SCHEMA,
        "alias": name,
        "config.materialized": materialized,
        "config.full_refresh": config.get("full_refresh"),
    }


def production(name: str, *, materialized: str = "incremental", **node: str) -> dict:
    """The same node in production's manifest."""
    return {
        "database": node.get("database", "warehouse"),
        "schema": node.get("schema", "marts"),
        "alias": name,
        "config": {"materialized": materialized},
    }


def manifest(*names: str, **nodes: dict) -> dict[str, dict]:
    found = {f"model.dataops_retail.{name}": production(name) for name in names}
    found.update({f"model.dataops_retail.{name}": node for name, node in nodes.items()})
    return found


def test_unchanged_incremental_models_are_copied_largest_first() -> None:
    plan = plan_copies(
        [
            selected("fct_orders"),
            selected("fct_web_sessions"),
            selected("dim_customers", materialized="table"),
        ],
        changed={"model.dataops_retail.stg_shop__customers"},
        production=manifest("fct_orders", "fct_web_sessions"),
        tables={("marts", "fct_orders"): 10, ("marts", "fct_web_sessions"): 500},
    )

    assert plan.copies == [
        PlannedCopy(
            "model.dataops_retail.fct_web_sessions",
            ("marts", "fct_web_sessions"),
            (PR_SCHEMA, "fct_web_sessions"),
            500,
        ),
        PlannedCopy(
            "model.dataops_retail.fct_orders",
            ("marts", "fct_orders"),
            (PR_SCHEMA, "fct_orders"),
            10,
        ),
    ]
    # dim_customers is a table, not incremental: nothing to say about it
    assert plan.notes == []
    assert plan.copies[0].name == "fct_web_sessions"


@pytest.mark.parametrize(
    ("node", "prod", "changed", "tables", "note"),
    [
        (
            selected("fct_orders"),
            production("fct_orders"),
            {"model.dataops_retail.fct_orders"},
            {("marts", "fct_orders"): 1},
            "`fct_orders` changed in this branch: built in full",
        ),
        (
            selected("fct_orders", full_refresh=True),
            production("fct_orders"),
            set(),
            {("marts", "fct_orders"): 1},
            "`fct_orders` is configured full_refresh: built in full",
        ),
        (
            selected("fct_orders"),
            None,
            set(),
            {},
            "`fct_orders` is not incremental in production: built in full",
        ),
        (
            selected("fct_orders"),
            production("fct_orders", materialized="table"),
            set(),
            {("marts", "fct_orders"): 1},
            "`fct_orders` is not incremental in production: built in full",
        ),
        (
            selected("fct_orders"),
            production("fct_orders", database="archive"),
            set(),
            {("marts", "fct_orders"): 1},
            "`fct_orders` is in another database in production: built in full",
        ),
        (
            selected("fct_orders"),
            production("fct_orders"),
            set(),
            {("marts", "fct_order_items"): 1},
            "production has no table marts.fct_orders: `fct_orders` built in full",
        ),
    ],
    ids=[
        "changed",
        "full-refresh-config",
        "new",
        "not-incremental",
        "other-database",
        "no-table",
    ],
)
def test_each_reason_to_build_in_full_refuses_the_copy(
    node: dict, prod: dict | None, changed: set[str], tables: dict, note: str
) -> None:
    nodes = {} if prod is None else {node["unique_id"]: prod}
    plan = plan_copies([node], changed, nodes, tables)
    assert plan.copies == []
    assert plan.notes == [note]


def test_a_full_refresh_copies_nothing_and_says_so_once() -> None:
    nodes = [selected("fct_orders"), selected("fct_web_sessions")]
    tables = {("marts", "fct_orders"): 1, ("marts", "fct_web_sessions"): 1}

    plan = plan_copies(
        nodes, set(), manifest("fct_orders", "fct_web_sessions"), tables, full_refresh=True
    )

    assert plan.copies == []
    assert plan.notes == [
        "full refresh requested (DBT_FULL_REFRESH): no incremental model is copied"
    ]


def test_no_incremental_model_means_no_plan_and_no_note() -> None:
    plan = plan_copies([selected("dim_customers", materialized="table")], set(), {}, {})
    assert plan.copies == []
    assert plan.notes == []
    # not even when a full refresh was asked for: there is nothing it would have copied
    assert plan_copies([], set(), {}, {}, full_refresh=True).notes == []


def test_snapshots_are_left_alone() -> None:
    snapshot = {**selected("customers_snapshot"), "resource_type": "snapshot"}
    tables = {("marts", "customers_snapshot"): 1}
    plan = plan_copies([snapshot], set(), manifest("customers_snapshot"), tables)
    assert plan.copies == []
    assert plan.notes == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), (" Yes ", True), ("false", False), ("", False)],
)
def test_dbt_full_refresh_is_read_as_dbt_reads_it(value: str, expected: bool) -> None:
    assert full_refresh_requested({"DBT_FULL_REFRESH": value}) is expected
    assert full_refresh_requested({}) is False
