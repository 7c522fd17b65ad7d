"""How an orchestrated run lands in the run history (`observability.*`, whose `run_id` groups
what one recorded command did).

Each step of a Dagster run records under its own history run id, `<Dagster run id>-<step key>`
(`-<attempt>` added for a retry): a step calls `record_as_step(context)` before it calls the
pipeline functions, whose rows and alert then carry that id. Per step rather than per run: a
run's three ingestion steps each record an `ingest` command, and the history keys a command by
its run id and command; a retried step records its command again. The Dagster run id leads
every id, so `run_id like '<Dagster run id>%'` finds all of a run's history.
"""

import os

import dagster as dg

RUN_ID_ENV = "DATAOPS_RUN_ID"  # what `dataops.observability.run_id` reads


def history_run_id(dagster_run_id: str, step_key: str | None = None, attempt: int = 0) -> str:
    """The run history's id of a Dagster step (or of the run itself, without a step)."""
    if step_key is None:
        return dagster_run_id
    return f"{dagster_run_id}-{step_key}" + (f"-{attempt}" if attempt else "")


def record_as_step(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> str:
    """Make what this step's pipeline functions record (and alert) carry its history run id;
    returns it."""
    op = context.op_execution_context
    run_id = history_run_id(op.run_id, str(op.op_handle), op.retry_number)
    os.environ[RUN_ID_ENV] = run_id
    return run_id
