"""The daily deploy as a Dagster job and schedule: what production's deploy
(`dataops ci deploy`, .github/workflows/deploy.yml) does, on the same cron by default.

The job materializes every asset and runs every check: ingestion, source freshness, dbt build.
Then the asset `deploy/prod_state` publishes what slim CI defers to (manifest.json,
run_results.json, sources.json) into `<out>/prod-state` with the deploy's own `Publisher`.
It depends on the last assets dbt builds, so it runs only when the whole build passed: a failed
run leaves the last good state in place, as a failed deploy uploads no artifact. The docs site
the deploy also publishes is not part of it (it is no state slim CI reads).

Only artifacts this run wrote are published: each file is taken from the run's own dbt target
folder (`<dbt target>/dagster/<run id's first 8 characters>-*`, newest first), else from the dbt
target folder, and only when it was written after the run started. Without a fresh manifest
and run results nothing is published and the asset fails. The source freshness checks are no
dependency of an asset: they run beside dbt's build (which takes longer), and when they have not
written sources.json by the time of the publishing, it is left out rather than an earlier one
published.
"""

# no `from __future__ import annotations`: Dagster reads the decorated functions' annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster import AssetExecutionContext

from dataops.ci.deploy import Publisher
from dataops.core.errors import DataOpsError, UsageError, first_line
from dataops.core.paths import dbt_target_dir
from orchestration.automation.config import (
    DEPLOY_CRON,
    DEPLOY_CRON_ENV,
    DEPLOY_GROUP,
    DEPLOY_TIMEZONE_ENV,
    deploy_out,
    not_built_by_dbt,
    setting,
    timezone,
)

if TYPE_CHECKING:  # what `Definitions.resolve_asset_graph` returns; dagster does not export it
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

PUBLISH_KEY = dg.AssetKey([DEPLOY_GROUP, "prod_state"])
STATE_FILES = ("manifest.json", "run_results.json", "sources.json")
STATE_FOLDER = "prod-state"
REQUIRED_FILES = ("manifest.json", "run_results.json")
CLOCK_SLACK_S = 1.0  # a file's time against the run's start: both from this machine's clock


class PublishConfig(dg.Config):
    """Where the deploy publishes: empty for DATAOPS_DEPLOY_OUT, else `deploy/` in the state
    folder."""

    out: str = ""


def publish_state_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset that publishes the build's state, downstream of `deps` (the last assets dbt
    builds, so that every other asset comes before it)."""

    @dg.asset(
        key=PUBLISH_KEY,
        group_name=DEPLOY_GROUP,
        deps=list(deps),
        kinds={"dbt"},
        description=(
            "What slim CI defers to (manifest.json, run_results.json, sources.json), published "
            "into <out>/prod-state after a build that passed."
        ),
    )
    def prod_state(context: AssetExecutionContext, config: PublishConfig) -> dg.MaterializeResult:
        record = context.instance.get_run_record_by_id(context.run.run_id)
        started = record.start_time if record and record.start_time else 0.0
        found = run_artifacts(context.run.run_id, started)
        missing = [name for name in REQUIRED_FILES if name not in found]
        if missing:
            raise DataOpsError(
                f"nothing published: this run's dbt build left no {', '.join(missing)} in"
                f" {dbt_target_dir()}; the last published state stays"
            )
        out = deploy_out(config.out)
        Publisher(dbt_target_dir(), out).prepare(STATE_FOLDER)
        for name, folder in found.items():
            Publisher(folder, out).publish(STATE_FOLDER, name)
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(out / STATE_FOLDER)),
                "files": ", ".join(sorted(found)),
            }
        )

    return prod_state


def run_artifacts(run_id: str, started: float) -> dict[str, Path]:
    """The state files a run wrote (after `started`, a timestamp), with the folder of each."""
    target = dbt_target_dir()
    run_folders = sorted(
        (target / "dagster").glob(f"{run_id[:8]}-*"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    found: dict[str, Path] = {}
    for name in STATE_FILES:
        for folder in [*run_folders, target]:
            path = folder / name
            if path.exists() and path.stat().st_mtime >= started - CLOCK_SLACK_S:
                found[name] = folder
                break
    return found


def last_built(graph: "AssetGraph") -> list[dg.AssetKey]:
    """The materializable assets no other one builds on, leaving out the dashboard pages and
    the deploy's own: what the publishing waits for."""
    excluded = not_built_by_dbt().resolve(graph)
    keys = {key for key in graph.materializable_asset_keys if key not in excluded}
    return sorted(key for key in keys if not graph.get(key).child_keys & keys)


deploy_job = dg.define_asset_job(
    "deploy",
    selection=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
    description=(
        "Production's deploy: every asset and check (ingest, source freshness, dbt build), then "
        "the state slim CI defers to published into prod-state/."
    ),
)


def deploy_schedule() -> dg.ScheduleDefinition:
    """The daily deploy on DATAOPS_DEPLOY_CRON in DATAOPS_DEPLOY_TIMEZONE."""
    cron = setting(DEPLOY_CRON_ENV, DEPLOY_CRON)
    try:
        return dg.ScheduleDefinition(
            name="daily_deploy",
            job=deploy_job,
            cron_schedule=cron,
            execution_timezone=timezone(DEPLOY_TIMEZONE_ENV),
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description="The deploy job every day, as the deploy workflow runs it.",
        )
    except dg.DagsterInvalidDefinitionError as exc:
        raise UsageError(f"{DEPLOY_CRON_ENV}: {first_line(exc)}") from None
