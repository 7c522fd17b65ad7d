"""The click classes every `dataops` command is built from, and how a failed command ends.

click words its usage errors its own way ("No such command", "Got unexpected extra
argument"); `dataops` has always answered in argparse's words ("invalid choice",
"unrecognized arguments"), and scripts, hooks and tests read those. The classes here raise
their usage errors in those words and `finish_usage_error` prints them as argparse did: a usage
line, then `dataops: error: <reason>` on one line, exit 2. Everything else about parsing is
click's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from dataops.core.errors import UsageError

PROG = "dataops"

# a command that hands its arguments on to another tool (dbt, psql): every argument after the
# command's own options reaches the tool as given, `--select`, `--` and `-h` (psql's host)
# included; `--help` before them is the command's own help
PASS_THROUGH: dict[str, Any] = {
    "ignore_unknown_options": True,
    "allow_interspersed_args": False,
    "help_option_names": ["--help"],
}


class Command(click.Command):
    """A command whose usage errors read as argparse's and whose `UsageError` (a service
    refusing its arguments: an unknown source) is a usage error of this command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        allowed = ctx.allow_extra_args
        ctx.allow_extra_args = True  # extra arguments are refused below, in argparse's words
        try:
            rest = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed and not ctx.resilient_parsing:
            raise click.UsageError(f"unrecognized arguments: {' '.join(rest)}", ctx)
        return rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(str(exc), ctx) from None


class Group(click.Group):
    """A group of commands (`dataops`, `dataops db`, `dataops ci`); its commands and
    subgroups are of these classes too."""

    command_class = Command
    group_class = type  # subgroups made with `@group.group()` are `Group`s

    def __init__(self, *args: Any, metavar: str = "COMMAND", **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", False)
        super().__init__(*args, subcommand_metavar=f"{metavar} ...", **kwargs)
        self.metavar = metavar

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they were written, as `--help` lists them

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            raise click.UsageError(f"the following arguments are required: {self.metavar}", ctx)
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if not name.startswith("-") and self.get_command(ctx, name) is None:
            choices = ", ".join(repr(command) for command in self.list_commands(ctx))
            raise click.UsageError(
                f"argument {self.metavar}: invalid choice: {name!r} (choose from {choices})",
                ctx,
            )
        return super().resolve_command(ctx, args)


class Section(Group):
    """The commands one module of the CLI writes: they are top-level commands of `dataops`
    (`dataops ingest`, not `dataops pipeline ingest`), listed under the section's title in
    `dataops --help`. A section is never invoked itself."""

    group_class = Group  # `dataops db`, `dataops ci`: groups of their own

    def __init__(self, title: str) -> None:
        super().__init__(name=title.lower())
        self.title = title


class Root(Group):
    """`dataops`: every section's commands, at the top level, listed section by section."""

    def __init__(self, sections: list[Section], callback: Callable[[], None], **kwargs: Any):
        super().__init__(name=PROG, callback=callback, **kwargs)
        self.sections = sections
        for section in sections:
            for command in section.commands.values():
                self.add_command(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        width = formatter.width - 6 - max(len(name) for name in self.commands)
        for section in self.sections:
            rows = [
                (name, command.get_short_help_str(width))
                for name, command in section.commands.items()
                if not command.hidden
            ]
            if rows:
                with formatter.section(section.title):
                    formatter.write_dl(rows)


def finish_usage_error(error: click.UsageError) -> int:
    """Print a usage error as argparse did and give its exit code (2)."""
    ctx = error.ctx
    if ctx is not None:
        pieces = ctx.command.collect_usage_pieces(ctx)
        print(f"usage: {ctx.command_path} {' '.join(pieces)}", file=sys.stderr)
    else:
        print(f"usage: {PROG} COMMAND ...", file=sys.stderr)
    print(f"{PROG}: error: {argparse_reason(error)}", file=sys.stderr)
    return error.exit_code


def argparse_reason(error: click.UsageError) -> str:
    """A click usage error's reason, in argparse's words where argparse had words for it."""
    if isinstance(error, click.NoSuchOption):
        return f"unrecognized arguments: {error.option_name}"
    if isinstance(error, click.MissingParameter) and error.param is not None:
        return f"the following arguments are required: {_param_name(error.param)}"
    if isinstance(error, click.BadParameter) and error.param is not None:
        return f"argument {_param_name(error.param)}: {error.message}"
    return " ".join(error.format_message().split())


def _param_name(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name
