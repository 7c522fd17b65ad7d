"""Dagster definitions over the pipeline library: assets, checks, schedules and sensors."""
