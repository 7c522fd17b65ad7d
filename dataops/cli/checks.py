"""`dataops conventions`: the dbt project's conventions, checked on dbt's manifest (the rules
are `dataops.conventions`'s)."""

from __future__ import annotations

from pathlib import Path

import click

from dataops import conventions as rules
from dataops.cli.base import Section
from dataops.core.paths import REPO_ROOT

commands = Section("Checks")

artifact_file = click.Path(exists=False, dir_okay=False, path_type=Path)


@commands.command()
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=REPO_ROOT,
    help="the dbt project (default: this repository)",
)
@click.option("--manifest", type=artifact_file, help="a manifest.json to check (skips dbt parse)")
@click.option(
    "--catalog", type=artifact_file, help="a catalog.json, to check every real column is documented"
)
def conventions(project_dir: Path, manifest: Path | None, catalog: Path | None) -> int:
    """check the dbt project's conventions"""
    return rules.run(project_dir.resolve(), manifest, catalog)
