"""`dataops ci ...` on argparse: each command parses its arguments and calls one function of
this package. (The command line's own parser registers these with `register`.)"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dataops.ci import steps
from dataops.ci.build import drop_schema
from dataops.ci.deploy import deploy
from dataops.ci.summary import comment
from dataops.ci.workspace import STEPS, Workspace
from dataops.core.console import say
from dataops.core.warehouse import resolve


def _workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.for_pr(args.pr, Path(args.workdir) if args.workdir else None)


def _options(args: argparse.Namespace) -> steps.StepOptions:
    return steps.StepOptions(
        prod_state=args.prod_state,
        base=args.base,
        prod_branch=args.prod_branch,
        artifact=not args.no_artifact,
        pytest_args=args.pytest_args,
    )


def cmd_run(args: argparse.Namespace) -> int:
    skip = steps.skipped_steps(args.skip)
    return 0 if steps.run(_workspace(args), _options(args), skip) else 1


def _single_step(step: str):
    def command(args: argparse.Namespace) -> int:
        return 0 if steps.run_step(step, _workspace(args), _options(args)) else 1

    return command


def cmd_drop_schema(args: argparse.Namespace) -> int:
    ws = _workspace(args)
    existed = drop_schema(resolve(), ws.schema)
    say(f"{ws.schema} {'dropped' if existed else 'did not exist'}")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    comment(_workspace(args))
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    deploy(out, skip_ingest=args.skip_ingest, keep_going=args.keep_going)
    return 0


def _workspace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pr", help="pull request number: builds into ci_pr_<n> (DATAOPS_PR; local)"
    )
    parser.add_argument("--workdir", help="folder for this run's files (<state dir>/ci/pr_<n>)")


def _step_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prod-state", help="folder with production's manifest.json (DATAOPS_PROD_STATE)"
    )
    parser.add_argument("--base", help="base branch (DATAOPS_BASE_REF; origin/main, main)")
    parser.add_argument(
        "--prod-branch",
        default=os.environ.get("DATAOPS_PROD_BRANCH", "main"),
        help="branch whose deploy runs publish production state (main)",
    )
    parser.add_argument(
        "--no-artifact",
        action="store_true",
        help="skip the deploy artifact (a demo production built here from other data)",
    )
    parser.add_argument("--pytest-args", default="", help="arguments for pytest, one string")


_STEP_HELP = {
    "state": "find production state (deploy artifact, base-branch parse, or none)",
    "build": "dbt build --select state:modified+ --defer into ci_pr_<n>",
    "lint": "sqlfluff (dbt templater) on the SQL this branch changed",
    "pytest": "the Python tests",
    "summary": "print the summary; add it to the GitHub job summary",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add `dataops ci ...` to the CLI."""
    ci = sub.add_parser("ci", help="slim CI and deploy (see docs/pull-requests.md)")
    commands = ci.add_subparsers(dest="ci_command", required=True, metavar="STEP")

    run = commands.add_parser("run", help="state, build, lint, pytest, summary")
    _workspace_options(run)
    _step_options(run)
    run.add_argument(
        "--skip", action="append", default=[], help=f"steps to leave out, of {', '.join(STEPS)}"
    )
    run.set_defaults(func=cmd_run)

    for step, text in _STEP_HELP.items():
        parser = commands.add_parser(step, help=text)
        _workspace_options(parser)
        _step_options(parser)
        parser.set_defaults(func=_single_step(step))

    comment_parser = commands.add_parser(
        "comment", help="post the summary on the pull request (gh)"
    )
    _workspace_options(comment_parser)
    comment_parser.set_defaults(func=cmd_comment)

    drop = commands.add_parser("drop-schema", help="drop the pull request's ci_pr_<n> schema")
    _workspace_options(drop)
    drop.set_defaults(func=cmd_drop_schema)

    deploy_parser = commands.add_parser(
        "deploy", help="ingest, freshness, dbt build (prod), docs; publish"
    )
    deploy_parser.add_argument("--out", help="publish prod-state/ and docs/ into this folder")
    deploy_parser.add_argument("--skip-ingest", action="store_true", help="build what is loaded")
    deploy_parser.add_argument(
        "--keep-going", action="store_true", help="do not stop at stale sources or failed nodes"
    )
    deploy_parser.set_defaults(func=cmd_deploy)
