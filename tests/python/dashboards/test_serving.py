"""Serving the dashboard: basic auth from the environment, empty marts, the database role.

One extra server runs here: `dataops dashboard` with auth switched on, against a database
whose marts exist but hold no rows (a fresh install before its first load).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg2
import pytest
import requests
from psycopg2 import sql
from support.dashboard import Dashboard, dataops_dashboard, store
from support.warehouse import Warehouse, throwaway_database

from dataops.core.warehouse import WarehouseSettings, free_port, port_is_free

USER, PASSWORD = "stakeholder", "correct horse battery staple"


def copy_marts_empty(source: Warehouse, target: Warehouse) -> list[str]:
    """Create every mart of `source` in `target`, same columns and types, without rows."""
    with source.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            select
                class.relname,
                string_agg(
                    format('%I %s', attname, format_type(atttypid, atttypmod)),
                    ', ' order by attnum
                )
            from pg_catalog.pg_attribute
            inner join pg_catalog.pg_class as class on attrelid = class.oid
            inner join pg_catalog.pg_namespace as namespace on class.relnamespace = namespace.oid
            where namespace.nspname = 'marts'
                and class.relkind in ('r', 'p', 'v', 'm')
                and attnum > 0
                and not attisdropped
            group by class.relname
            """
        )
        tables = cursor.fetchall()
    target.execute("create schema marts")
    for table, columns in tables:
        target.execute(
            sql.SQL("create table marts.{} ({})").format(sql.Identifier(table), sql.SQL(columns))
        )
    return [table for table, _ in tables]


@pytest.fixture(scope="module")
def empty_warehouse(
    server_connection: WarehouseSettings,
    built_warehouse: Warehouse,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Warehouse]:
    with throwaway_database(server_connection, "test") as settings:
        warehouse = Warehouse(settings, tmp_path_factory.mktemp("empty-state"))
        copy_marts_empty(built_warehouse, warehouse)
        # what dbt's `grants:` give the reporter on the tables it builds
        roles = pytest.importorskip("dataops.roles")
        roles.ensure_roles(settings)
        warehouse.execute(
            f"grant select on all tables in schema marts to {roles.ROLES['reporter'].name}"
        )
        yield warehouse


@pytest.fixture(scope="module")
def protected_url(empty_warehouse: Warehouse) -> Iterator[str]:
    with dataops_dashboard(
        empty_warehouse, DASHBOARD_USER=USER, DASHBOARD_PASSWORD=PASSWORD
    ) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/", "get"),
        ("/sales?country=DE", "get"),
        ("/_dash-layout", "get"),
        ("/_dash-update-component", "post"),
        ("/assets/style.css", "get"),
    ],
)
def test_without_the_password_nothing_is_served(protected_url: str, path: str, method: str) -> None:
    for auth in (None, (USER, "wrong"), ("someone", PASSWORD), (USER, PASSWORD + "x"), ("", "")):
        response = requests.request(method, protected_url + path, auth=auth, timeout=10)
        assert response.status_code == 401, (path, auth)
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="')
        assert "Northwind Threads" not in response.text
    garbled = {"Authorization": "Basic not-base64!"}
    assert requests.get(protected_url + path, headers=garbled, timeout=10).status_code == 401


def test_with_the_password_the_dashboard_is_served(protected_url: str) -> None:
    response = requests.get(protected_url + "/sales", auth=(USER, PASSWORD), timeout=10)
    assert response.status_code == 200
    assert "Northwind Threads" in response.text


