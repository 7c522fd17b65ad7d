"""What the automation reads from the environment when the definitions load, and the
selections its jobs and sensors share.

| variable | default | what |
|---|---|---|
| `DATAOPS_DEPLOY_CRON` | `17 5 * * *` (the deploy workflow's) | when the daily deploy runs |
| `DATAOPS_DEPLOY_TIMEZONE` | `UTC` (GitHub Actions' cron is UTC) | the cron's time zone |
| `DATAOPS_DEPLOY_OUT` | `<state folder>/deploy` | where the deploy publishes `prod-state/` |
| `DATAOPS_SHOP_CRON` | `0 * * * *` | when the Shop API's raw tables are loaded on their own |
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from dataops.core.errors import UsageError
from dataops.core.paths import state_dir

if TYPE_CHECKING:  # what `Definitions.resolve_asset_graph` returns; dagster does not export it
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

DEPLOY_CRON_ENV = "DATAOPS_DEPLOY_CRON"
DEPLOY_CRON = "17 5 * * *"  # .github/workflows/deploy.yml's schedule (a test keeps them equal)
DEPLOY_TIMEZONE_ENV = "DATAOPS_DEPLOY_TIMEZONE"
DEPLOY_OUT_ENV = "DATAOPS_DEPLOY_OUT"
SHOP_CRON_ENV = "DATAOPS_SHOP_CRON"
SHOP_CRON = "0 * * * *"

DEPLOY_GROUP = "deploy"  # the assets the automation adds: publishing the deploy's state
DASHBOARD_GROUP = "dashboard"


def setting(name: str, default: str) -> str:
    """An environment variable's value, or `default` when it is unset or empty."""
    return os.environ.get(name, "").strip() or default


def timezone(name: str, default: str = "UTC") -> str:
    """A time zone name from the environment, checked: a wrong one is one clear line."""
    value = setting(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"{name}: unknown time zone {value!r} (e.g. UTC, Europe/Berlin)") from None
    return value


def deploy_out(configured: str = "") -> Path:
    """The folder the deploy publishes into: the run's config, else DATAOPS_DEPLOY_OUT, else
    `deploy/` in the state folder."""
    chosen = configured or os.environ.get(DEPLOY_OUT_ENV, "").strip()
    return Path(chosen).expanduser().resolve() if chosen else state_dir() / "deploy"


def dbt_descendants(roots: dg.AssetSelection) -> dg.AssetSelection:
    """`roots` and what dbt builds from them: their downstream assets without the dashboard
    pages and the deploy's publishing."""
    return roots.downstream() - not_built_by_dbt()


def not_built_by_dbt() -> dg.AssetSelection:
    """The dashboard pages (materializable or not) and the deploy's publishing."""
    with warnings.catch_warnings():  # selecting external assets by group is in beta
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.AssetSelection.groups(DASHBOARD_GROUP, DEPLOY_GROUP, include_sources=True)


def materializable(selection: dg.AssetSelection, graph: AssetGraph) -> set[dg.AssetKey]:
    """The keys of `selection` a run can materialize (no external assets) in an asset graph."""
    return {key for key in selection.resolve(graph) if graph.get(key).is_materializable}
