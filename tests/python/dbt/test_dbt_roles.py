"""The three roles: the reporter reads the marts and can change nothing; the loader cannot
reach the marts; the transformer reads raw and builds in the dbt schemas. Grants come from
dbt's config, so a full refresh gives back one that went missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml
from support.dbt import sqlstate
from support.warehouse import Warehouse

from dataops import dbt as dbt_runner
from dataops import roles
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings

DENIED = {"42501", "25006"}  # insufficient privilege, read-only transaction


@pytest.fixture(scope="module")
def warehouse(built_warehouse: Warehouse) -> Warehouse:
    roles.ensure_roles(built_warehouse.settings)
    roles.ensure_roles(built_warehouse.settings)  # a second run changes nothing and fails nothing
    return built_warehouse


@pytest.fixture
def connect(warehouse: Warehouse) -> Iterator[object]:
    opened: list[psycopg2.extensions.connection] = []

    def as_role(key: str) -> psycopg2.extensions.connection:
        connection = roles.role_connection(warehouse.settings, key).connect()
        opened.append(connection)
        return connection

    yield as_role
    for connection in opened:
        connection.close()


def mart_tables(settings: WarehouseSettings) -> list[str]:
    connection = settings.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by table_name"
            )
            return [name for (name,) in cursor.fetchall()]
    finally:
        connection.close()


def reporter_problems(warehouse: Warehouse) -> list[str]:
    """What the reporter can do that it must not, or cannot that it must, on every mart."""
    problems = []
    connection = roles.role_connection(warehouse.settings, "reporter").connect()
    try:
        for table in mart_tables(warehouse.settings):
            if sqlstate(connection, f"select * from marts.{table} limit 1") is not None:
                problems.append(f"cannot read marts.{table}")
            with connection.cursor() as cursor:
                cursor.execute("set default_transaction_read_only = off")
            connection.commit()
            code = sqlstate(connection, f"delete from marts.{table}")
            # 42501: not allowed; 55000: a view over the run history, which nobody can delete from
            if code not in {"42501", "55000"}:
                problems.append(f"may delete from marts.{table} ({code or 'it worked'})")
    finally:
        connection.close()
    return problems


def test_roles_have_no_more_power_than_they_need(warehouse: Warehouse) -> None:
    connection = warehouse.settings.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb,"
                " coalesce(rolconfig, '{}') from pg_roles where rolname like 'dataops\\_%'"
                " order by rolname"
            )
            rows = {row[0]: row[1:] for row in cursor.fetchall()}
    finally:
        connection.close()
    assert set(rows) == {"dataops_loader", "dataops_reporter", "dataops_transformer"}
    for name, (login, superuser, createrole, createdb, _) in rows.items():
        assert (login, superuser, createrole, createdb) == (True, False, False, False), name
    assert set(rows["dataops_reporter"][4]) == {
        "default_transaction_read_only=on",
        f"statement_timeout={roles.REPORTER_STATEMENT_TIMEOUT}",
    }


def test_the_reporter_reads_every_mart_and_changes_none(warehouse: Warehouse) -> None:
    assert len(mart_tables(warehouse.settings)) >= 14
    assert reporter_problems(warehouse) == []


REPORTER_DENIED = [
    "insert into marts.fct_orders (order_id) values (-1)",
    "update marts.fct_orders set channel = 'x'",
    "delete from marts.rpt_revenue_daily",
    "truncate marts.dim_customers",
    "create table marts.reporter_table (id int)",
    "drop table marts.dim_products",
    "alter table marts.dim_products add column x int",
    "create table public.reporter_table (id int)",
    "create schema reporter_schema",
    "select * from raw_shop.orders limit 1",
    "select * from raw_ecb.euro_rates limit 1",
    "select * from staging.stg_shop__customers limit 1",
    "select * from intermediate.int_payments_converted_to_eur limit 1",
    "select * from snapshots.snp_shop__customers limit 1",
    "select * from observability.pipeline_runs limit 1",
]


@pytest.mark.parametrize("read_write", [False, True], ids=["as configured", "read-write forced"])
def test_the_reporter_cannot_write_anything_nor_read_outside_the_marts(
    connect: object, read_write: bool
) -> None:
    connection = connect("reporter")
    if read_write:  # the session can lift read-only; the grants still hold
        with connection.cursor() as cursor:
            cursor.execute("set default_transaction_read_only = off")
        connection.commit()
    codes = {statement: sqlstate(connection, statement) for statement in REPORTER_DENIED}
    allowed = {"42501"} if read_write else DENIED
    assert {s: c for s, c in codes.items() if c not in allowed} == {}
    with connection.cursor() as cursor:
        cursor.execute("show statement_timeout")
        assert cursor.fetchone()[0] == roles.REPORTER_STATEMENT_TIMEOUT


def test_the_loader_writes_raw_and_cannot_touch_the_marts(connect: object) -> None:
    connection = connect("loader")
    assert sqlstate(connection, "delete from raw_shop.customers where customer_id = -1") is None
    for statement in (
        "select * from marts.fct_orders limit 1",
        "delete from marts.fct_orders",
        "create table marts.loader_table (id int)",
        "select * from staging.stg_shop__orders limit 1",
    ):
        assert sqlstate(connection, statement) == "42501", statement


def test_the_transformer_reads_raw_builds_in_its_schemas_and_leaves_raw_alone(
    connect: object,
) -> None:
    connection = connect("transformer")
    assert sqlstate(connection, "select * from raw_shop.orders limit 1") is None
    assert sqlstate(connection, "create table marts.transformer_table (id int)") is None
    assert sqlstate(connection, "delete from raw_shop.orders") == "42501"
    assert sqlstate(connection, "create table raw_shop.transformer_table (id int)") == "42501"


def test_grants_come_back_with_a_full_refresh(warehouse: Warehouse) -> None:
    """The broken fixture: a mart loses the reporter's grant and another gains a write grant;
    the check names both, and rebuilding them from dbt's config puts both right."""
    reporter = roles.ROLES["reporter"].name
    try:
        warehouse.execute(f"revoke select on marts.dim_products from {reporter}")
        warehouse.execute(f"grant delete on marts.rpt_kpis_daily to {reporter}")
        assert sorted(reporter_problems(warehouse)) == [
            "cannot read marts.dim_products",
            "may delete from marts.rpt_kpis_daily (it worked)",
        ]
    finally:
        warehouse.dataops(
            "transform", "--", "--full-refresh", "--select", "dim_products", "rpt_kpis_daily"
        )
    assert reporter_problems(warehouse) == []


