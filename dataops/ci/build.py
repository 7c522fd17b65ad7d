"""The build step: what the branch changed, and everything downstream of it, built into the
pull request's own schema with `dbt build --select state:modified+ --defer`, unchanged parents
read from production. Without production state, every model is built (a full build).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import time
from collections.abc import Mapping

from psycopg2 import sql

from dataops import dbt as dbt_runner
from dataops import observability, roles
from dataops.ci.copies import copy_incremental_models
from dataops.ci.github import annotate
from dataops.ci.results import BUILT_KINDS, count_results, run_results
from dataops.ci.workspace import SCHEMA_PREFIX, Workspace
from dataops.core.console import say
from dataops.core.errors import DataOpsError, first_line
from dataops.core.settings import WarehouseSettings
from dataops.core.warehouse import resolve

# what `dbt ls` reports of each node: enough to plan copies and to check where it is written
_LS_KEYS = (
    "unique_id",
    "resource_type",
    "database",
    "schema",
    "alias",
    "config.materialized",
    "config.full_refresh",
)


def drop_schema(settings: WarehouseSettings, schema: str) -> bool:
    """Drop a pull request's schema; True if it existed. Refuses any other schema."""
    if not re.fullmatch(rf"{SCHEMA_PREFIX}[a-z0-9_]{{1,40}}", schema):
        raise DataOpsError(f"refusing to drop {schema!r}: only {SCHEMA_PREFIX}<n> schemas are CI's")
    with settings.session(autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("select 1 from pg_namespace where nspname = %s", (schema,))
        existed = cursor.fetchone() is not None
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
    return existed


def selected_relations(
    dbt: dbt_runner.Session, selection: list[str], *resource_types: str
) -> list[dict[str, str]]:
    """The models, seeds and snapshots a build with this selection would write, per `dbt ls`:
    each one's unique_id, resource_type, relation (database, schema, alias) and
    `config.materialized` / `config.full_refresh`."""
    types = resource_types or ("model", "seed", "snapshot")
    code, result = dbt.invoke(
        [
            *("ls", "--quiet", "--no-use-colors", "--target", "ci", *selection),
            *("--resource-type", *types, "--output", "json", "--output-keys", *_LS_KEYS),
        ],
        quiet=True,
    )
    if code != 0:
        reason = first_line(getattr(result, "exception", None), "")
        raise DataOpsError(
            "dbt could not list the changed models" + (f": {reason}" if reason else "")
        )
    lines = getattr(result, "result", None) or []
    return [json.loads(line) for line in lines if line.startswith("{")]


def descendants(children: Mapping[str, list[str]], roots: set[str]) -> set[str]:
    """The roots and every node downstream of them in a manifest's child_map."""
    seen: set[str] = set()
    stack = sorted(roots)
    while stack:
        unique_id = stack.pop()
        if unique_id not in seen:
            seen.add(unique_id)
            stack.extend(children.get(unique_id, []))
    return seen


def slim_selection(dbt: dbt_runner.Session, ws: Workspace) -> tuple[list[dict], set[str]]:
    """What `--select state:modified+` builds, as selected_relations gives it, and the nodes
    changed themselves (`state:modified`), from one `dbt ls`: the descendants are read from
    the manifest the session's parse writes (its child_map is the graph dbt selects `+`
    from)."""
    state = ["--select", "state:modified", "--state", str(ws.prod_state)]
    changed = {node["unique_id"] for node in selected_relations(dbt, state, "all")}
    manifest = json.loads((ws.target / "manifest.json").read_text())
    nodes = manifest.get("nodes", {})
    selected = [
        {
            "unique_id": unique_id,
            "resource_type": nodes[unique_id]["resource_type"],
            "database": nodes[unique_id]["database"],
            "schema": nodes[unique_id]["schema"],
            "alias": nodes[unique_id]["alias"],
            "config.materialized": nodes[unique_id]["config"].get("materialized"),
            "config.full_refresh": nodes[unique_id]["config"].get("full_refresh"),
        }
        for unique_id in sorted(descendants(manifest.get("child_map", {}), changed))
        if nodes.get(unique_id, {}).get("resource_type") in BUILT_KINDS
    ]
    return selected, changed


def outside_schema(ws: Workspace, selected: list[dict]) -> str:
    """Why the build must not start, if a node would be written outside the pull request's
    schema (a schema macro that ignores the ci target); '' if none would."""
    outside = sorted(
        f"{node['unique_id']} -> schema {node['schema']}"
        for node in selected
        if node["schema"] != ws.schema
    )
    if not outside:
        return ""
    return (
        f"refusing to build: {len(outside)} node(s) would be written outside {ws.schema} "
        f"under --target ci ({'; '.join(outside[:3])}); schemas must come from "
        "macros/generate_schema_name.sql"
    )


def _stopped(ws: Workspace, mode: str, started: float, message: str) -> DataOpsError:
    """Record a build that stopped before dbt built anything; the error to raise."""
    ws.write_json("build.json", {"mode": mode, "selected": [], "error": message})
    ws.record_step("build", "failed", time.monotonic() - started, message)
    return DataOpsError(message)


def _prepare(ws: Workspace, settings: WarehouseSettings) -> bool:
    """A clean schema and target folder for this run; whether production state is there."""
    settings.check()
    observability.ensure_tables(settings)  # run-history sources some models read
    state = ws.read_json("state.json")
    has_state = (
        state.get("source") not in (None, "none") and (ws.prod_state / "manifest.json").exists()
    )
    shutil.rmtree(ws.target, ignore_errors=True)
    # A clean schema each run: relations left by an earlier push would otherwise shadow
    # production for the parents dbt defers to.
    if drop_schema(settings, ws.schema):
        say(f"build: dropped the previous {ws.schema}")
    return has_state


def _select(
    dbt: dbt_runner.Session, ws: Workspace, has_state: bool, started: float
) -> tuple[list[dict], set[str]]:
    """The nodes the build writes and the nodes changed; refuses a node outside the schema."""
    mode = "slim" if has_state else "full"
    try:
        if has_state:
            selected, changed = slim_selection(dbt, ws)
        else:
            selected, changed = selected_relations(dbt, []), set()
    except DataOpsError as exc:
        raise _stopped(ws, mode, started, str(exc)) from None
    refusal = outside_schema(ws, selected)
    if refusal:
        raise _stopped(ws, mode, started, refusal)
    say(f"build: {len(selected)} model(s)/seed(s)/snapshot(s) selected ({mode}) into {ws.schema}")
    return selected, changed


def step_build(ws: Workspace) -> bool:
    """Build what changed, and its descendants, into the pull request's own schema."""
    started = time.monotonic()
    settings = resolve()
    has_state = _prepare(ws, settings)
    env = dbt_runner.environment(settings, target="ci", target_path=ws.target, schema=ws.schema)
    selection = ["--select", "state:modified+", "--state", str(ws.prod_state)] if has_state else []
    if not has_state:
        annotate("warning", f"no production state: building EVERY model into {ws.schema}")
    dbt = dbt_runner.Session(env)
    selected, changed = _select(dbt, ws, has_state, started)
    copies, notes = (
        copy_incremental_models(roles.for_step(settings, "transformer"), env, ws, selected, changed)
        if has_state
        else ([], [])
    )
    command = ["build", "--target", "ci", *selection]
    if has_state:
        command.append("--defer")
        # the tests of what the branch changes read every row (macros/tests.sql)
        dbt.env = {**env, "DATAOPS_CI_CHANGED_NODES": ",".join(sorted(changed))}
    returncode, _ = dbt.invoke(command)
    ws.write_json(
        "build.json",
        {
            "mode": "slim" if has_state else "full",
            "selected": sorted(node["unique_id"] for node in selected),
            "copied": copies,
            "copy_notes": notes,
            "command": f"dbt {shlex.join(command)}",
            "exit": returncode,
        },
    )
    counts = count_results(run_results(ws.target))
    detail = (
        f"{counts['models_built']} model(s) built, {counts['tests_passed']} test(s) passed, "
        f"{counts['tests_failed']} failed"
    )
    ok = returncode == 0
    ws.record_step("build", "ok" if ok else "failed", time.monotonic() - started, detail)
    return ok
