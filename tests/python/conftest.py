"""Shared fixtures: a throwaway warehouse, and the whole pipeline run once against it.

With `DATABASE_URL` set (CI's PostgreSQL service, say) the tests create a fresh database on
that server and drop it afterwards; otherwise they start an embedded PostgreSQL in a temporary
folder on a free port. Either way nothing touches the clone's own `.local/` state.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg2 import sql
from support import DEMO_DAYS, DEMO_ORDERS, Warehouse

from dataops.warehouse import Connection, EmbeddedPostgres, ensure_database, free_port, resolve


@pytest.fixture(scope="session")
def server_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection]:
    """A PostgreSQL server for the session: the configured one, or a throwaway embedded one."""
    if os.environ.get("DATABASE_URL"):
        yield resolve()
        return
    root = tmp_path_factory.mktemp("pg")
    server = EmbeddedPostgres(root)
    previous = os.environ.get("DATAOPS_PG_PORT")
    os.environ["DATAOPS_PG_PORT"] = str(free_port())
    try:
        server.start()
        yield server.connection()
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("DATAOPS_PG_PORT", None)
        else:
            os.environ["DATAOPS_PG_PORT"] = previous


def _drop_database(server: Connection, dbname: str) -> None:
    admin = server.with_database("postgres").connect()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname))
        )
    admin.close()


@pytest.fixture
def fresh_database(server_connection: Connection) -> Iterator[Connection]:
    """An empty database of its own, dropped afterwards."""
    conn = server_connection.with_database(f"test_{uuid.uuid4().hex[:10]}")
    ensure_database(conn)
    yield conn
    _drop_database(server_connection, conn.dbname)


@pytest.fixture
def fresh_warehouse(fresh_database: Connection, tmp_path: Path) -> Warehouse:
    """An empty database and an empty state folder, for a pipeline of the test's own."""
    return Warehouse(fresh_database, tmp_path / "state")


@pytest.fixture(scope="session")
def built_warehouse(
    server_connection: Connection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The whole pipeline (generate, ingest, dbt build) run once on a fresh database."""
    conn = server_connection.with_database(f"test_{uuid.uuid4().hex[:10]}")
    ensure_database(conn)
    warehouse = Warehouse(conn, tmp_path_factory.mktemp("state"))
    warehouse.dataops("run", "--days", str(DEMO_DAYS), "--orders", str(DEMO_ORDERS))
    yield warehouse
    _drop_database(server_connection, conn.dbname)
