"""The run-history marts (`rpt_data_health_*`, views over the `observability` schema that
every pipeline run appends to): the data health page and `dataops status` read them here.

Each function takes `read`, the way its statement runs: the dashboard's pool by default, or
`db.reader(connection, schema)` for a command's own session. These views are read afresh,
never from the cache: a run's history is recorded after the build that empties the cache.
"""

from __future__ import annotations

from dashboards import db
from dashboards.db import Reader, Row

RUNS_SHOWN = 60


def sources(read: Reader = db.read) -> list[Row]:
    """Each source table's latest freshness check against its limits."""
    return read(
        "select source_name, table_name, freshness_status, age_hours, warn_after_hours,"
        " error_after_hours, last_successful_load_at from {marts}.rpt_data_health_sources"
        " order by source_name, table_name"
    )


def latest_runs(limit: int, read: Reader = db.read) -> list[Row]:
    """The latest `limit` runs, newest first: their tests, rows and build time."""
    return read(
        "select run_id, commands, started_at, run_status, tests_passed, tests_failed,"
        " rows_loaded, rows_rejected, build_duration_s from {marts}.rpt_data_health_runs"
        " order by started_at desc limit %(limit)s",
        {"limit": limit},
    )


def latest_row_counts(read: Reader = db.read) -> list[Row]:
    """Each table's latest load against the median of its previous seven, anomalies first."""
    return read(
        "select run_id, started_at, source_name, table_name, rows_loaded, median_previous_7,"
        " deviation_ratio, is_anomaly from (select checks.*, row_number() over (partition by"
        " source_name, table_name order by started_at desc) as recency"
        " from {marts}.rpt_data_health_row_counts as checks) as ranked"
        " where recency = 1 order by is_anomaly desc, source_name, table_name"
    )


def anomalies_of_the_latest_load(row_counts: list[Row]) -> list[Row]:
    """The tables flagged in the newest load among `row_counts`, by source and table."""
    if not row_counts:
        return []
    newest = max(row_counts, key=lambda row: row["started_at"])["run_id"]
    flagged = [row for row in row_counts if row["run_id"] == newest and row["is_anomaly"]]
    return sorted(flagged, key=lambda row: (row["source_name"], row["table_name"]))


def history() -> dict[str, list[Row]]:
    """What the data health page shows: sources, the latest runs oldest first, row counts."""
    return {
        "sources": sources(),
        "runs": latest_runs(RUNS_SHOWN)[::-1],
        "row_counts": latest_row_counts(),
    }
