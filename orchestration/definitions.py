"""The Dagster definitions of the pipeline: `dagster dev -m orchestration.definitions`."""

from __future__ import annotations

import dagster as dg

from orchestration.assets import ASSET_CHECKS, ASSETS, RESOURCES

defs = dg.Definitions(assets=[*ASSETS], asset_checks=[*ASSET_CHECKS], resources=RESOURCES)
