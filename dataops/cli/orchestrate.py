"""`dataops orchestrate`: Dagster over the project's definitions, its webserver (the asset
graph, runs, schedules and sensors) and its daemon (which runs the schedules, sensors, run
monitoring and run retries), on the loopback interface by default.

What Dagster runs is the `orchestration` package's own program (`python -m orchestration`:
the instance prepared in the warehouse, then `dagster dev`); nothing of `dataops` imports that
package. This command adds what every `dataops` server does first, as `dataops dashboard` does
around gunicorn: the port checked in one line before anything starts, the warehouse resolved
(the embedded one started when no `DATABASE_URL` is set) and reached, and the URL printed on
stdout. Then it becomes that program, so a stop signal (Ctrl+C, a supervisor's SIGTERM)
reaches Dagster itself.
"""

from __future__ import annotations

import os
import sys

import click

from dataops.cli.base import Command
from dataops.core.console import say
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import port_is_free, resolve

PROGRAM = "orchestration"  # run as `python -m orchestration`
SCHEMA = "dagster"  # where the program keeps Dagster's instance (orchestration/instance.py)


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
    settings = resolve()
    settings.check()
    url = f"http://{host}:{port}"
    say(
        f"Dagster at {url}, its runs in the {SCHEMA!r} schema of database {settings.dbname!r}"
        " (Ctrl+C to stop)"
    )
    print(url, flush=True)
    command = [sys.executable, "-m", PROGRAM, "--host", host, "--port", str(port)]
    sys.stderr.flush()
    os.chdir(REPO_ROOT)
    os.execv(sys.executable, command)  # noqa: S606 - a fixed command, no shell
