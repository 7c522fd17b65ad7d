"""Shared fixtures: a throwaway warehouse, and the whole pipeline run once against it.

A test is marked `slow` when it needs a pipeline run (the built warehouse, or a warehouse it
fills itself) or builds a project of its own (slim CI, the benchmarks, the end-to-end run):
`make test-fast` runs the others (a few minutes), while `make test` runs everything.

With `DATABASE_URL` set (CI's PostgreSQL service, say) the tests create a fresh database on
that server and drop it afterwards; otherwise they start an embedded PostgreSQL in a temporary
folder on a free port. Either way nothing touches the clone's own `.local/` state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.warehouse import (
    DEMO_DAYS,
    DEMO_ORDERS,
    Warehouse,
    throwaway_database,
    throwaway_server,
)

from dataops.core.warehouse import WarehouseSettings

# what makes a test slow: a fixture it uses, or the folder it lives in
SLOW_FIXTURES = {
    "built_warehouse",
    "fresh_warehouse",
    "shop",
    "project_copy",
    "production",
    "project",
    "orchestrated",
}
SLOW_FOLDERS = {"e2e", "bench"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).parent.name
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or folder in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def server_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseSettings]:
    """A PostgreSQL server for the session: the configured one, or a throwaway embedded one."""
    with throwaway_server(tmp_path_factory.mktemp("pg")) as server:
        yield server


@pytest.fixture
def fresh_database(server_connection: WarehouseSettings) -> Iterator[WarehouseSettings]:
    """An empty database of its own, dropped afterwards."""
    with throwaway_database(server_connection, "test") as settings:
        yield settings


@pytest.fixture
def fresh_warehouse(fresh_database: WarehouseSettings, tmp_path: Path) -> Warehouse:
    """An empty database and an empty state folder, for a pipeline of the test's own."""
    return Warehouse(fresh_database, tmp_path / "state")


@pytest.fixture(scope="session")
def built_warehouse(
    server_connection: WarehouseSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The whole pipeline (generate, ingest, dbt build) run once on a fresh database."""
    with throwaway_database(server_connection, "test") as settings:
        warehouse = Warehouse(settings, tmp_path_factory.mktemp("state"))
        warehouse.dataops("run", "--days", str(DEMO_DAYS), "--orders", str(DEMO_ORDERS))
        yield warehouse
