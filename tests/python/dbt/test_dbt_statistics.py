"""A build analyzes every table it creates before the tests that read it plan their queries
(`analyze_when_new`), rather than leaving them to PostgreSQL's default guesses until
autovacuum comes round. Autovacuum records its work as `last_autoanalyze`; only an explicit
`analyze`, the hook's, sets `last_analyze`, so the check cannot pass by autovacuum's luck."""

from __future__ import annotations

import json

from support.warehouse import Warehouse

from dataops.core.paths import dbt_target_dir

TABLE_KINDS = ("table", "incremental", "snapshot")


def built_tables(warehouse: Warehouse) -> set[str]:
    """schema.table of every model and snapshot the project materializes as a table."""
    manifest = json.loads((dbt_target_dir(warehouse.state_dir) / "manifest.json").read_text())
    return {
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "snapshot")
        and node["config"]["materialized"] in TABLE_KINDS
    }


def never_analyzed(warehouse: Warehouse, tables: set[str]) -> set[str]:
    """Those of `tables` no explicit `analyze` has run on since they were created."""
    rows = warehouse.rows(
        "select schemaname || '.' || relname from pg_stat_user_tables"
        " where schemaname || '.' || relname = any(%s) and last_analyze is null",
        (sorted(tables),),
    )
    return {name for (name,) in rows}


def test_every_table_a_build_creates_is_analyzed(built_warehouse: Warehouse) -> None:
    tables = built_tables(built_warehouse)
    assert {"marts.fct_orders", "marts.fct_web_sessions", "snapshots.snp_shop__customers"} <= (
        tables
    )
    found = {
        name
        for (name,) in built_warehouse.rows(
            "select schemaname || '.' || relname from pg_stat_user_tables"
            " where schemaname || '.' || relname = any(%s)",
            (sorted(tables),),
        )
    }
    assert found == tables, "every table the manifest names is in the warehouse"
    assert never_analyzed(built_warehouse, tables) == set()


def test_a_table_created_without_the_hook_is_found_unanalyzed(
    built_warehouse: Warehouse,
) -> None:
    connection = built_warehouse.settings.connect()
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("create table marts.not_analyzed as select 1 as x")
        assert never_analyzed(built_warehouse, {"marts.not_analyzed"}) == {"marts.not_analyzed"}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("drop table if exists marts.not_analyzed")
        connection.close()
