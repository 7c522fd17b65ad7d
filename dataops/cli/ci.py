"""`dataops ci STEP`: slim CI, the production deploy and the commit-time checks.

Each step hands its arguments, as given, to the parser `dataops.ci.register` builds, so its
options, help and errors stay exactly `dataops.ci`'s; this group only names the steps.
"""

from __future__ import annotations

import argparse
import functools

import click

from dataops.cli.base import PASS_THROUGH, Command, Section

commands = Section("CI")

STEPS = {
    "run": "state, build, lint, pytest, summary",
    "state": "find production state (deploy artifact, base-branch parse, or none)",
    "build": "dbt build --select state:modified+ --defer into ci_pr_<n>",
    "lint": "sqlfluff (dbt templater) on the SQL this branch changed",
    "pytest": "the Python tests",
    "summary": "print the summary; add it to the GitHub job summary",
    "comment": "post the summary on the pull request (gh)",
    "drop-schema": "drop the pull request's ci_pr_<n> schema",
    "deploy": "ingest, freshness, dbt build (prod), docs; publish",
    "secrets": "refuse private keys, tokens, passwords in URLs",
    "check-yaml": "YAML parses, no duplicate keys",
    "check-workflows": "the workflow hardening rules",
}


@commands.group(metavar="STEP")
def ci() -> None:
    """slim CI, deploy and commit-time checks

    See docs/pull-requests.md.
    """


@functools.cache
def _parser() -> argparse.ArgumentParser:
    from dataops import ci as steps

    parser = argparse.ArgumentParser(prog="dataops")
    steps.register(parser.add_subparsers(dest="command", required=True))
    return parser


def _step(name: str, text: str) -> Command:
    def callback(arguments: tuple[str, ...]) -> int:
        args = _parser().parse_args(["ci", name, *arguments])
        return args.func(args)

    return Command(
        name,
        callback=callback,
        params=[click.Argument(["arguments"], nargs=-1, type=click.UNPROCESSED)],
        context_settings={**PASS_THROUGH, "help_option_names": []},  # -h: the step's own help
        help=text,
        add_help_option=False,
    )


for _name, _text in STEPS.items():
    ci.add_command(_step(_name, _text))
