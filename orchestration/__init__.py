"""Dagster definitions over the pipeline library (`dataops.pipeline`): every raw table, dbt
node and dashboard page as an asset, with the schedules and sensors that run them."""
