"""`dataops`: the one entry point for every stage of the pipeline.

    dataops db start|stop|status|url|psql|roles   the warehouse (embedded PostgreSQL unless
                                                  configured)
    dataops generate                              advance the demo business (demo data only)
    dataops ingest [SOURCE ...]                   dlt: sources -> raw_<source> schemas
    dataops transform [-- DBT ARGS]               dbt build
    dataops run                                   generate, ingest, transform
    dataops dashboard | docs                      serve the Dash app | dbt's docs site
    dataops orchestrate                           serve Dagster (webserver and daemon)
    dataops dbt ARGS                              any dbt command against the warehouse
    dataops conventions                           the dbt project's conventions
    dataops ci STEP                               slim CI and the production deploy

Commands are click commands, one module per section of `dataops --help` (`db`, `pipeline`,
`serve`, `checks`, `ci`); a module writes its commands on its `commands` section and `ROOT`
lists them at the top level. A command parses its arguments and calls one service
(`dataops.pipeline`, `dataops.roles`, `dataops.conventions`, `dataops.status`, the
dashboard). Errors a user can cause print one line and exit non-zero; usage errors exit 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from dataops.cli import checks, ci, db, pipeline, serve
from dataops.cli.base import PROG, Root, finish_usage_error
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT, state_dir


def prepare_environment() -> None:
    """What every command runs with: dlt's project and data folders, no telemetry."""
    os.environ.setdefault("DLT_PROJECT_DIR", str(REPO_ROOT))
    os.environ.setdefault("DLT_DATA_DIR", str(state_dir() / "dlt"))
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


ROOT = Root(
    [db.commands, pipeline.commands, serve.commands, checks.commands, ci.commands],
    callback=prepare_environment,
    help="Run the retail ELT pipeline: warehouse, ingest, dbt, dashboard.",
    context_settings={
        "help_option_names": ["-h", "--help"],
        "terminal_width": 100,
        "max_content_width": 100,
    },
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `dataops` command; its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with ROOT.make_context(PROG, args) as ctx:
            return ROOT.invoke(ctx) or 0
    except click.UsageError as exc:
        return finish_usage_error(exc)
    except click.exceptions.Exit as exc:  # --help
        return exc.exit_code
    except click.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except DataOpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, click.Abort):
        print("interrupted", file=sys.stderr)
        return 130
