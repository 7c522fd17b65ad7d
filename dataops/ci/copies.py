"""Carrying out a copy plan (`copy_plan.py`): production's incremental tables copied into a
pull request's schema before its build, two at a time, each on a connection of its own.

A copy is a real table with production's column types, constraints and indexes (dbt creates
indexes only when it creates the table), so the incremental run that extends it plans and
behaves as production's next run will.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import psycopg2
from psycopg2 import sql

from dataops.ci.copy_plan import (
    CopyPlan,
    PlannedCopy,
    Tables,
    full_refresh_requested,
    incremental_models,
    plan_copies,
)
from dataops.ci.workspace import Workspace
from dataops.core.console import say
from dataops.core.errors import DataOpsError, first_line
from dataops.core.settings import WarehouseSettings

# connections copying production's incremental tables into a pull request's schema at once
COPY_CONNECTIONS = 2

_TABLES = (
    "select n.nspname, c.relname, pg_total_relation_size(c.oid) from pg_class as c"
    " join pg_namespace as n on n.oid = c.relnamespace where c.relkind in ('r', 'p')"
)
_INDEXES = (
    "select pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid),"
    " quote_ident(n.nspname) || '.' || quote_ident(t.relname)"
    " from pg_index as i"
    " join pg_class as t on t.oid = i.indrelid"
    " join pg_namespace as n on n.oid = t.relnamespace"
    " left join pg_constraint as c on c.conindid = i.indexrelid"
    " and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x')"
    " where i.indrelid = %s::regclass"
    " order by c.conname is null, c.conname, i.indexrelid"
)


def warehouse_tables(settings: WarehouseSettings) -> dict[tuple[str, str], int]:
    """Every table of the warehouse (plain or partitioned) and its size in bytes."""
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(_TABLES)
        return {(schema, name): size for schema, name, size in cursor.fetchall()}


def index_statements(cursor, source: sql.Identifier, target: sql.Identifier) -> list[sql.SQL]:
    """The statements that give `target` the indexes of `source`, and the constraints they
    back (primary key, unique, exclusion)."""
    source_name, target_name = source.as_string(cursor), target.as_string(cursor)
    cursor.execute(_INDEXES, (source_name,))
    statements = []
    for index, constraint, definition, table in cursor.fetchall():
        if constraint:
            statements.append(
                sql.SQL("alter table {} add constraint {} {}").format(
                    target, sql.Identifier(constraint), sql.SQL(definition)
                )
            )
            continue
        on_source = f" ON {table} USING "
        if on_source not in index:
            raise DataOpsError(f"cannot read the index {index!r} of {source_name}")
        statements.append(sql.SQL(index.replace(on_source, f" ON {target_name} USING ", 1)))
    return statements


def copy_table(cursor, source: sql.Identifier, target: sql.Identifier) -> int:
    """Copy a table; its row count.

    Its columns, defaults, NOT NULL and check constraints first, then its rows, then its
    indexes and the constraints they back, which are built from the loaded rows at a fraction
    of the cost of keeping them up to date row by row. The copy is unlogged (it lives as long
    as the pull request's schema, and nothing needs it after a crash), and analyzed, so the
    incremental run plans with its size: with a tenth of the default sample
    (`default_statistics_target` 10), which finds the sizes and the common values a pull
    request's plans need at a tenth of the cost.
    """
    statements = index_statements(cursor, source, target)
    cursor.execute(
        sql.SQL("create unlogged table {} (like {} including all excluding indexes)").format(
            target, source
        )
    )
    cursor.execute(sql.SQL("insert into {} select * from {}").format(target, source))
    rows = cursor.rowcount
    for statement in statements:
        cursor.execute(statement)
    cursor.execute("set default_statistics_target = 10")
    try:
        cursor.execute(sql.SQL("analyze {}").format(target))
    finally:
        cursor.execute("reset default_statistics_target")
    return rows


def carry_out(settings: WarehouseSettings, planned: PlannedCopy) -> tuple[dict | None, str]:
    """One copy, on a connection of its own: (what was copied, '') or (None, why not)."""
    source, target = sql.Identifier(*planned.source), sql.Identifier(*planned.target)
    started = time.monotonic()
    # autocommit: `analyze` runs outside a transaction block
    with settings.session(autocommit=True) as connection, connection.cursor() as cursor:
        try:
            rows = copy_table(cursor, source, target)
        except (psycopg2.Error, DataOpsError) as exc:
            cursor.execute(sql.SQL("drop table if exists {}").format(target))
            reason = first_line(exc, "no message")
            return None, f"copying `{planned.name}` failed ({reason}): built in full"
    done = {
        "unique_id": planned.unique_id,
        "from": ".".join(planned.source),
        "to": ".".join(planned.target),
        "rows": rows,
        "seconds": round(time.monotonic() - started, 2),
    }
    say(
        f"build: copied {planned.name} from production ({done['from']}, {rows:,} rows, "
        f"{done['seconds']} s): it builds incrementally"
    )
    return done, ""


def carry_out_plan(settings: WarehouseSettings, plan: CopyPlan) -> tuple[list[dict], list[str]]:
    """Make the plan's copies, COPY_CONNECTIONS at a time: (copies made, notes)."""
    if plan.copies:
        with settings.session() as connection, connection.cursor() as cursor:
            for schema in sorted({copy.target[0] for copy in plan.copies}):
                statement = sql.SQL("create schema if not exists {}")
                cursor.execute(statement.format(sql.Identifier(schema)))
    with ThreadPoolExecutor(max_workers=COPY_CONNECTIONS) as pool:
        outcomes = list(pool.map(lambda planned: carry_out(settings, planned), plan.copies))
    copies = sorted((done for done, _ in outcomes if done), key=lambda done: done["unique_id"])
    notes = [*plan.notes, *(note for _, note in outcomes if note)]
    for note in notes:
        say(f"build: {note.replace('`', '')}")
    return copies, notes


def copy_incremental_models(
    settings: WarehouseSettings,
    env: Mapping[str, str],
    ws: Workspace,
    selected: list[dict],
    changed: set[str],
) -> tuple[list[dict], list[str]]:
    """Production's tables of the incremental models this build selects but does not change,
    copied into the pull request's schema before `dbt build` (copy_plan.py says which and
    why): (copies, notes)."""
    if not incremental_models(selected):
        return [], []
    full_refresh = full_refresh_requested(env)
    production = json.loads((ws.prod_state / "manifest.json").read_text()).get("nodes", {})
    tables: Tables = {} if full_refresh else warehouse_tables(settings)
    plan = plan_copies(selected, changed, production, tables, full_refresh=full_refresh)
    return carry_out_plan(settings, plan)
