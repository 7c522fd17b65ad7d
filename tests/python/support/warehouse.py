"""A handle on a throwaway warehouse: the server and databases the tests (and the benchmarks)
make and drop, the demo size, and `dataops` run against it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dataops.core.network import free_port
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import EmbeddedPostgres, WarehouseSettings, resolve

DATAOPS = str(Path(sys.executable).with_name("dataops"))

# small enough to run in seconds, big enough for every status and currency to appear
DEMO_DAYS = 60
DEMO_ORDERS = 6000


@dataclass
class Warehouse:
    settings: WarehouseSettings
    state_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a `dataops` subprocess pointed at this warehouse and state."""
        return self.settings.dataops_env(self.state_dir, **extra)

    def dataops(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        return run_dataops([DATAOPS], args, cwd=REPO_ROOT, env=self.env(**env), check=check)

    def rows(self, statement: str, params: tuple = ()) -> list[tuple]:
        with self.settings.session() as connection, connection.cursor() as cursor:
            cursor.execute(statement, params or None)
            return cursor.fetchall()

    def scalar(self, statement: str, params: tuple = ()) -> object:
        with self.settings.session() as connection, connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone()[0]

    def execute(self, statement: str, params: tuple = ()) -> None:
        with self.settings.session() as connection, connection.cursor() as cursor:
            cursor.execute(statement, params)


def run_dataops(
    program: list[str], args: tuple[str, ...], *, cwd: Path, env: dict[str, str], check: bool
) -> subprocess.CompletedProcess:
    """Run `dataops ARGS` (`program` is how: its script, or a Python running its module); with
    `check`, a failure raises with the end of what it printed."""
    result = subprocess.run(
        [*program, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dataops {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@contextlib.contextmanager
def throwaway_server(folder: Path) -> Iterator[WarehouseSettings]:
    """A server for throwaway databases (tests, benchmarks), never the clone's own.

    With `DATABASE_URL` set it is that server, left as it is; otherwise an embedded PostgreSQL
    in `folder` on a free port, stopped afterwards. The server learns that port from
    `DATAOPS_PG_PORT`, set while it runs; the variable's earlier value is put back afterwards.
    """
    if os.environ.get("DATABASE_URL"):
        yield resolve()
        return
    server = EmbeddedPostgres(folder)
    previous = os.environ.get("DATAOPS_PG_PORT")
    os.environ["DATAOPS_PG_PORT"] = str(free_port())
    try:
        server.start()
        yield server.settings()
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("DATAOPS_PG_PORT", None)
        else:
            os.environ["DATAOPS_PG_PORT"] = previous


@contextlib.contextmanager
def throwaway_database(server: WarehouseSettings, prefix: str) -> Iterator[WarehouseSettings]:
    """An empty database of its own on the server, `<prefix>_<random>`, dropped afterwards."""
    settings = server.with_database(f"{prefix}_{uuid.uuid4().hex[:10]}")
    settings.ensure_database()
    try:
        yield settings
    finally:
        settings.drop_database()
