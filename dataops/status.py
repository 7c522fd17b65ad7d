"""`dataops status`: the data health picture on one screen.

It reads the same marts as the dashboard's data health page (`marts.rpt_data_health_*`):
sources and their freshness, the latest runs with their tests, rejects and build durations,
and row-count anomalies of the latest loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from dataops.core.warehouse import WarehouseSettings

MARTS = "marts"
RED = {"error", "runtime error", "failed"}


@dataclass
class Health:
    sources: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    anomalies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_red(self) -> bool:
        latest_failed = bool(self.runs) and self.runs[0]["run_status"] == "failed"
        return latest_failed or any(s["freshness_status"] in RED for s in self.sources)


def _rows(cursor: Any, query: str, schema: str) -> list[dict[str, Any]]:
    cursor.execute(sql.SQL(query).format(schema=sql.Identifier(schema)))
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read(conn: WarehouseSettings, schema: str = MARTS) -> Health:
    connection = conn.connect()
    try:
        with connection.cursor() as cursor:
            return Health(
                sources=_rows(
                    cursor,
                    "select * from {schema}.rpt_data_health_sources"
                    " order by source_name, table_name",
                    schema,
                ),
                runs=_rows(
                    cursor,
                    "select * from {schema}.rpt_data_health_runs order by started_at desc limit 7",
                    schema,
                ),
                anomalies=_rows(
                    cursor,
                    "select * from {schema}.rpt_data_health_row_counts where is_anomaly"
                    " and run_id = (select run_id from {schema}.rpt_data_health_row_counts"
                    " order by started_at desc limit 1) order by source_name, table_name",
                    schema,
                ),
            )
    finally:
        connection.close()


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
