"""`dataops dashboard` and `dataops docs`: serve the dashboard (gunicorn, or Dash's dev server)
and dbt's documentation site (`dbt docs serve`), bound to the loopback interface by default.
`dataops orchestrate` (Dagster's webserver and daemon) is listed with them and lives in
`dataops.cli.orchestrate`.

Both refuse a taken port in one line before starting anything, and print the URL on stdout
once the server answers, so a script (or a test) can read where to go. The docs site is dbt's
own server (`dbt docs serve`, run like every dbt command through `dataops.pipeline.dbt`); this
module adds only the port check, the check that a site was generated, and the URL line.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from pathlib import Path

import click

from dataops import pipeline
from dataops.cli.base import Section
from dataops.cli.orchestrate import orchestrate
from dataops.core.console import say
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT, dbt_target_dir
from dataops.core.warehouse import WarehouseSettings, port_is_free, resolve

commands = Section("Serve")

# what `dbt docs serve` needs from `dbt docs generate` (it writes index.html itself)
DOCS_SITE_FILES = ("manifest.json", "catalog.json")


@commands.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=int, envvar="DASHBOARD_PORT", default=8050, show_default=True, show_envvar=True
)
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--debug", is_flag=True, help="Dash dev server with hot reload")
def dashboard(host: str, port: int, workers: int, debug: bool) -> None:
    """serve the dashboard"""
    if not port_is_free(port, host):
        raise DataOpsError(
            f"port {port} on {host} is already in use; "
            f"choose another with --port (or DASHBOARD_PORT=... make demo)"
        )
    from dashboards.auth import credentials_from_env

    protected = credentials_from_env() is not None
    settings = resolve()
    settings.check()
    reader = _reader_settings(settings)
    url = f"http://{host}:{port}"
    say(
        f"dashboard at {url} as database user {reader.user}"
        f"{', basic auth on' if protected else ''} (Ctrl+C to stop)"
    )
    print(url, flush=True)
    if debug:
        os.environ["DATABASE_URL"] = reader.url()
        from dashboards.app import app

        app.run(host=host, port=port, debug=True)
        return
    _exec_gunicorn(host, port, workers, {**os.environ, "DATABASE_URL": reader.url()})


def _reader_settings(settings: WarehouseSettings) -> WarehouseSettings:
    """The settings the dashboard reads with: the read-only reporter role."""
    from dataops import roles

    roles.ensure_roles(settings)
    return roles.role_connection(settings, "reporter")


def _exec_gunicorn(host: str, port: int, workers: int, env: dict[str, str]) -> None:
    """Replace this process with gunicorn serving the dashboard: a stop signal (Ctrl+C, a
    supervisor's or a test's SIGTERM) then reaches the server itself, and no worker outlives
    the command."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--log-level",
        "warning",
        "dashboards.app:server",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(REPO_ROOT)
    os.execve(str(gunicorn), command, env)  # noqa: S606 - a fixed command, no shell


@commands.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--no-generate", is_flag=True, help="serve the last generated site as it is")
def docs(host: str, port: int, no_generate: bool) -> int:
    """generate dbt's documentation site and serve it"""
    if not port_is_free(port, host):
        raise DataOpsError(f"port {port} on {host} is already in use; choose another with --port")
    if no_generate:
        _require_docs_site(dbt_target_dir())
    settings = resolve()
    if not no_generate:
        say("dbt docs generate ...")
        pipeline.docs_generate(settings=settings)
    url = f"http://{host}:{port}"
    _announce_when_listening(host, port, f"dbt docs at {url} (Ctrl+C to stop)", url)
    arguments = ["docs", "serve", "--host", host, "--port", str(port), "--no-browser"]
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how the site stops
        return pipeline.dbt(arguments, check=False, settings=settings)
    return 0


def _require_docs_site(folder: Path) -> None:
    missing = [name for name in DOCS_SITE_FILES if not (folder / name).exists()]
    if missing:
        raise DataOpsError(
            f"no docs site in {folder} ({', '.join(missing)} missing); run `dataops docs`"
            " without --no-generate"
        )


def _announce_when_listening(host: str, port: int, message: str, url: str) -> None:
    """Say `message` and print `url` once host:port accepts connections (dbt starts the
    server in its own process, after loading the project)."""

    def wait() -> None:
        while True:
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
                say(message)
                print(url, flush=True)
                return
            time.sleep(0.1)

    threading.Thread(target=wait, name="docs-announce", daemon=True).start()


commands.add_command(orchestrate)
