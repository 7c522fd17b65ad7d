"""The run-failure sensor: a failed Dagster run posts the existing webhook alert
(`dataops.alerts`, configured by DATAOPS_ALERT_WEBHOOK), once per failure.

Each step of a Dagster run records its history under its own run id (`orchestration.history`).
The pipeline functions alert for what they recorded failing (`pipeline.recorded`), and
`dataops.alerts.send` remembers each alerted failure of a history run in
`observability.alerts_sent`. So the sensor asks, for each failed step, `alerts.send` for the
step's history run id: what the step's functions alerted is not sent again. A failed step with
no failure in its history (an error outside the pipeline functions, a killed worker), or a run
that failed with no failed step, gets one `pipeline_runs` row (command `run`, failed, its error)
and that is alerted. The sensor's cursor passes each failed run once. When the warehouse cannot
be reached, the alert goes out without the history, so a failure is never silent.
"""

# no `from __future__ import annotations`: Dagster reads the decorated functions' annotations

import os
from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import psycopg2
import requests

from dataops import alerts, observability, pipeline
from dataops.core.errors import DataOpsError, first_line
from dataops.core.warehouse import WarehouseSettings, resolve
from orchestration.history import history_run_id

FAILED_RUN_COMMAND = "run"


def record_failure(
    settings: WarehouseSettings, run_id: str, error: str, started: datetime | None
) -> None:
    """A failed `pipeline_runs` row for a run whose history holds no failure yet."""
    observability.ensure_tables(settings)
    if alerts.failures(settings, run_id):
        return
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
        requests.post(
            webhook, json=alerts.message(run_id, [failure]), timeout=10
        ).raise_for_status()
        return [failure]
    return alerts.send(settings, run_id, webhook)


def failed_steps(context: dg.RunFailureSensorContext) -> dict[str, str]:
    """History run id -> what failed (one line), for each failed step of the run; for the run
    itself when no step failed."""
    attempts = Counter(
        record.event_log_entry.step_key
        for record in context.instance.get_records_for_run(
            context.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
        ).records
    )
    found = {}
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        detail = first_line((error.cause or error).message) if error else "failed"
        history = history_run_id(
            context.dagster_run.run_id, event.step_key, attempts[event.step_key]
        )
        found[history] = f"{event.step_key}: {detail}"
    run_error = first_line(context.failure_event.message, "the run failed")
    return found or {history_run_id(context.dagster_run.run_id): run_error}


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts a failed run's problems to DATAOPS_ALERT_WEBHOOK, once per failure.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    record = context.instance.get_run_record_by_id(context.dagster_run.run_id)
    started = (
        datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else None
    )
    sent = 0
    for history, error in failed_steps(context).items():
        sent += len(alert_failed_run(history, error, started))
    context.log.info(f"alert sent: {sent} problem(s)" if sent else "no new problem to alert")
