"""`dataops orchestrate`: Dagster over the project's definitions (`orchestration.definitions`),
its webserver (the asset graph, runs, schedules and sensors) and its daemon (which runs the
schedules, sensors, run monitoring and run retries), on the loopback interface by default.

Dagster's `dagster dev` is the maintained way to run the two together: it starts
`dagster-webserver` and `dagster-daemon run` over one code server, and on Ctrl+C or SIGTERM
stops them and their code servers. This command adds what the project needs around it, as
`dataops dashboard` does around gunicorn: the port checked in one line before anything starts,
the warehouse resolved (the embedded one started when no `DATABASE_URL` is set), Dagster's
instance prepared in that warehouse (`orchestration.instance`), and the URL printed on stdout.
Then it becomes `dagster dev`, so a stop signal reaches Dagster itself and no process outlives
the command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dataops.cli.base import Command
from dataops.core.console import say
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import port_is_free, resolve

DEFINITIONS_MODULE = "orchestration.definitions"


@click.command(cls=Command)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=int, envvar="DAGSTER_PORT", default=3000, show_default=True, show_envvar=True
)
def orchestrate(host: str, port: int) -> None:
    """serve Dagster: asset graph, runs, schedules, sensors"""
    if not port_is_free(port, host):
        raise DataOpsError(
            f"port {port} on {host} is already in use; "
            f"choose another with --port (or DAGSTER_PORT=... make orchestrate)"
        )
    from orchestration import instance

    settings = resolve()
    settings.check()
    env = {**os.environ, **instance.prepare(settings)}
    url = f"http://{host}:{port}"
    say(
        f"Dagster at {url}, its instance in the {instance.SCHEMA!r} schema of database "
        f"{settings.dbname!r} (Ctrl+C to stop)"
    )
    print(url, flush=True)
    _exec_dagster_dev(host, port, env)


def _exec_dagster_dev(host: str, port: int, env: dict[str, str]) -> None:
    """Replace this process with `dagster dev` serving the definitions."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster),
        "dev",
        *("--host", host, "--port", str(port)),
        *("--module-name", DEFINITIONS_MODULE, "--working-directory", str(REPO_ROOT)),
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(REPO_ROOT)
    os.execve(str(dagster), command, env)  # noqa: S606 - a fixed command, no shell