def test_empty_marts_say_so_in_words(protected_url: str) -> None:
    session = requests.Session()
    session.auth = (USER, PASSWORD)
    dashboard = Dashboard(protected_url, session)
    shell = dashboard.call("filters-store.data", {"shell-url.search": ""})
    assert shell["shell-banner"]["hidden"] is False
    assert shell["shell-banner"]["children"].startswith("No sales in the marts yet")
    assert shell["shell-as-of"]["children"] == "No data yet"
    view = shell["filters-store"]["data"]
    for output, chart in (
        ("overview-revenue-chart.figure", "overview-revenue-chart"),
        ("sales-trend-chart.figure", "sales-trend-chart"),
        ("customers-retention-chart.figure", "customers-retention-chart"),
        ("marketing-spend-chart.figure", "marketing-spend-chart"),
        ("products-top-chart.figure", "products-top-chart"),
    ):
        out = dashboard.call(output, {"filters-store.data": view, "sales-grain.value": "week"})
        text = out[chart]["figure"]["layout"]["annotations"][0]["text"]
        assert text.startswith("No "), (chart, text)
    health = dashboard.call("health-sources.children", {"shell-url.pathname": "/health"})
    assert "health-sources" in health  # answered: a table or a message, never an error


def test_stopping_the_command_stops_the_server(empty_warehouse: Warehouse) -> None:
    port = free_port()
    with dataops_dashboard(empty_warehouse, port=port) as url:
        assert requests.get(f"{url}/_dash-layout", timeout=10).status_code == 200
    # `serve` has sent SIGTERM to `dataops dashboard` and waited for it: nothing may be left
    # listening (gunicorn's workers finish their requests first)
    deadline = time.monotonic() + 30
    while not port_is_free(port):
        assert time.monotonic() < deadline, f"a server still listens on port {port}"
        time.sleep(0.2)


def test_half_set_credentials_stop_the_server_with_one_line(
    empty_warehouse: Warehouse,
) -> None:
    result = empty_warehouse.dataops(
        "dashboard", "--port", str(free_port()), check=False, DASHBOARD_USER=USER
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: set both DASHBOARD_USER and DASHBOARD_PASSWORD to protect the dashboard, "
        "or neither to leave it open"
    )


# -- the database role --------------------------------------------------------------------


def reporter(w: Warehouse) -> WarehouseSettings:
    roles = pytest.importorskip("dataops.roles", reason="dataops.roles defines the reporter")
    return roles.role_connection(w.settings, "reporter")


def test_the_dashboard_reads_as_the_reporter_role(
    dashboard_url: str, built_warehouse: Warehouse
) -> None:
    role = reporter(built_warehouse)
    requests.post(
        f"{dashboard_url}/_dash-update-component",
        json=Dashboard(dashboard_url).body(
            "overview-kpi-revenue.children",
            {"filters-store.data": store("2025-01-10", "2025-01-20")},
        ),
        timeout=10,
    ).raise_for_status()
    users = built_warehouse.scalar(
        "select array_agg(distinct usename::text) from pg_stat_activity"
        " where application_name = 'dataops-dashboard' and datname = current_database()"
    )
    assert users == [role.user]


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.rpt_revenue_daily (revenue_date) values ('2025-01-01')",
        "update marts.fct_orders set net_revenue_eur = 0",
        "delete from marts.dim_customers",
        "truncate marts.rpt_revenue_daily",
        "drop table marts.rpt_revenue_daily",
        "create table marts.intruder (x integer)",
    ],
)
def test_the_reporter_role_cannot_write(built_warehouse: Warehouse, statement: str) -> None:
    connection = reporter(built_warehouse).connect()
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                cursor.execute(statement)
            # read-only sessions are the second fence: a session may lower it, not its grants
            cursor.execute("set default_transaction_read_only = off")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)
    finally:
        connection.close()


@pytest.mark.parametrize(
    "relation",
    ["raw_shop.orders", "staging.stg_shop__orders", "intermediate.int_euro_rates_filled_to_days"],
)
def test_the_reporter_role_reads_nothing_beyond_the_marts(
    built_warehouse: Warehouse, relation: str
) -> None:
    connection = reporter(built_warehouse).connect()
    try:
        with connection.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(f"select count(*) from {relation}")
    finally:
        connection.close()


def test_the_reporter_role_reads_the_marts(built_warehouse: Warehouse) -> None:
    # the counterpart of the refusals above: the role is not simply locked out
    connection = reporter(built_warehouse).connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from marts.rpt_revenue_daily")
            assert cursor.fetchone()[0] > 0
    finally:
        connection.close()
