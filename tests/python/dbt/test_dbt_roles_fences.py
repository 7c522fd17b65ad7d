"""What the owner prepares for the roles, on an empty database: the reporter can store
nothing (no large objects, no temporary tables) whatever its session allows; settings it gives
itself do not outlast the owner's next step; the owner's old objects go to their roles; and
dbt's environment logs in as the transformer.

PostgreSQL lets every role change its own settings (`alter role ... set`): the tests show that
it still may, and that it gains nothing lasting by it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from support.dbt import sqlstate

from dataops import dbt as dbt_runner
from dataops import roles
from dataops.core.warehouse import WarehouseSettings

REPORTER = roles.ROLES["reporter"].name


@pytest.fixture
def owner(fresh_database: WarehouseSettings) -> WarehouseSettings:
    roles.ensure_roles(fresh_database, ["raw_shop"])
    return fresh_database


@pytest.fixture
def connect(owner: WarehouseSettings) -> Iterator[object]:
    opened: list[psycopg2.extensions.connection] = []

    def as_role(key: str, *, read_write: bool = False) -> psycopg2.extensions.connection:
        connection = roles.role_connection(owner, key).connect()
        opened.append(connection)
        if read_write:  # what any session of the role may do
            with connection.cursor() as cursor:
                cursor.execute("set default_transaction_read_only = off")
            connection.commit()
        return connection

    yield as_role
    for connection in opened:
        connection.close()


def run(settings: WarehouseSettings, statement: str, params: tuple = ()) -> list[tuple]:
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def owner_large_object(owner: WarehouseSettings) -> int:
    return run(owner, "select lo_from_bytea(0, 'owner'::bytea)")[0][0]


@pytest.mark.parametrize("read_write", [False, True], ids=["as configured", "read-write forced"])
def test_the_reporter_cannot_store_large_objects(
    owner: WarehouseSettings, connect: object, read_write: bool
) -> None:
    connection = connect("reporter", read_write=read_write)
    stored = owner_large_object(owner)
    # PostgreSQL 16 and later also refuse a large object's change in a read-only transaction
    denied = {"42501"} if read_write else {"42501", "25006"}
    for statement in (
        "select lo_from_bytea(0, 'x'::bytea)",
        "select lo_create(0)",
        "select lo_creat(-1)",
        "select lo_import('/etc/hostname')",
        f"select lo_put({stored}, 0, 'x'::bytea)",
        f"select lo_unlink({stored})",
    ):
        assert sqlstate(connection, statement) in denied, statement
    owned = "select count(*) from pg_largeobject_metadata where pg_get_userbyid(lomowner) = %s"
    assert run(owner, owned, (REPORTER,)) == [(0,)]


def test_large_objects_the_reporter_stored_are_removed_with_a_warning(
    owner: WarehouseSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The broken fixture: a large object the reporter stored before the fence."""
    stored = owner_large_object(owner)
    run(owner, f"alter large object {stored} owner to {REPORTER}")
    roles.ensure_roles(owner, ["raw_shop"])
    assert run(owner, "select count(*) from pg_largeobject_metadata where oid = %s", (stored,)) == [
        (0,)
    ]
    assert f"removed the large object {stored} the reporter had stored" in capsys.readouterr().err


@pytest.mark.parametrize("read_write", [False, True], ids=["as configured", "read-write forced"])
def test_the_reporter_cannot_create_temporary_tables(connect: object, read_write: bool) -> None:
    connection = connect("reporter", read_write=read_write)
    denied = {"42501"} if read_write else {"42501", "25006"}  # 15 allows it in read-only
    assert sqlstate(connection, "create temporary table scratch (id int)") in denied
    # the loader and the transformer can: dlt's merges and dbt's incremental models use them
    for key in ("loader", "transformer"):
        assert sqlstate(connect(key), "create temporary table scratch (id int)") is None, key


def reporter_session(owner: WarehouseSettings) -> tuple[str, str]:
    """(default_transaction_read_only, statement_timeout) of a new session of the reporter."""
    connection = roles.role_connection(owner, "reporter").connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select current_setting('default_transaction_read_only'),"
                " current_setting('statement_timeout')"
            )
            return cursor.fetchone()
    finally:
        connection.close()


