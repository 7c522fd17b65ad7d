"""Dagster's instance for this project: where runs, the event log and schedules are kept, and
the environment every Dagster process (webserver, daemon, code server, run worker, CLI) needs
to find it.

Dagster reads its instance from `$DAGSTER_HOME/dagster.yaml`. `prepare` writes that file in
the project's state folder (`<state>/dagster/`) and keeps everything in the warehouse's own
PostgreSQL through dagster-postgres, in a schema of its own (`dagster`, chosen with
`search_path`, as dagster-postgres has no schema setting): a team on a real `DATABASE_URL`
keeps its orchestration history beside its data and can drop it in one statement, and the
embedded default needs no setup. The file names no host and no password: it reads them from
`DAGSTER_PG_*` variables (dagster.yaml's `env:` values), which `environment` sets.

A run whose worker dies (killed, out of memory) is marked failed by the code server that
started it, within a second; run monitoring (in the daemon) fails a run that never starts.
Run retries then re-execute such a run once from its failure (the steps that finished are
not run again), while a failing asset is left to its own retry policy
(`retry_on_asset_or_op_failure: false`), so nothing is retried twice over. One run at a time
(`run_queue`), as the deploy workflow's concurrency group has it. docs/orchestration.md has
the whole story.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml
from psycopg2 import sql

from dataops.core.paths import state_dir
from dataops.core.settings import WarehouseSettings

SCHEMA = "dagster"
HOME_FOLDER = "dagster"
CONFIG_FILE = "dagster.yaml"
# the variables dagster.yaml reads the connection from (Dagster's documented names)
CONNECTION_ENV = {
    "hostname": "DAGSTER_PG_HOST",
    "port": "DAGSTER_PG_PORT",
    "username": "DAGSTER_PG_USERNAME",
    "password": "DAGSTER_PG_PASSWORD",
    "db_name": "DAGSTER_PG_DB",
}
# how often the daemon looks for runs whose worker died, and how long a run may take to start
MONITOR_INTERVAL_S = 15
START_TIMEOUT_S = 180
RUN_RETRIES = 1

HEADER = """\
# Dagster's instance for this clone, written by `dataops orchestrate` (orchestration/instance.py)
# on every start: change the code, not this file. The connection comes from the DAGSTER_PG_*
# variables; docs/operations.md shows a dagster.yaml for a long-running host.
"""


def dagster_home(state: Path | None = None) -> Path:
    """The instance's folder (`DAGSTER_HOME`): `<state>/dagster`, for the clone's state folder
    unless `state` names another (a test's, a benchmark's)."""
    return (state or state_dir()) / HOME_FOLDER


def instance_config(schema: str = SCHEMA) -> dict[str, Any]:
    """dagster.yaml's contents: storage in PostgreSQL, run monitoring, run retries."""
    database = {key: {"env": variable} for key, variable in CONNECTION_ENV.items()}
    database["params"] = {"options": f"-csearch_path={schema}", "application_name": "dagster"}
    # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; the project has psycopg2
    database["scheme"] = "postgresql+psycopg2"
    return {
        "storage": {"postgres": {"postgres_db": database}},
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": START_TIMEOUT_S,
            "poll_interval_seconds": MONITOR_INTERVAL_S,
            # the default run launcher cannot resume a run in a worker of its own
            "max_resume_run_attempts": 0,
        },
        # one run at a time, as the deploy workflow's concurrency group: a sensor's run waits
        # for the daily one instead of loading the same source beside it
        "run_queue": {"max_concurrent_runs": 1},
        "run_retries": {
            "enabled": True,
            "max_retries": RUN_RETRIES,
            "retry_on_asset_or_op_failure": False,
        },
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
    }


def ensure_schema(settings: WarehouseSettings, schema: str = SCHEMA) -> None:
    """Create the instance's schema if it is missing (Dagster creates its tables in it on
    first use)."""
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))


def environment(settings: WarehouseSettings, state: Path | None = None) -> dict[str, str]:
    """The variables a Dagster process needs on top of the project's own: where the instance
    is, the connection it reads, and the environment's programs on PATH (dagster-dbt finds
    `dbt` there)."""
    bin_dir = str(Path(sys.executable).parent)
    others = [part for part in os.environ.get("PATH", "").split(os.pathsep) if part != bin_dir]
    return {
        "DAGSTER_HOME": str(dagster_home(state)),
        "DAGSTER_PG_HOST": settings.host,
        "DAGSTER_PG_PORT": str(settings.port),
        "DAGSTER_PG_USERNAME": settings.user,
        "DAGSTER_PG_PASSWORD": settings.password,
        "DAGSTER_PG_DB": settings.dbname,
        "PATH": os.pathsep.join([bin_dir, *filter(None, others)]),
    }


def prepare(settings: WarehouseSettings, state: Path | None = None) -> dict[str, str]:
    """Make the instance ready on `settings`' database: its schema, and dagster.yaml in
    `DAGSTER_HOME`. Returns the variables a Dagster process needs (`environment`)."""
    ensure_schema(settings)
    home = dagster_home(state)
    home.mkdir(parents=True, exist_ok=True)
    text = HEADER + yaml.safe_dump(instance_config(), sort_keys=False)
    (home / CONFIG_FILE).write_text(text)
    return environment(settings, state)
