"""The pipeline's commands: generate, ingest, transform, status, freshness, run, dbt. Each
parses its arguments and calls `dataops.pipeline` (or `dataops.status`), which does the work
and records the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from dataops import pipeline
from dataops.cli.base import PASS_THROUGH, Section
from dataops.core.errors import DataOpsError, first_line
from dataops.core.warehouse import resolve

commands = Section("Pipeline")


_DEMO = pipeline.DemoSize()
_DEMO_OPTIONS = [
    click.option("--days", type=int, default=_DEMO.days, help="demo days to reach (default 365)"),
    click.option(
        "--orders", type=int, default=_DEMO.orders, help="orders in the first year (default 20000)"
    ),
    click.option("--seed", type=int, default=_DEMO.seed, help="random seed (default 42)"),
]


def demo_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--days, --orders, --seed: how much of the demo business to generate."""
    for option in reversed(_DEMO_OPTIONS):
        command = option(command)
    return command


@commands.command()
@demo_options
def generate(days: int, orders: int, seed: int) -> None:
    """advance the demo business (demo data only)"""
    pipeline.generate(pipeline.DemoSize(days=days, orders=orders, seed=seed))


@commands.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
def ingest(sources: tuple[str, ...]) -> None:
    """load sources into raw_<source> schemas with dlt

    SOURCE: shop, ecb, landing (all when none is named)
    """
    pipeline.ingest(sources)


@commands.command(context_settings=PASS_THROUGH)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def transform(dbt_args: tuple[str, ...]) -> None:
    """dbt build (extra dbt arguments after --)"""
    pipeline.transform(dbt_args=dbt_args)


@commands.command("status")
def health_status() -> int:
    """data health: freshness, runs, tests, anomalies

    Exits 1 when the picture is red: a stale source, a failed last run.
    """
    from dataops import status

    try:
        health = status.read(resolve())
    except Exception as exc:  # psycopg2 errors: marts missing before the first build
        raise DataOpsError(
            f"no data health marts yet ({first_line(exc)}); run `dataops run`"
        ) from None
    print(status.render(health))
    return 1 if health.is_red else 0


@commands.command()
def freshness() -> None:
    """dbt source freshness, recorded in the run history"""
    pipeline.freshness()


@commands.command()
@demo_options
@click.option("--skip-generate", is_flag=True, help="use real sources, no demo data")
def run(days: int, orders: int, seed: int, skip_generate: bool) -> None:
    """generate, ingest, check freshness, transform"""
    size = pipeline.DemoSize(days=days, orders=orders, seed=seed)
    pipeline.run(None if skip_generate else size)


@commands.command(context_settings=PASS_THROUGH)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def dbt(dbt_args: tuple[str, ...]) -> int:
    """run any dbt command against the warehouse"""
    return pipeline.dbt(dbt_args, check=False)
