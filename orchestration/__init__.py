"""Dagster definitions over the pipeline library (`dataops.pipeline`): every raw table, dbt
model, seed and snapshot, and dashboard page as an asset, with dbt's tests and the sources'
freshness as asset checks. Nothing of the pipeline imports this package."""
