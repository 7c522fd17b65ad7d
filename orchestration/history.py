"""How an orchestrated run lands in the run history (`observability.*`, whose `run_id` groups
what one recorded command did).

Each step of a Dagster run records under its own history run id, `<Dagster run id>-<step key>`
(`-<attempt>` added for a retry): a step calls the pipeline functions inside
`step_history(context)`, and their rows and alert carry that id. Per step rather than per run: a
run's three ingestion steps each record an `ingest` command, and the history keys a command by
its run id and command; a retried step records its command again. The Dagster run id leads
every id, so `run_id like '<Dagster run id>%'` finds all of a run's history.
"""

import contextlib
from collections.abc import Iterator

import dagster as dg

from dataops import observability


def history_run_id(dagster_run_id: str, step_key: str | None = None, attempt: int = 0) -> str:
    """The run history's id of a Dagster step (or of the run itself, without a step)."""
    if step_key is None:
        return dagster_run_id
    return f"{dagster_run_id}-{step_key}" + (f"-{attempt}" if attempt else "")


@contextlib.contextmanager
def step_history(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> Iterator[str]:
    """What the pipeline functions record (and alert) in the block carries this step's history
    run id, which it yields. A scope, not the process's `DATAOPS_RUN_ID`: an in-process run
    executes several steps in one process."""
    op = context.op_execution_context
    run_id = history_run_id(op.run_id, str(op.op_handle), op.retry_number)
    with observability.run_scope(run_id):
        yield run_id
