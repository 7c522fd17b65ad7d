"""The assets of the pipeline and their checks, from the raw tables to the dashboard's pages.

`build(project_dir)` makes them for a dbt project (a copy, in tests); `ASSETS`, `ASSET_CHECKS`
and `RESOURCES` are the repository's own, for `orchestration.definitions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from dataops.core.paths import REPO_ROOT
from orchestration.assets.dashboard import dashboard_assets
from orchestration.assets.dbt import dbt_project_assets
from orchestration.assets.freshness import freshness_checks
from orchestration.assets.ingestion import history_specs, ingestion_assets
from orchestration.assets.project import Warehouse, manifest


@dataclass
class Assets:
    """Everything `Definitions` needs of a project's assets."""

    assets: list[dg.AssetsDefinition | dg.AssetSpec]
    checks: list[dg.AssetChecksDefinition]
    resources: dict[str, Any] = field(default_factory=dict)

    def definitions(self, **extra: Any) -> dg.Definitions:
        return dg.Definitions(
            assets=self.assets, asset_checks=self.checks, resources=self.resources, **extra
        )


def build(project_dir: Path = REPO_ROOT, warehouse: Warehouse | None = None) -> Assets:
    """The assets of a dbt project: raw tables, run history, dbt nodes, dashboard pages."""
    loaded = manifest(project_dir)
    return Assets(
        assets=[
            *ingestion_assets(loaded),
            *history_specs(loaded),
            dbt_project_assets(project_dir, loaded),
            *dashboard_assets(loaded),
        ],
        checks=[freshness_checks(loaded)],
        resources={"warehouse": warehouse or Warehouse()},
    )


@cache
def _repository() -> Assets:
    return build()


def __getattr__(name: str) -> Any:
    """`ASSETS`, `ASSET_CHECKS` and `RESOURCES` of the repository's project, built on first use
    (a dbt parse), so importing `build` for another project does not parse this one."""
    if name == "ASSETS":
        return _repository().assets
    if name == "ASSET_CHECKS":
        return _repository().checks
    if name == "RESOURCES":
        return _repository().resources
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
