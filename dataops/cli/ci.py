"""`dataops ci STEP`: slim CI and the production deploy. Each command parses its arguments and
calls `dataops.ci` (the steps, the deploy, the comment, dropping a pull request's schema).

The commit-time checks are tools now (detect-secrets, yamllint, zizmor, check-jsonschema),
run by pre-commit and `make lint`; docs/pull-requests.md says how.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dataops.ci import steps
from dataops.ci.build import drop_schema
from dataops.ci.deploy import deploy as run_deploy
from dataops.ci.summary import comment as post_summary
from dataops.ci.workspace import STEPS, Workspace
from dataops.cli.base import Section
from dataops.core.console import say
from dataops.core.warehouse import resolve

commands = Section("CI")

_WORKSPACE_OPTIONS = [
    click.option("--pr", help="pull request number: builds into ci_pr_<n> (DATAOPS_PR; local)"),
    click.option(
        "--workdir",
        type=click.Path(file_okay=False, path_type=Path),
        help="folder for this run's files (<state dir>/ci/pr_<n>)",
    ),
]
_STEP_OPTIONS = [
    click.option(
        "--prod-state", help="folder with production's manifest.json (DATAOPS_PROD_STATE)"
    ),
    click.option("--base", help="base branch (DATAOPS_BASE_REF; origin/main, main)"),
    click.option(
        "--prod-branch",
        envvar="DATAOPS_PROD_BRANCH",
        default="main",
        help="branch whose deploy runs publish production state (DATAOPS_PROD_BRANCH; main)",
    ),
    click.option(
        "--no-artifact",
        is_flag=True,
        help="skip the deploy artifact (a demo production built here from other data)",
    ),
    click.option("--pytest-args", default="", help="arguments for pytest, one string"),
]
_STEP_HELP = {
    "state": "find production state (deploy artifact, base-branch parse, or none)",
    "build": "dbt build --select state:modified+ --defer into ci_pr_<n>",
    "lint": "sqlfluff (dbt templater) on the SQL this branch changed",
    "pytest": "the Python tests",
    "summary": "print the summary; add it to the GitHub job summary",
}


def _with(options: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


workspace_options = _with(_WORKSPACE_OPTIONS)
step_options = _with(_STEP_OPTIONS)


def _step_options(
    prod_state: str | None, base: str | None, prod_branch: str, no_artifact: bool, pytest_args: str
) -> steps.StepOptions:
    return steps.StepOptions(
        prod_state=prod_state,
        base=base,
        prod_branch=prod_branch,
        artifact=not no_artifact,
        pytest_args=pytest_args,
    )


@commands.group(metavar="STEP")
def ci() -> None:
    """slim CI and the production deploy

    See docs/pull-requests.md.
    """


@ci.command("run")
@workspace_options
@step_options
@click.option("--skip", multiple=True, help=f"steps to leave out, of {', '.join(STEPS)}")
def run_steps(pr: str | None, workdir: Path | None, skip: tuple[str, ...], **options: Any) -> int:
    """state, build, lint, pytest, summary

    A failing step does not stop the later ones; the exit is 1 if any failed.
    """
    skipped = steps.skipped_steps(skip)
    passed = steps.run(Workspace.for_pr(pr, workdir), _step_options(**options), skipped)
    return 0 if passed else 1


def _step(step: str) -> click.Command:
    """`dataops ci <step>`: one step of `run`, on its own."""

    @workspace_options
    @step_options
    def command(pr: str | None, workdir: Path | None, **options: Any) -> int:
        ws = Workspace.for_pr(pr, workdir)
        return 0 if steps.run_step(step, ws, _step_options(**options)) else 1

    return ci.command(step, help=_STEP_HELP[step])(command)


for _name in _STEP_HELP:
    _step(_name)


@ci.command()
@workspace_options
def comment(pr: str | None, workdir: Path | None) -> None:
    """post the summary on the pull request (gh)"""
    post_summary(Workspace.for_pr(pr, workdir))


@ci.command("drop-schema")
@workspace_options
def drop(pr: str | None, workdir: Path | None) -> None:
    """drop the pull request's ci_pr_<n> schema"""
    ws = Workspace.for_pr(pr, workdir)
    existed = drop_schema(resolve(), ws.schema)
    say(f"{ws.schema} {'dropped' if existed else 'did not exist'}")


@ci.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="publish prod-state/ and docs/ into this folder",
)
@click.option("--skip-ingest", is_flag=True, help="build what is loaded")
@click.option("--keep-going", is_flag=True, help="do not stop at stale sources or failed nodes")
def deploy(out: Path | None, skip_ingest: bool, keep_going: bool) -> None:
    """ingest, freshness, dbt build (prod), docs; publish"""
    run_deploy(out, skip_ingest=skip_ingest, keep_going=keep_going)