def test_the_cli_creates_the_roles_and_says_how_to_connect(warehouse: Warehouse) -> None:
    masked = warehouse.dataops("db", "roles")
    names = [line.split()[0] for line in masked.stdout.splitlines() if not line.startswith(" ")]
    assert names == ["dataops_loader", "dataops_transformer", "dataops_reporter"]
    assert masked.stdout.count(":****@") == 3
    shown = warehouse.dataops("db", "roles", "--show-password")
    reporter_url = next(
        line.strip() for line in shown.stdout.splitlines() if "//dataops_reporter:" in line
    )
    assert reporter_url == roles.role_connection(warehouse.settings, "reporter").url()
    connection = psycopg2.connect(reporter_url, connect_timeout=5)
    try:
        assert sqlstate(connection, "select count(*) from marts.fct_orders") is None
    finally:
        connection.close()


def declared_source_indexes() -> dict[str, list[list[str]]]:
    """`config: meta: indexes:` of every source table in the project, by schema.table."""
    declared: dict[str, list[list[str]]] = {}
    for path in sorted((REPO_ROOT / "models").rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources", []):
            for table in source.get("tables", []):
                indexes = ((table.get("config") or {}).get("meta") or {}).get("indexes")
                if indexes:
                    declared[f"{source['schema']}.{table['name']}"] = indexes
    return declared


def raw_indexes(warehouse: Warehouse, table: str) -> set[tuple[str, ...]]:
    """The column lists of the indexes on `table` (schema.table)."""
    rows = warehouse.rows(
        "select array_agg(a.attname order by k.position)"
        " from pg_index as i"
        " cross join lateral unnest(i.indkey) with ordinality as k(attnum, position)"
        " join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum"
        " where i.indrelid = %s::regclass group by i.indexrelid",
        (table,),
    )
    return {tuple(columns) for (columns,) in rows}


def test_every_build_gives_raw_the_indexes_its_sources_declare(warehouse: Warehouse) -> None:
    declared = declared_source_indexes()
    assert "raw_shop.order_line_items" in declared  # the incremental facts look lines up by it
    for table, indexes in declared.items():
        assert {tuple(columns) for columns in indexes} <= raw_indexes(warehouse, table), table


def test_a_missing_raw_index_stops_a_build_that_cannot_create_it(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """The broken fixture: an index is gone and dbt runs as the transformer, which does not own
    raw: the run stops before any model, naming the statement for the owner. The owner's next
    build puts it back."""
    table, index = "raw_shop.order_line_items", "order_line_items_by_order_id"
    transformer = roles.role_connection(warehouse.settings, "transformer")
    env = dbt_runner.environment(transformer, target="prod", target_path=tmp_path / "target")
    warehouse.execute(f"drop index raw_shop.{index}")
    try:
        failed = dbt_runner.run(["build", "--select", "dim_products"], env, capture=True)
        assert failed.returncode != 0
        message = (
            f"the index {index} is missing and only the owner of {table} can create it: "
            f'run `create index "{index}" on "raw_shop"."order_line_items" (order_id)`'
        )
        assert message in failed.stdout + failed.stderr
        assert ("order_id",) not in raw_indexes(warehouse, table)
    finally:
        warehouse.dataops("transform", "--", "--select", "dim_products")
    assert ("order_id",) in raw_indexes(warehouse, table)
