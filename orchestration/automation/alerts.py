"""The run-failure sensor: a failed Dagster run posts the existing webhook alert
(`dataops.alerts`, configured by DATAOPS_ALERT_WEBHOOK), once per failure.

A Dagster run's history is recorded under its Dagster run id: the history's `run_id` of an
orchestrated run is the Dagster run id itself (`history_run_id`; the assets set
DATAOPS_RUN_ID to it before calling the pipeline functions), so one id finds a run in the
Dagster UI and in `observability.*`. The pipeline functions alert for what they recorded failing
(`pipeline.recorded`), and `dataops.alerts.send` remembers each alerted failure of a run in
`observability.alerts_sent`, so the sensor asking again for those sends nothing.

A run that failed with no failure in its history (an error outside the pipeline functions, a
failed check, a killed worker) gets one `pipeline_runs` row (command `run`, failed, the run's
error) and its alert. The sensor's cursor passes each failed run once. When the warehouse cannot
be reached, the alert goes out without the history, so a failure is never silent.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg
import psycopg2
import requests

from dataops import alerts, observability, pipeline
from dataops.core.errors import DataOpsError, first_line
from dataops.core.warehouse import WarehouseSettings, resolve

FAILED_RUN_COMMAND = "run"


def history_run_id(dagster_run_id: str) -> str:
    """The run history's id of a Dagster run: the Dagster run id itself."""
    return dagster_run_id


def record_failure(
    settings: WarehouseSettings, run_id: str, error: str, started: datetime | None
) -> None:
    """A failed `pipeline_runs` row for a run whose history holds no failure yet."""
    if alerts.failures(settings, run_id):
        return
    observability.ensure_tables(settings)
    row = observability.pipeline_run_row(
        FAILED_RUN_COMMAND, started or observability.utcnow(), "failed", error
    )
    pipeline.record_history(settings, "pipeline_runs", [{**row, "run_id": run_id}])


def alert_failed_run(
    run_id: str, error: str, started: datetime | None = None, webhook: str | None = None
) -> list[alerts.Failure]:
    """Record (if nothing explains it yet) and alert a failed run; what was sent."""
    webhook = webhook or os.environ.get(alerts.WEBHOOK_ENV)
    try:
        settings = resolve()
        record_failure(settings, run_id, error, started)
    except (DataOpsError, OSError, psycopg2.Error) as exc:
        if not webhook:
            return []
        failure = alerts.Failure(FAILED_RUN_COMMAND, "run", f"{error} (history: {first_line(exc)})")
        requests.post(webhook, json=alerts.message(run_id, [failure]), timeout=10).raise_for_status()
        return [failure]
    return alerts.send(settings, run_id, webhook)


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts a failed run's problems to DATAOPS_ALERT_WEBHOOK, once per failure.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    error = first_line(context.failure_event.message, "the run failed")
    record = context.instance.get_run_record_by_id(run.run_id)
    started = (
        datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else None
    )
    sent = alert_failed_run(history_run_id(run.run_id), error, started)
    context.log.info(f"alert sent: {len(sent)} problem(s)" if sent else "no new problem to alert")
