"""Run history: what every pipeline run did, recorded in the `observability` schema.

Each `dataops` command that loads or builds appends rows in one short transaction (a few hundred
rows at most, written with psycopg2: a dlt pipeline's import and load cost ~0.9 s a command),
and dbt models the history for the dashboard like every other source:

| table | one row per |
|---|---|
| `pipeline_runs` | command run (ingest, transform, freshness, run), with status and duration |
| `ingestion_tables` | source table loaded in a run: rows loaded, rows rejected, duration |
| `dbt_nodes` | dbt node executed (model, test, seed, snapshot, unit test): status, timing, rows |
| `source_freshness` | source table checked by `dbt source freshness` |

Rows carry `run_id`: one id for all the steps of one `dataops run` (an orchestrator's step
runs in a `run_scope` of its own).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataops.core.warehouse import WarehouseSettings

SCHEMA = "observability"

# The history tables exist from the first command on, so the dbt models over them always
# build. `_dlt_id` is the row's id (a random UUID), named as when dlt wrote these tables, so a
# warehouse with that history keeps it; `_dlt_load_id` is null in rows written since.
_COMMON = "run_id text not null, _dlt_load_id text, _dlt_id text unique"
TABLES: dict[str, str] = {
    "pipeline_runs": f"""{_COMMON}, command text, status text, error text,
        started_at timestamptz, finished_at timestamptz, duration_s double precision""",
    "ingestion_tables": f"""{_COMMON}, source text, table_name text, load_id text,
        status text, error text, rows_loaded bigint, rows_rejected bigint,
        started_at timestamptz, finished_at timestamptz, duration_s double precision""",
    "dbt_nodes": f"""{_COMMON}, invocation_id text, command text, unique_id text,
        resource_type text, name text, status text, failures bigint, message text,
        rows_affected bigint, execution_time_s double precision, started_at timestamptz,
        completed_at timestamptz""",
    "source_freshness": f"""{_COMMON}, unique_id text, source_name text, table_name text,
        status text, max_loaded_at timestamptz, snapshotted_at timestamptz,
        age_s double precision, warn_after text, error_after text, error text""",
}


_SCOPED_RUN_ID: ContextVar[str | None] = ContextVar("scoped_run_id", default=None)


@contextlib.contextmanager
def run_scope(run: str) -> Iterator[None]:
    """Rows recorded in the block carry `run` as their run id: an orchestrator runs several
    steps in one process, each a run of its own in the history (one `ingest` row per run)."""
    token = _SCOPED_RUN_ID.set(run)
    try:
        yield
    finally:
        _SCOPED_RUN_ID.reset(token)


def run_id() -> str:
    """The current run's id: the block's (`run_scope`), else inherited from `DATAOPS_RUN_ID`,
    else created once per process."""
    scoped = _SCOPED_RUN_ID.get()
    if scoped:
        return scoped
    current = os.environ.get("DATAOPS_RUN_ID")
    if not current:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        current = f"{stamp}-{uuid.uuid4().hex[:8]}"
        os.environ["DATAOPS_RUN_ID"] = current
    return current


def utcnow() -> datetime:
    return datetime.now(UTC)


def columns(table: str) -> list[str]:
    """The columns a row of `table` may carry: those of its DDL above, less the row id."""
    names = [definition.split()[0] for definition in TABLES[table].split(",")]
    return [name for name in names if not name.startswith("_dlt")]


# The databases whose history tables this process has made sure of: `dataops run` reaches
# `ensure_tables` for the run and again for each dbt invocation, and one check is enough.
_ENSURED: set[tuple[str, int, str]] = set()


def ensure_tables(settings: WarehouseSettings) -> None:
    """Create the observability schema and its history tables if they are missing.

    Once per process and database: later calls for the same database do nothing.
    """
    key = (settings.host, settings.port, settings.dbname)
    if key in _ENSURED:
        return
    from psycopg2 import sql

    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        for table, columns in TABLES.items():
            cursor.execute(
                sql.SQL("create table if not exists {}.{} ({})").format(
                    sql.Identifier(SCHEMA), sql.Identifier(table), sql.SQL(columns)
                )
            )
    _ENSURED.add(key)


def load(settings: WarehouseSettings, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Append rows to one history table in one transaction (a no-op when there are none).

    A row may leave out columns (they stay null); a key that is not a column of the table is a
    programming error and raises before anything is written.
    """
    batch = [dict(row) for row in rows]
    if not batch:
        return
    names = columns(table)
    unknown = sorted(set().union(*batch) - set(names))
    if unknown:
        raise ValueError(f"{SCHEMA}.{table} has no column {', '.join(unknown)}")
    from psycopg2 import sql
    from psycopg2.extras import execute_values

    ensure_tables(settings)
    statement = sql.SQL("insert into {}.{} ({}) values %s").format(
        sql.Identifier(SCHEMA),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, ["_dlt_id", *names])),
    )
    values = [[uuid.uuid4().hex, *(row.get(name) for name in names)] for row in batch]
    with settings.session() as connection, connection.cursor() as cursor:
        execute_values(cursor, statement.as_string(cursor), values)


