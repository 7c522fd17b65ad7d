"""Helpers the test suites share: the demo size, a handle on a throwaway warehouse, and
changes to its raw data that a test makes and takes back."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dataops.paths import REPO_ROOT
from dataops.warehouse import Connection

DATAOPS = str(Path(sys.executable).with_name("dataops"))

# small enough to run in seconds, big enough for every status and currency to appear
DEMO_DAYS = 60
DEMO_ORDERS = 6000


@dataclass
class Warehouse:
    conn: Connection
    state_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a `dataops` subprocess pointed at this warehouse and state."""
        return self.conn.dataops_env(self.state_dir, **extra)

    def dataops(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [DATAOPS, *args],
            cwd=REPO_ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=900,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"dataops {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
            )
        return result

    def rows(self, statement: str, params: tuple = ()) -> list[tuple]:
        connection = self.conn.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, params or None)
                return cursor.fetchall()
        finally:
            connection.close()

    def scalar(self, statement: str, params: tuple = ()) -> object:
        with self.conn.connect() as connection, connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone()[0]

    def execute(self, statement: str, params: tuple = ()) -> None:
        connection = self.conn.connect()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(statement, params)
        finally:
            connection.close()


@contextlib.contextmanager
def duplicate_customer(w: Warehouse) -> Iterator[None]:
    """A duplicate customer slips into raw through a completed load; removed afterwards.

    The copy gets a row id of its own where the table has dlt's (unique) `_dlt_id`; rows
    loaded from Arrow tables have none.
    """
    in_customers = (
        " from information_schema.columns"
        " where table_schema = 'raw_shop' and table_name = 'customers'"
    )
    columns = w.scalar(
        f"select string_agg(quote_ident(column_name), ', '){in_customers}"
        " and column_name <> '_dlt_id'"
    )
    if w.scalar(f"select count(*){in_customers} and column_name = '_dlt_id'"):
        columns_to, values = f"{columns}, _dlt_id", f"{columns}, md5(random()::text)"
    else:
        columns_to, values = columns, columns
    w.execute(
        f"insert into raw_shop.customers ({columns_to})"
        f" select {values} from raw_shop.customers order by customer_id limit 1"
    )
    try:
        yield
    finally:
        w.execute(
            "delete from raw_shop.customers where ctid in ("
            " select ctid from (select ctid, row_number() over (partition by customer_id) as n"
            " from raw_shop.customers) as numbered where n > 1)"
        )


@contextlib.contextmanager
def stale_ecb(w: Warehouse) -> Iterator[None]:
    """The ECB source's loads look ten days older than they are; their times back afterwards."""
    w.execute(
        "create table raw_ecb._loads_kept as select load_id, inserted_at from raw_ecb._dlt_loads"
    )
    w.execute("update raw_ecb._dlt_loads set inserted_at = inserted_at - interval '10 days'")
    try:
        yield
    finally:
        w.execute(
            "update raw_ecb._dlt_loads set inserted_at = kept.inserted_at"
            " from raw_ecb._loads_kept as kept where kept.load_id = _dlt_loads.load_id"
        )
        w.execute("drop table raw_ecb._loads_kept")
