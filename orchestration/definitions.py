"""The project's Dagster definitions (loaded as `-m orchestration.definitions`).

A small set until the full asset graph lands: the landing and ECB raw tables and their staging
models, each step a call of `dataops.pipeline`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dagster import (
    AssetKey,
    AssetSpec,
    Definitions,
    MaterializeResult,
    define_asset_job,
    multi_asset,
)

from dataops import pipeline
from dataops.core.paths import REPO_ROOT

RAW_TABLES = {
    "landing": ("marketing_spend", "web_sessions", "product_reviews", "sales_targets"),
    "ecb": ("euro_rates",),
}
STAGING = {
    source: tuple(
        sorted(path.stem for path in (REPO_ROOT / "models" / "staging" / source).glob("*.sql"))
    )
    for source in RAW_TABLES
}


def _raw_asset(source: str):
    @multi_asset(
        name=f"ingest_{source}",
        specs=[
            AssetSpec([source, table], group_name=f"raw_{source}") for table in RAW_TABLES[source]
        ],
    )
    def ingest() -> Iterator[MaterializeResult]:
        pipeline.ingest([source])
        for table in RAW_TABLES[source]:
            yield MaterializeResult(asset_key=AssetKey([source, table]))

    return ingest


def _staging_asset(source: str):
    @multi_asset(
        name=f"staging_{source}",
        specs=[
            AssetSpec(
                model,
                group_name=f"staging_{source}",
                deps=[AssetKey([source, table]) for table in RAW_TABLES[source]],
            )
            for model in STAGING[source]
        ],
    )
    def build() -> Iterator[MaterializeResult]:
        # tests that also read models outside the selection wait for those models
        pipeline.transform(
            select=[f"path:models/staging/{source}"], dbt_args=["--indirect-selection", "cautious"]
        )
        for model in STAGING[source]:
            yield MaterializeResult(asset_key=AssetKey(model))

    return build


ASSETS = [maker(source) for source in RAW_TABLES for maker in (_raw_asset, _staging_asset)]

defs = Definitions(assets=ASSETS, jobs=[define_asset_job("daily", selection="*")])
