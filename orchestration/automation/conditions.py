"""Declarative automation for the Shop API, and `automate`, which adds the automation's assets
and conditions to the definitions.

The Shop API's raw tables load on their own cron (DATAOPS_SHOP_CRON, hourly by default), in
runs of their own, and every dbt asset built from them follows as soon as they land
(`AutomationCondition.eager()`: when a parent updated and none is missing or in progress). So a
Shop API that answers late (its loads retry with backoff) delays only what is built from it: ECB
rates load in the daily deploy and landing files on arrival, each in runs of their own, and
what is built from them does not wait for the shop.
"""

from __future__ import annotations

import warnings

import dagster as dg

from orchestration.automation.config import SHOP_CRON, SHOP_CRON_ENV, dbt_descendants, setting
from orchestration.automation.schedules import last_built, publish_state_asset

SHOP = "shop"


def shop_raw() -> dg.AssetSelection:
    """The Shop API's raw tables (keys `["shop", <table>]`)."""
    return dg.AssetSelection.key_prefixes([SHOP])


def shop_built() -> dg.AssetSelection:
    """What dbt builds from the Shop API's raw tables."""
    return dbt_descendants(shop_raw()) - shop_raw()


shop_automation = dg.AutomationConditionSensorDefinition(
    "shop_automation",
    target=dbt_descendants(shop_raw()),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Loads the Shop API on its own cron and rebuilds what is built from it.",
)


def automate(defs: dg.Definitions) -> dg.Definitions:
    """`defs` with the deploy's publishing asset after the last dbt assets, and the Shop API's
    automation conditions."""
    publish = publish_state_asset(last_built(defs.resolve_asset_graph()))
    merged = dg.Definitions.merge(defs, dg.Definitions(assets=[publish]))
    graph = merged.resolve_asset_graph()
    conditions = dict.fromkeys(
        shop_raw().resolve(graph), dg.AutomationCondition.on_cron(setting(SHOP_CRON_ENV, SHOP_CRON))
    )
    conditions.update(dict.fromkeys(shop_built().resolve(graph), dg.AutomationCondition.eager()))

    def with_condition(spec: dg.AssetSpec) -> dg.AssetSpec:
        condition = conditions.get(spec.key)
        return spec.replace_attributes(automation_condition=condition) if condition else spec

    with warnings.catch_warnings():  # the one way to map specs across Definitions is in preview
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return merged.map_asset_specs(func=with_condition)
