"""The warehouse owner as on managed PostgreSQL: not a superuser, with CREATEROLE and CREATEDB,
owning the warehouse database. Since PostgreSQL 16 such a role manages only the roles it
created (it holds ADMIN OPTION on them) and must be granted their membership to act as them.

The owner prepares the roles and runs a small pipeline through `DATABASE_URL`; each step runs
as its role. Taking the large-object functions from PUBLIC needs a superuser: the owner warns
on every command, naming the statement to ask the database administrator for. Roles another
user created stop the owner with the grant to ask for; with it, the owner carries on.

Roles belong to the whole server, and the tests' shared server has them already (made by its
superuser), so these tests start an embedded server of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest
from support.warehouse import Warehouse

from dataops import roles
from dataops.core.network import free_port
from dataops.core.warehouse import EmbeddedPostgres, WarehouseSettings

pytestmark = pytest.mark.slow

ROLE_NAMES = sorted(chosen.name for chosen in roles.ROLES.values())
LARGE_OBJECTS_WARNING = (
    "only a superuser may take that away: ask the database administrator to run `revoke execute"
    f" on function {', '.join(f'pg_catalog.{f}' for f in roles.LARGE_OBJECT_WRITERS)}"
    " from public` in database"
)


@pytest.fixture(scope="module")
def superuser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseSettings]:
    """A server of its own, on which no dataops role exists yet; its superuser's settings."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("managed_pg"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAOPS_PG_PORT", str(free_port()))
        server.start()
        try:
            yield server.settings().with_database("postgres")
        finally:
            server.stop()


def run(settings: WarehouseSettings, statement: str, params: tuple = ()) -> list[tuple]:
    with settings.session(autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def managed_owner(superuser: WarehouseSettings, name: str) -> WarehouseSettings:
    """A new login with CREATEROLE and CREATEDB, not a superuser, and a database it owns."""
    password = uuid.uuid4().hex
    run(superuser, f"create role {name} login createrole createdb password %s", (password,))
    run(superuser, f"create database {name}_warehouse owner {name}")
    return replace(
        superuser, user=name, password=password, dbname=f"{name}_warehouse", origin="DATABASE_URL"
    )


def test_a_managed_owner_prepares_the_roles_and_the_pipeline_runs_as_them(
    superuser: WarehouseSettings, tmp_path: Path
) -> None:
    owner = managed_owner(superuser, "first_owner")
    warehouse = Warehouse(owner, tmp_path / "state")

    prepared = warehouse.dataops("db", "roles")

    assert [line.split()[0] for line in prepared.stdout.splitlines()[::2]] == [
        chosen.name for chosen in roles.ROLES.values()
    ]
    assert LARGE_OBJECTS_WARNING in prepared.stderr, prepared.stderr
    created = run(
        superuser,
        "select rolname, rolsuper, rolcreaterole, rolcreatedb,"
        " pg_has_role(%s, oid, 'MEMBER WITH ADMIN OPTION')"
        " from pg_roles where rolname like 'dataops\\_%%' order by rolname",
        (owner.user,),
    )
    assert created == [(name, False, False, False, True) for name in ROLE_NAMES]

    ran = warehouse.dataops("run", "--days", "20", "--orders", "400")

    assert LARGE_OBJECTS_WARNING in ran.stderr
    owners = dict(
        run(
            owner,
            "select nspname, pg_get_userbyid(nspowner) from pg_namespace"
            " where nspname in ('raw_shop', 'raw_ecb', 'raw_landing', 'staging', 'marts',"
            " 'observability')",
        )
    )
    assert owners == {
        "raw_shop": "dataops_loader",
        "raw_ecb": "dataops_loader",
        "raw_landing": "dataops_loader",
        "staging": "dataops_transformer",
        "marts": "dataops_transformer",
        "observability": owner.user,
    }
    # what dlt and dbt made belongs to the role each ran as
    made = run(
        owner,
        "select distinct namespace.nspname like 'raw\\_%', pg_get_userbyid(relowner)"
        " from pg_class join pg_namespace as namespace on namespace.oid = relnamespace"
        " where nspname like 'raw\\_%' or nspname in ('staging', 'marts') order by 1",
    )
    assert made == [(False, "dataops_transformer"), (True, "dataops_loader")]
    statuses = run(owner, "select distinct status from observability.pipeline_runs")
    assert statuses == [("success",)]
    reporter = roles.role_connection(owner, "reporter")
    assert run(reporter, "select count(*) > 0 from marts.fct_orders") == [(True,)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        run(reporter, "select count(*) from raw_shop.orders")


def test_roles_another_user_created_stop_the_owner_with_the_grant_to_ask_for(
    superuser: WarehouseSettings, tmp_path: Path
) -> None:
    for name in ROLE_NAMES:  # made by the administrator, or left by another owner
        run(
            superuser,
            f"do $$ begin if not exists (select from pg_roles where rolname = '{name}')"
            f" then create role {name}; end if; end $$",
        )
    owner = managed_owner(superuser, "second_owner")
    warehouse = Warehouse(owner, tmp_path / "state")

    refused = warehouse.dataops("db", "roles", check=False)

    assert refused.returncode != 0
    last = refused.stderr.strip().splitlines()[-1]
    assert last == (
        f"error: second_owner may not manage the existing roles {', '.join(ROLE_NAMES)}"
        " (since PostgreSQL 16 a role with CREATEROLE manages only the roles it created):"
        " ask the database administrator to run"
        " `grant dataops_loader, dataops_transformer, dataops_reporter to second_owner"
        " with admin option`"
    ), refused.stderr

    run(superuser, f"grant {', '.join(ROLE_NAMES)} to second_owner with admin option")
    prepared = warehouse.dataops("db", "roles")
    assert "dataops_loader" in prepared.stdout
    with warehouse.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select pg_get_userbyid(nspowner) from pg_namespace where nspname = %s", ("raw_shop",)
        )
        assert cursor.fetchone() == ("dataops_loader",)
