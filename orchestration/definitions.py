"""Everything Dagster loads: `dagster ... -m orchestration.definitions`."""

from dagster import Definitions

from orchestration.assets import ASSET_CHECKS, ASSETS, RESOURCES
from orchestration.automation import JOBS, SCHEDULES, SENSORS, automate

defs = automate(
    Definitions(
        assets=[*ASSETS],
        asset_checks=[*ASSET_CHECKS],
        jobs=[*JOBS],
        schedules=[*SCHEDULES],
        sensors=[*SENSORS],
        resources=RESOURCES,
    )
)
