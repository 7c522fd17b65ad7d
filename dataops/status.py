"""`dataops status`: the data health picture on one screen.

It reads the run-history marts (`marts.rpt_data_health_*`) through the same queries as the
dashboard's data health page (`dashboards.queries.health`): sources and their freshness, the
latest runs with their tests, rejects and build durations, and row-count anomalies of the
latest load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboards import db
from dashboards.queries import health
from dataops.core.warehouse import WarehouseSettings

MARTS = "marts"
RED = {"error", "runtime error", "failed"}
RUNS_SHOWN = 7


@dataclass
class Health:
    sources: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    anomalies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_red(self) -> bool:
        latest_failed = bool(self.runs) and self.runs[0]["run_status"] == "failed"
        return latest_failed or any(s["freshness_status"] in RED for s in self.sources)


def read(settings: WarehouseSettings, schema: str = MARTS) -> Health:
    """The health marts of `schema`, read on a session of the command's own; psycopg2's
    errors (a mart not built yet) reach the caller as they are."""
    with settings.session() as connection:
        read_marts = db.reader(connection, schema)
        return Health(
            sources=health.sources(read_marts),
            runs=health.latest_runs(RUNS_SHOWN, read_marts),
            anomalies=health.anomalies_of_the_latest_load(health.latest_row_counts(read_marts)),
        )


def _mark(status: str) -> str:
    return {"pass": "ok", "success": "ok", "warn": "WARN"}.get(status, status.upper())


def render(health: Health) -> str:
    lines = ["Sources"]
    if not health.sources:
        lines.append("  no freshness checks recorded yet: run `dataops run`")
    for source in health.sources:
        name = f"{source['source_name']}.{source['table_name']}"
        age = "–" if source["age_hours"] is None else f"{float(source['age_hours']):.1f} h"
        limit = "–" if source["error_after_hours"] is None else f"{source['error_after_hours']} h"
        loaded = source["last_successful_load_at"]
        last = f"{loaded:%Y-%m-%d %H:%M} UTC" if loaded else "never"
        lines.append(
            f"  {_mark(source['freshness_status']):<6} {name:<26} age {age:>9}"
            f" (limit {limit}), last load {last}"
        )
    lines += ["", "Latest runs"]
    if not health.runs:
        lines.append("  no runs recorded yet")
    for run in health.runs:
        build = "–" if run["build_duration_s"] is None else f"{run['build_duration_s']} s"
        lines.append(
            f"  {_mark(run['run_status']):<6} {run['started_at']:%Y-%m-%d %H:%M} "
            f"{run['commands']:<10} tests {run['tests_passed']} passed, "
            f"{run['tests_failed']} failed; build {build}; rows {run['rows_loaded']:,} loaded, "
            f"{run['rows_rejected']:,} rejected"
        )
    lines += ["", "Row-count anomalies (latest load against the median of the 7 before)"]
    if not health.anomalies:
        lines.append("  none")
    for anomaly in health.anomalies:
        lines.append(
            f"  ANOMALY {anomaly['source_name']}.{anomaly['table_name']}: "
            f"{anomaly['rows_loaded']:,} rows against a median of {anomaly['median_previous_7']}"
        )
    lines += ["", "Overall: " + ("RED" if health.is_red else "green")]
    return "\n".join(lines)
