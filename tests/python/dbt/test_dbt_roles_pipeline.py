"""The pipeline runs as its roles: dlt loaded as the loader and dbt built as the transformer
(the built warehouse's `dataops run` is the green run), so each schema and everything in it
belongs to the role that builds in it, and each role fails at what it must not do."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from support.dbt import sqlstate
from support.warehouse import Warehouse

from dataops import roles

RAW = ("raw_shop", "raw_ecb", "raw_landing")


@pytest.fixture
def connect(built_warehouse: Warehouse) -> Iterator[object]:
    opened: list[psycopg2.extensions.connection] = []

    def as_role(key: str) -> psycopg2.extensions.connection:
        connection = roles.role_connection(built_warehouse.settings, key).connect()
        opened.append(connection)
        return connection

    yield as_role
    for connection in opened:
        connection.close()


def owners(warehouse: Warehouse) -> dict[str, set[str]]:
    """schema -> the owners of the schema and of every table, view and sequence in it."""
    found: dict[str, set[str]] = {}
    for schema, owner in warehouse.rows(
        "select nspname, pg_get_userbyid(nspowner) from pg_namespace"
        " union all select namespace.nspname, pg_get_userbyid(relation.relowner)"
        " from pg_class as relation join pg_namespace as namespace"
        " on namespace.oid = relation.relnamespace where relation.relkind in ('r', 'v', 'S')"
    ):
        found.setdefault(schema, set()).add(owner)
    return found


def test_each_schema_and_all_in_it_belongs_to_the_role_that_builds_in_it(
    built_warehouse: Warehouse,
) -> None:
    found = owners(built_warehouse)
    loader, transformer = roles.ROLES["loader"].name, roles.ROLES["transformer"].name
    for schema in RAW:  # dlt created every table, as the loader
        assert found[schema] == {loader}, schema
        assert found[f"{schema}_staging"] == {loader}, schema
    for schema in roles.dbt_schemas():  # dbt created every relation, as the transformer
        assert found[schema] == {transformer}, schema
    # the owner keeps only the run history it writes
    assert found["observability"] == {built_warehouse.settings.user}
    reporter = roles.ROLES["reporter"].name
    assert [schema for schema, names in found.items() if reporter in names] == []
    large_objects = built_warehouse.scalar(
        "select count(*) from pg_largeobject_metadata where pg_get_userbyid(lomowner) = %s",
        (reporter,),
    )
    assert large_objects == 0


LOADER_DENIED = [
    "select * from marts.fct_orders limit 1",
    "select * from staging.stg_shop__orders limit 1",
    "select * from snapshots.snp_shop__customers limit 1",
    "insert into marts.fct_orders (order_id) values (-1)",
    "delete from intermediate.int_euro_rates_filled_to_days",
    "create table marts.loader_table (id int)",
    "create table staging.loader_table (id int)",
    "create view intermediate.loader_view as select 1 as id",
    "create table seeds.loader_table (id int)",
    "drop table marts.dim_products",
    "create schema ci_pr_999",
    "create schema loader_schema",
    "insert into observability.pipeline_runs (run_id) values ('x')",
    "select * from observability.pipeline_runs limit 1",
    "create role loader_made",
]


@pytest.mark.parametrize("statement", LOADER_DENIED)
def test_the_loader_cannot_create_or_write_in_the_dbt_schemas_nor_read_them(
    connect: object, statement: str
) -> None:
    assert sqlstate(connect("loader"), statement) == "42501"


def test_the_loader_writes_what_it_owns(connect: object) -> None:
    connection = connect("loader")
    for statement in (
        "delete from raw_shop.orders where order_id = -1",
        "create table raw_shop.loader_table (id int)",
        "create table raw_shop_staging.loader_table (id int)",
        "create temporary table loader_scratch (id int)",  # dlt's merges use them
    ):
        assert sqlstate(connection, statement) is None, statement


TRANSFORMER_DENIED = [
    "insert into raw_shop.orders (order_id) values (-1)",
    "update raw_ecb.euro_rates set rate = 0",
    "delete from raw_landing.marketing_spend",
    "truncate raw_shop.customers",
    "create table raw_shop.transformer_table (id int)",
    "create table raw_shop_staging.transformer_table (id int)",
    "drop table raw_shop.orders",
    "alter table raw_shop.orders add column x int",
    "create index transformer_index on raw_shop.orders (status)",
    "insert into observability.pipeline_runs (run_id) values ('x')",
    "delete from observability.dbt_nodes",
    "create table observability.transformer_table (id int)",
    "create role transformer_made",
]


@pytest.mark.parametrize("statement", TRANSFORMER_DENIED)
def test_the_transformer_cannot_write_raw_nor_the_run_history(
    connect: object, statement: str
) -> None:
    assert sqlstate(connect("transformer"), statement) == "42501"


def test_the_transformer_builds_where_dbt_needs(connect: object) -> None:
    connection = connect("transformer")
    for statement in (
        "select * from raw_shop._dlt_loads limit 1",
        "select * from observability.pipeline_runs limit 1",
        "create schema ci_pr_999",  # a pull request's schema
        "create table marts.transformer_table (id int)",
        "create temporary table transformer_scratch (id int)",  # dbt's incremental merges
        "grant select on marts.fct_orders to dataops_reporter",
    ):
        assert sqlstate(connection, statement) is None, statement
