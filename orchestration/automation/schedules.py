"""The daily deploy as a Dagster job and schedule: what production's deploy
(`dataops ci deploy`, .github/workflows/deploy.yml) does, on the same cron by default.

The job materializes every asset and runs every check: ingestion, source freshness, dbt build.
Then the asset `deploy/prod_state` publishes what slim CI defers to (manifest.json,
run_results.json, sources.json) into `<out>/prod-state` with the deploy's own `Publisher`.
It depends on the last assets dbt builds, so it runs only when the whole build passed: a failed
run leaves the last good state in place, as a failed deploy uploads no artifact. The docs site
the deploy also publishes is not part of it (it is no state slim CI reads).
"""

# no `from __future__ import annotations`: Dagster reads the decorated functions' annotations

from collections.abc import Sequence

import dagster as dg

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

PUBLISH_KEY = dg.AssetKey([DEPLOY_GROUP, "prod_state"])
STATE_FILES = ("manifest.json", "run_results.json", "sources.json")
STATE_FOLDER = "prod-state"


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
    def prod_state(config: PublishConfig) -> dg.MaterializeResult:
        target = dbt_target_dir()
        if not (target / "manifest.json").exists():
            raise DataOpsError(f"nothing to publish: no manifest.json in {target}")
        publisher = Publisher(target, deploy_out(config.out))
        publisher.prepare(STATE_FOLDER)
        publisher.publish(STATE_FOLDER, *STATE_FILES)
        folder = publisher.out / STATE_FOLDER  # type: ignore[operator]
        published = sorted(path.name for path in folder.iterdir())
        return dg.MaterializeResult(
            metadata={"folder": dg.MetadataValue.path(str(folder)), "files": ", ".join(published)}
        )

    return prod_state


def last_built(graph: object) -> list[dg.AssetKey]:
    """The materializable assets no other one builds on, leaving out the dashboard pages and
    the deploy's own: what the publishing waits for."""
    excluded = not_built_by_dbt().resolve(graph)
    keys = {
        key
        for key in graph.materializable_asset_keys  # type: ignore[attr-defined]
        if key not in excluded
    }
    return sorted(key for key in keys if not graph.get(key).child_keys & keys)  # type: ignore[attr-defined]


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
