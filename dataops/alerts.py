"""Alerts: a failed run, a failed test or a stale source posts one message to a webhook.

The webhook (`DATAOPS_ALERT_WEBHOOK`, Slack-compatible: `{"text": ...}`) receives at most one
message per run, listing the failures not alerted before; each failure is remembered in
`observability.alerts_sent`, so asking again for the same run sends nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import requests
from psycopg2 import sql

from dataops.core.warehouse import WarehouseSettings
from dataops.observability import SCHEMA

WEBHOOK_ENV = "DATAOPS_ALERT_WEBHOOK"


@dataclass(frozen=True, order=True)
class Failure:
    kind: str  # run, test, model, source, ingestion
    subject: str
    detail: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


_FAILURES_SQL = """
    select 'test', name, coalesce(failures::text || ' failing row(s)', status)
    from {schema}.dbt_nodes
    where run_id = %(run)s and resource_type in ('test', 'unit_test')
        and status in ('fail', 'error')
    union all
    select 'model', name, coalesce(split_part(message, E'\\n', 1), status)
    from {schema}.dbt_nodes
    where run_id = %(run)s and resource_type in ('model', 'seed', 'snapshot')
        and status = 'error'
    union all
    select 'source', source_name || '.' || table_name,
        'stale: last load ' || coalesce(round(age_s / 3600)::text || ' h ago', 'never')
    from {schema}.source_freshness
    where run_id = %(run)s and status in ('error', 'runtime error')
    union all
    select 'ingestion', source, coalesce(error, 'failed')
    from {schema}.ingestion_tables
    where run_id = %(run)s and status = 'failed'
"""


def failures(settings: WarehouseSettings, run_id: str) -> list[Failure]:
    """What went wrong in a run, from its recorded history."""
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(_FAILURES_SQL).format(schema=sql.Identifier(SCHEMA)), {"run": run_id}
        )
        found = {Failure(*row) for row in cursor.fetchall()}
        cursor.execute(
            sql.SQL(
                "select command, coalesce(error, 'failed') from {}.pipeline_runs"
                " where run_id = %s and status = 'failed'"
            ).format(sql.Identifier(SCHEMA)),
            (run_id,),
        )
        failed_commands = cursor.fetchall()
    if not found:
        # a run that failed for a reason no finer record explains
        found = {Failure("run", command, error) for command, error in failed_commands}
    return sorted(found)


def message(run_id: str, new: list[Failure]) -> dict[str, str]:
    lines = [f"dataops run {run_id}: {len(new)} problem(s)"]
    lines += [f"• {failure.kind} `{failure.subject}`: {failure.detail}" for failure in new]
    return {"text": "\n".join(lines)}


def send(settings: WarehouseSettings, run_id: str, webhook: str | None = None) -> list[Failure]:
    """Post the run's failures not alerted before; returns what was sent."""
    webhook = webhook or os.environ.get(WEBHOOK_ENV)
    if not webhook:
        return []
    found = failures(settings, run_id)
    if not found:
        return []
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "create table if not exists {}.alerts_sent (run_id text not null,"
                " failure_key text not null, sent_at timestamptz not null default now(),"
                " primary key (run_id, failure_key))"
            ).format(sql.Identifier(SCHEMA))
        )
        # the row lock makes concurrent senders of one run wait for each other
        cursor.execute("select pg_advisory_xact_lock(hashtext(%s))", (run_id,))
        cursor.execute(
            sql.SQL("select failure_key from {}.alerts_sent where run_id = %s").format(
                sql.Identifier(SCHEMA)
            ),
            (run_id,),
        )
        already = {row[0] for row in cursor.fetchall()}
        new = [failure for failure in found if failure.key not in already]
        if not new:
            return []
        response = requests.post(webhook, json=message(run_id, new), timeout=10)
        response.raise_for_status()
        cursor.executemany(
            sql.SQL("insert into {}.alerts_sent (run_id, failure_key) values (%s, %s)").format(
                sql.Identifier(SCHEMA)
            ),
            [(run_id, failure.key) for failure in new],
        )
    return new