PROTECTED = ("on", roles.REPORTER_STATEMENT_TIMEOUT)


@pytest.fixture
def put_back(owner: WarehouseSettings) -> Iterator[None]:
    """The reporter's settings belong to the whole server: put back whatever a test changed."""
    yield
    roles.ensure_roles(owner, ["raw_shop"])


@pytest.mark.usefixtures("put_back")
def test_settings_the_reporter_gives_itself_do_not_reach_its_next_session(
    owner: WarehouseSettings, connect: object
) -> None:
    connection = connect("reporter", read_write=True)
    for statement in (  # PostgreSQL allows every role this
        f"alter role {REPORTER} set default_transaction_read_only = off",
        f"alter role {REPORTER} set statement_timeout = 0",
    ):
        with connection.cursor() as cursor:
            cursor.execute(statement)
        connection.commit()
    # the owner's settings in the warehouse database outrank the role's own
    assert reporter_session(owner) == PROTECTED


@pytest.mark.usefixtures("put_back")
def test_settings_the_reporter_gives_itself_anywhere_are_put_back(
    owner: WarehouseSettings, connect: object, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = connect("reporter", read_write=True)
    with connection.cursor() as cursor:
        for where in ("", f" in database {owner.dbname}"):
            cursor.execute(f"alter role {REPORTER}{where} set default_transaction_read_only = off")
            cursor.execute(f"alter role {REPORTER}{where} set statement_timeout = 0")
    connection.commit()
    assert reporter_session(owner) == ("off", "0")
    roles.ensure_roles(owner, ["raw_shop"])  # what every pipeline step and the dashboard run
    assert reporter_session(owner) == PROTECTED
    warned = capsys.readouterr().err
    assert f"statement_timeout = 0 in database {owner.dbname}: put back" in warned
    assert "default_transaction_read_only = off for every database: put back" in warned
    config = run(owner, "select rolconfig from pg_roles where rolname = %s", (REPORTER,))
    assert sorted(config[0][0]) == [
        "default_transaction_read_only=on",
        f"statement_timeout={roles.REPORTER_STATEMENT_TIMEOUT}",
    ]


def test_the_owners_objects_are_handed_to_the_roles_that_build_there(
    fresh_database: WarehouseSettings,
) -> None:
    """The upgrade: a warehouse the owner built before the roles ran the pipeline."""
    run(
        fresh_database,
        "create schema raw_shop; create table raw_shop.orders (id serial primary key);"
        " create schema marts; create table marts.fct_orders (id int);"
        " create view marts.orders_view as select * from marts.fct_orders;"
        " create schema staging; create sequence staging.counter;",
    )
    roles.ensure_roles(fresh_database, ["raw_shop"])
    roles.ensure_roles(fresh_database, ["raw_shop"])  # nothing left to hand: no change
    found = run(
        fresh_database,
        "select nspname, null, pg_get_userbyid(nspowner) from pg_namespace"
        " where nspname in ('raw_shop', 'marts', 'staging')"
        " union all select namespace.nspname, relation.relname, pg_get_userbyid(relowner)"
        " from pg_class as relation join pg_namespace as namespace"
        " on namespace.oid = relation.relnamespace"
        " where nspname in ('raw_shop', 'marts', 'staging') and relkind in ('r', 'v', 'S', 'i')",
    )
    expected = {
        "raw_shop": "dataops_loader",
        "marts": "dataops_transformer",
        "staging": "dataops_transformer",
    }
    assert [row for row in found if row[2] != expected[row[0]]] == []
    assert (
        len(found) == 9
    )  # 3 schemas; a table with its sequence and key; a table, a view; a sequence


def test_dbt_logs_in_as_the_transformer(owner: WarehouseSettings) -> None:
    env = dbt_runner.environment(owner)
    assert env["DBT_PG_USER"] == roles.ROLES["transformer"].name
    assert env["DBT_ENV_SECRET_PG_PASSWORD"] == roles.role_password(owner, "transformer")
    loader = roles.role_connection(owner, "loader")
    assert roles.for_step(owner, "loader") == loader
    assert roles.for_step(loader, "transformer") == loader  # a role's own login stays its own
    assert dbt_runner.environment(loader)["DBT_PG_USER"] == loader.user