# -- what each step reports -----------------------------------------------------------------


def pipeline_run_row(
    command: str, started_at: datetime, status: str, error: str | None = None
) -> dict[str, Any]:
    finished_at = utcnow()
    return {
        "run_id": run_id(),
        "command": command,
        "status": status,
        "error": error,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": round((finished_at - started_at).total_seconds(), 3),
    }


def ingestion_rows(
    source: str,
    counts: Mapping[str, int],
    rejected: Mapping[str, int],
    started_at: datetime,
    load_id: str | None,
    status: str = "success",
    error: str | None = None,
) -> list[dict[str, Any]]:
    """One row per table of a source load; a failed load gets one row for the source."""
    finished_at = utcnow()
    base = {
        "run_id": run_id(),
        "source": source,
        "load_id": load_id,
        "status": status,
        "error": error,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": round((finished_at - started_at).total_seconds(), 3),
    }
    tables = sorted(set(counts) | set(rejected))
    if not tables:
        return [{**base, "table_name": None, "rows_loaded": 0, "rows_rejected": 0}]
    return [
        {
            **base,
            "table_name": table,
            "rows_loaded": int(counts.get(table, 0)),
            "rows_rejected": int(rejected.get(table, 0)),
        }
        for table in tables
    ]


def _node_name(unique_id: str) -> str:
    """test.<project>.<name>.<hash> -> name; model.<project>.<name> -> name."""
    parts = unique_id.split(".")
    return parts[2] if parts[0] == "test" and len(parts) > 3 else parts[-1]


def dbt_node_rows(target_dir: Path, command: str) -> list[dict[str, Any]]:
    """Every node of the last dbt invocation, from its run_results.json."""
    path = target_dir / "run_results.json"
    if not path.exists():
        return []
    artifact = json.loads(path.read_text())
    invocation = artifact.get("metadata", {}).get("invocation_id")
    rows = []
    for result in artifact.get("results", []):
        unique_id: str = result["unique_id"]
        timing = {t["name"]: t for t in result.get("timing") or []}
        execute = timing.get("execute", {})
        response = result.get("adapter_response") or {}
        rows.append(
            {
                "run_id": run_id(),
                "invocation_id": invocation,
                "command": command,
                "unique_id": unique_id,
                "resource_type": unique_id.split(".", 1)[0],
                "name": _node_name(unique_id),
                "status": result.get("status"),
                "failures": result.get("failures"),
                "message": (result.get("message") or "")[:2000] or None,
                "rows_affected": response.get("rows_affected"),
                "execution_time_s": round(result.get("execution_time") or 0.0, 3),
                "started_at": execute.get("started_at"),
                "completed_at": execute.get("completed_at"),
            }
        )
    return rows


def freshness_rows(target_dir: Path) -> list[dict[str, Any]]:
    """Every source table of the last `dbt source freshness`, from sources.json."""
    path = target_dir / "sources.json"
    if not path.exists():
        return []
    artifact = json.loads(path.read_text())
    rows = []
    for result in artifact.get("results", []):
        unique_id: str = result["unique_id"]
        criteria = result.get("criteria") or {}
        rows.append(
            {
                "run_id": run_id(),
                "unique_id": unique_id,
                "source_name": unique_id.split(".")[-2],
                "table_name": unique_id.split(".")[-1],
                "status": result.get("status"),
                "max_loaded_at": result.get("max_loaded_at"),
                "snapshotted_at": result.get("snapshotted_at"),
                "age_s": result.get("max_loaded_at_time_ago_in_s"),
                "warn_after": json.dumps(criteria.get("warn_after")),
                "error_after": json.dumps(criteria.get("error_after")),
                "error": (result.get("error") or None),
            }
        )
    return rows
