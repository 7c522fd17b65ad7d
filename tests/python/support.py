"""Helpers the test suites share: the demo size and a handle on a throwaway warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dataops.paths import REPO_ROOT
from dataops.warehouse import Connection

DATAOPS = str(Path(sys.executable).with_name("dataops"))

# small enough to run in seconds, big enough for every status and currency to appear
DEMO_DAYS = 60
DEMO_ORDERS = 6000

_CONNECTION_VARS = ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


@dataclass
class Warehouse:
    conn: Connection
    state_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a `dataops` subprocess pointed at this warehouse and state."""
        env = {k: v for k, v in os.environ.items() if k not in _CONNECTION_VARS}
        env.update(
            DATABASE_URL=self.conn.url(),
            DATAOPS_STATE_DIR=str(self.state_dir),
            DLT_DATA_DIR=str(self.state_dir / "dlt"),
        )
        env.update(extra)
        return env

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
