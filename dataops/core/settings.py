"""Warehouse settings: which PostgreSQL, as whom, and sessions on it.

`WarehouseSettings` holds where the warehouse is; `session()` is the one way code talks to it:
a context manager that commits on success, rolls back on error and always closes.
`dataops.core.warehouse.resolve` decides which settings a process uses.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg2
from psycopg2 import sql

from dataops.core.errors import WarehouseUnavailable, first_line

DEFAULT_DBNAME = "warehouse"
# What `resolve` reads; a child process given settings of its own sees none of them.
CONNECTION_VARIABLES = ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


@dataclass(frozen=True)
class WarehouseSettings:
    """Where the warehouse is and whom to connect as, and where these settings came from."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    origin: str

    @classmethod
    def from_url(cls, url: str, origin: str = "DATABASE_URL") -> WarehouseSettings:
        parts = urlsplit(url)
        if parts.scheme not in {"postgres", "postgresql"} or not parts.hostname:
            raise WarehouseUnavailable(
                "DATABASE_URL must look like postgresql://user:password@host:port/dbname"
            )
        try:
            port = parts.port or 5432
        except ValueError:
            raise WarehouseUnavailable(f"DATABASE_URL has an invalid port: {url!r}") from None
        return cls(
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=unquote(parts.path.lstrip("/")) or DEFAULT_DBNAME,
            origin=origin,
        )

    def url(self, *, hide_password: bool = False) -> str:
        password = "****" if hide_password else quote(self.password, safe="")
        return (
            f"postgresql://{quote(self.user, safe='')}:{password}"
            f"@{self.host}:{self.port}/{quote(self.dbname, safe='')}"
        )

    def with_database(self, dbname: str) -> WarehouseSettings:
        return replace(self, dbname=dbname)

    def dbt_env(self) -> dict[str, str]:
        """Environment variables `profiles.yml` reads."""
        return {
            "DBT_PG_HOST": self.host,
            "DBT_PG_PORT": str(self.port),
            "DBT_PG_USER": self.user,
            "DBT_ENV_SECRET_PG_PASSWORD": self.password,
            "DBT_PG_DBNAME": self.dbname,
        }

    def libpq_env(self) -> dict[str, str]:
        """Environment variables psql and other libpq clients read."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }

    def dataops_env(self, state: Path, **extra: str) -> dict[str, str]:
        """This process's environment for a `dataops` child on this database and a state folder.

        The connection variables of this process are left out, so the child reaches only
        this database; `extra` is added last.
        """
        env = {k: v for k, v in os.environ.items() if k not in CONNECTION_VARIABLES}
        env.update(
            DATABASE_URL=self.url(),
            DATAOPS_STATE_DIR=str(state),
            DLT_DATA_DIR=str(state / "dlt"),
        )
        env.update(extra)
        return env

    def connect(self, **kwargs: object) -> psycopg2.extensions.connection:
        """A psycopg2 connection the caller closes (a pool, a long-lived listener); anything
        shorter uses `session()`. Fails with one line naming host and port."""
        try:
            return psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.dbname,
                connect_timeout=5,
                **kwargs,
            )
        except psycopg2.OperationalError as exc:
            raise WarehouseUnavailable(
                f"cannot connect to PostgreSQL at {self.host}:{self.port} "
                f"(database {self.dbname!r}, from {self.origin}): {first_line(exc, 'no answer')}"
            ) from None

    @contextlib.contextmanager
    def session(
        self, *, autocommit: bool = False, **kwargs: object
    ) -> Iterator[psycopg2.extensions.connection]:
        """A connection for one piece of work: committed when the block ends normally, rolled
        back when it raises, closed either way."""
        connection = self.connect(**kwargs)
        try:
            connection.autocommit = autocommit
            yield connection
            if not autocommit:
                connection.commit()
        except BaseException:
            if not connection.closed and not autocommit:
                connection.rollback()
            raise
        finally:
            connection.close()

    def check(self) -> None:
        """Connect once and disconnect: fails early, with one line, if the server is away."""
        self.connect().close()

    def ensure_database(self) -> None:
        """Create this database if the server does not have it yet."""
        admin = self.with_database("postgres")
        with admin.session(autocommit=True) as connection, connection.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (self.dbname,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("create database {}").format(sql.Identifier(self.dbname)))

    def drop_database(self) -> None:
        """Drop this database if it exists, ending any sessions still on it."""
        admin = self.with_database("postgres")
        with admin.session(autocommit=True) as connection, connection.cursor() as cursor:
            statement = sql.SQL("drop database if exists {} with (force)")
            cursor.execute(statement.format(sql.Identifier(self.dbname)))
