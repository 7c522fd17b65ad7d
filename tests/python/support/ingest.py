"""What the ingestion tests share: a demo shop to change and serve, and warehouse queries.

`DemoShop.serve(faults)` serves the shop's API over a real socket with the given faults; the
`dataops` subprocess is pointed at that server through the settings a real endpoint would use
(`SOURCES__SHOP__BASE_URL`, `…__API_TOKEN`), and the test reads back what was injected.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from demo.api import DEFAULT_TOKEN, Faults, make_server
from demo.generator import DB_FILENAME, generate
from support.warehouse import Warehouse

SHOP_DAYS = 40
SHOP_ORDERS = 4000
# small pages, so a run takes several requests per resource and faults hit mid-resource
PAGE_SIZE = 100
# pages joined into batches of at least 250 records, so a batch spans pages and faults hit
# a batch half filled
BATCH_ROWS = 250
# retries without waiting, except what `Retry-After` asks for (1 s)
FAST_RETRIES = {
    "RUNTIME__REQUEST_MAX_ATTEMPTS": "4",
    "RUNTIME__REQUEST_BACKOFF_FACTOR": "0",
    "RUNTIME__REQUEST_MAX_RETRY_DELAY": "2",
    "RUNTIME__REQUEST_TIMEOUT": "10",
}


class DemoShop:
    """A demo shop's state folder, its SQLite records and its API."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.faults = Faults()
        self.base_url = ""

    def rows(self, statement: str, params: tuple = ()) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.state_dir / DB_FILENAME)) as conn:
            return conn.execute(statement, params).fetchall()

    def execute(self, statement: str, params: tuple = ()) -> None:
        with contextlib.closing(sqlite3.connect(self.state_dir / DB_FILENAME)) as conn:
            conn.execute(statement, params)
            conn.commit()

    def keys(self, table: str, key: str) -> set:
        return {row[0] for row in self.rows(f"select {key} from {table}")}

    def line_keys(self) -> set[tuple[int, int]]:
        return set(self.rows("select order_id, line_number from order_items"))

    def advance(self, days: int) -> None:
        """More days of business: new records and late changes to earlier ones."""
        generate(self.state_dir, days=days, orders=SHOP_ORDERS)

    @contextlib.contextmanager
    def serve(self, faults: str = "") -> Iterator[DemoShop]:
        self.faults = Faults(faults)
        server = make_server(self.state_dir, faults=self.faults)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    def env(self, **extra: str) -> dict[str, str]:
        """Settings that point `dataops ingest shop` at this shop's API."""
        return {
            "SOURCES__SHOP__BASE_URL": self.base_url,
            "SOURCES__SHOP__API_TOKEN": DEFAULT_TOKEN,
            "SOURCES__SHOP__PAGE_SIZE": str(PAGE_SIZE),
            "SOURCES__SHOP__BATCH_ROWS": str(BATCH_ROWS),
            **FAST_RETRIES,
            **extra,
        }


def raw_keys(warehouse: Warehouse, table: str, key: str) -> set:
    with warehouse.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(f"select {key} from {table}")
        return {row[0] if len(row) == 1 else tuple(row) for row in cursor.fetchall()}


def last_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
