"""`dataops ci`: slim CI, deploy and commit-time checks, as commands that run here and in CI.

The workflows in `.github/workflows/` only call these commands, so a pull request's CI can be
reproduced on a laptop step by step:

    dataops ci run [--pr N]           every step below in order: what `make ci-slim` runs
    dataops ci state                  production state: deploy artifact, base-branch parse, none
    dataops ci build                  dbt build --select state:modified+ --defer into ci_pr_<n>
    dataops ci lint                   sqlfluff with the dbt templater on the SQL the branch changed
    dataops ci pytest                 the Python test suite
    dataops ci summary                models built, tests passed and failed, timings (markdown)
    dataops ci comment --pr N         the summary as a pull request comment (GitHub only)
    dataops ci drop-schema --pr N     drop ci_pr_<n> once the pull request closes
    dataops ci deploy [--out DIR]     ingest, source freshness, dbt build for prod, docs; publish
    dataops ci secrets [FILE ...]     refuse private keys, access tokens, passwords in URLs
    dataops ci check-yaml FILE ...    YAML that parses and has no duplicate keys
    dataops ci check-workflows        the hardening rules every workflow follows

A step's files (the production manifest, dbt's artifacts, the lint and pytest reports, the
summary) live in `<state dir>/ci/pr_<n>/`, so each step can also be run on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dataops import dbt as dbt_runner
from dataops import pipeline
from dataops.core.console import say
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT, dbt_target_dir, state_dir
from dataops.core.warehouse import WarehouseSettings, resolve

# Names the workflows share with this module; tests/python/ci checks the workflows use them.
DEPLOY_WORKFLOW = "deploy.yml"
PROD_STATE_ARTIFACT = "dbt-prod-state"
DOCS_ARTIFACT = "dbt-docs"
COMMENT_MARKER = "<!-- dataops-slim-ci -->"
STEPS = ("state", "build", "lint", "pytest", "summary")
SCHEMA_PREFIX = "ci_pr_"

BIN = Path(sys.executable).parent
_PR_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")


def annotate(level: str, message: str) -> None:
    """A line on stderr, and a GitHub annotation (`::warning::`) when run in GitHub Actions."""
    say(f"{level.upper()}: {message}")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::{level}::{message}", flush=True)


# -- workspace --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """Where one pull request's CI keeps its files, and the schema it builds into."""

    pr: str
    root: Path

    @classmethod
    def for_pr(cls, pr: str | None, workdir: Path | None = None) -> Workspace:
        number = (pr or os.environ.get("DATAOPS_PR") or "local").strip().lower()
        if not _PR_PATTERN.match(number):
            raise DataOpsError(
                f"--pr must be a pull request number or a short name of [a-z0-9_], got {number!r}"
            )
        return cls(number, (workdir or state_dir() / "ci" / f"pr_{number}").resolve())

    @property
    def schema(self) -> str:
        return f"{SCHEMA_PREFIX}{self.pr}"

    @property
    def prod_state(self) -> Path:
        return self.root / "prod-state"

    @property
    def target(self) -> Path:
        return self.root / "target"

    def path(self, name: str) -> Path:
        return self.root / name

    def clear(self, *, keep_state: bool = False) -> None:
        """Forget an earlier run's files (only the ones this module writes); with keep_state,
        keep the production state a separate `dataops ci state` step just found."""
        steps = self.read_json("steps.json")
        for name in ("target", "lint-target", "logs"):
            shutil.rmtree(self.path(name), ignore_errors=True)
        for name in ("steps.json", "build.json", "lint.json", "pytest.xml", "summary.md"):
            self.path(name).unlink(missing_ok=True)
        if keep_state and "state" in steps:
            self.write_json("steps.json", {"state": steps["state"]})
        else:
            shutil.rmtree(self.prod_state, ignore_errors=True)
            self.path("state.json").unlink(missing_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def read_json(self, name: str) -> dict:
        path = self.path(name)
        return json.loads(path.read_text()) if path.exists() else {}

    def write_json(self, name: str, data: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.path(name).write_text(json.dumps(data, indent=2) + "\n")

    def record_step(self, step: str, status: str, seconds: float, detail: str) -> None:
        """Remember how a step ended, for the summary."""
        steps = self.read_json("steps.json")
        steps[step] = {"status": status, "seconds": round(seconds, 2), "detail": detail}
        self.write_json("steps.json", steps)


# -- subprocesses -----------------------------------------------------------------------------


def git(*args: str, check: bool = True, cwd: Path = REPO_ROOT) -> str:
    """Run git in the project and return its output; a one-line error if it fails."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise DataOpsError(
            f"`git {' '.join(args)}` failed: {reason[-1] if reason else 'no output'}"
        )
    return result.stdout.strip() if result.returncode == 0 else ""


# -- production state -------------------------------------------------------------------------


def base_ref(explicit: str | None) -> str | None:
    """The branch production is built from: --base, DATAOPS_BASE_REF, the pull request's base
    in GitHub Actions, else origin/main or main. A ref named explicitly is never replaced."""

    def exists(ref: str) -> bool:
        return bool(git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False))

    named = explicit or os.environ.get("DATAOPS_BASE_REF")
    if named:
        return named if exists(named) else None
    candidates = []
    if os.environ.get("GITHUB_BASE_REF"):
        candidates.append(f"origin/{os.environ['GITHUB_BASE_REF']}")
    candidates += ["origin/main", "main"]
    return next((ref for ref in candidates if exists(ref)), None)


def _download_deploy_artifact(dest: Path, branch: str, notes: list[str]) -> str | None:
    """The manifest of the latest successful deploy run on the production branch, via gh."""
    repo = os.environ.get("GITHUB_REPOSITORY")
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not (repo and token):
        notes.append("deploy artifact: not in GitHub Actions (no GITHUB_REPOSITORY/GH_TOKEN)")
        return None
    if not shutil.which("gh"):
        notes.append("deploy artifact: the GitHub CLI `gh` is not installed")
        return None
    listing = subprocess.run(
        [
            "gh",
            "run",
            "list",
            "--repo",
            repo,
            "--workflow",
            DEPLOY_WORKFLOW,
            "--branch",
            branch,
            "--status",
            "success",
            "--limit",
            "1",
            "--json",
            "databaseId",
            "--jq",
            ".[0].databaseId // empty",
        ],
        capture_output=True,
        text=True,
    )
    run_id = listing.stdout.strip()
    if listing.returncode != 0 or not run_id:
        reason = listing.stderr.strip().splitlines()
        notes.append(
            f"deploy artifact: no successful {DEPLOY_WORKFLOW} run on {branch}"
            + (f" ({reason[-1]})" if reason else "")
        )
        return None
    download = subprocess.run(
        [
            "gh",
            "run",
            "download",
            run_id,
            "--repo",
            repo,
            "--name",
            PROD_STATE_ARTIFACT,
            "--dir",
            str(dest),
        ],
        capture_output=True,
        text=True,
    )
    if download.returncode != 0 or not (dest / "manifest.json").exists():
        reason = download.stderr.strip().splitlines()
        notes.append(
            f"deploy artifact: download from run {run_id} failed"
            + (f" ({reason[-1]})" if reason else "")
        )
        return None
    return f"the `{PROD_STATE_ARTIFACT}` artifact of deploy run {run_id} on {branch}"


def _parse_base_in_worktree(
    ref: str, dest: Path, conn: WarehouseSettings, notes: list[str]
) -> bool:
    """`dbt parse --target prod` of the base branch, checked out in a throwaway git worktree."""
    scratch = Path(tempfile.mkdtemp(prefix="dataops-base-"))
    worktree = scratch / "project"
    try:
        git("worktree", "add", "--detach", "--quiet", str(worktree), ref)
        target = scratch / "target"
        env = dbt_runner.environment(conn, target="prod", target_path=target, profiles_dir=worktree)
        say(f"state: dbt parse of {ref} in a git worktree ...")
        result = dbt_runner.run(
            ["parse", "--project-dir", str(worktree), "--target", "prod", "--quiet"],
            env,
            cwd=worktree,
            capture=True,
        )
        if result.returncode != 0 or not (target / "manifest.json").exists():
            lines = (result.stdout + result.stderr).strip().splitlines()
            notes.append(
                f"base-branch parse: dbt parse of {ref} failed"
                + (f" ({lines[-1].strip()})" if lines else "")
            )
            return False
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target / "manifest.json", dest / "manifest.json")
        return True
    except DataOpsError as exc:
        notes.append(f"base-branch parse: {exc}")
        return False
    finally:
        git("worktree", "remove", "--force", str(worktree), check=False)
        git("worktree", "prune", check=False)
        shutil.rmtree(scratch, ignore_errors=True)


def resolve_state(
    ws: Workspace,
    *,
    given: str | None,
    base: str | None,
    prod_branch: str,
    conn: WarehouseSettings,
    artifact: bool = True,
) -> dict:
    """Find production's manifest by the fallback chain and copy it to the workspace.

    1. a folder named by --prod-state or DATAOPS_PROD_STATE (a downloaded deploy artifact);
    2. in GitHub Actions, the artifact of the latest successful deploy run on main;
    3. `dbt parse` of the base branch in a git worktree;
    4. nothing: the build falls back to a full build, with a warning.
    """
    notes: list[str] = []
    shutil.rmtree(ws.prod_state, ignore_errors=True)
    folder = given or os.environ.get("DATAOPS_PROD_STATE")
    if folder:
        manifest = Path(folder).expanduser() / "manifest.json"
        if manifest.is_file():
            ws.prod_state.mkdir(parents=True)
            for artifact in Path(folder).expanduser().glob("*.json"):
                shutil.copy2(artifact, ws.prod_state / artifact.name)
            return {"source": "folder", "detail": f"production manifest from {folder}"}
        notes.append(f"production state folder {folder} has no manifest.json")
    found = _download_deploy_artifact(ws.prod_state, prod_branch, notes) if artifact else None
    if found:
        return {"source": "artifact", "detail": found, "notes": notes}
    ref = base_ref(base)
    if ref is None:
        notes.append(f"base-branch parse: base branch {base or 'main'} not found")
    elif _parse_base_in_worktree(ref, ws.prod_state, conn, notes):
        commit = git("rev-parse", "--short", ref, check=False)
        return {
            "source": "worktree",
            "detail": f"`dbt parse` of {ref} ({commit}) in a git worktree",
            "notes": notes,
        }
    shutil.rmtree(ws.prod_state, ignore_errors=True)
    return {"source": "none", "detail": "no production state found", "notes": notes}


def step_state(ws: Workspace, args: argparse.Namespace) -> bool:
    """Resolve production state; never fails: without state the build falls back, loudly."""
    started = time.monotonic()
    conn = resolve()
    state = resolve_state(
        ws,
        given=args.prod_state,
        base=args.base,
        prod_branch=args.prod_branch,
        conn=conn,
        artifact=not args.no_artifact,
    )
    for note in state.get("notes", []):
        say(f"state: {note}")
    ws.write_json("state.json", state)
    if state["source"] == "none":
        annotate(
            "warning",
            f"No production state ({'; '.join(state['notes'])}): slim CI falls back to a FULL "
            f"build of every model into {ws.schema}.",
        )
        ws.record_step("state", "warning", time.monotonic() - started, "none: full build")
    else:
        say(f"state: {state['detail']}")
        ws.record_step("state", "ok", time.monotonic() - started, state["detail"])
    return True


# -- build ------------------------------------------------------------------------------------


def drop_schema(conn: WarehouseSettings, schema: str) -> bool:
    """Drop a pull request's schema; True if it existed. Refuses any other schema."""
    from psycopg2 import sql

    if not re.fullmatch(rf"{SCHEMA_PREFIX}[a-z0-9_]{{1,40}}", schema):
        raise DataOpsError(f"refusing to drop {schema!r}: only {SCHEMA_PREFIX}<n> schemas are CI's")
    connection = conn.connect()
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_namespace where nspname = %s", (schema,))
            existed = cursor.fetchone() is not None
            cursor.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
            )
    finally:
        connection.close()
    return existed


def _selected_relations(
    dbt: dbt_runner.Session, selection: list[str], *resource_types: str
) -> list[dict[str, str]]:
    """The models, seeds and snapshots a build with this selection would write, per dbt ls:
    each one's unique_id, resource_type, relation (database, schema, alias) and
    `config.materialized` / `config.full_refresh`."""
    code, result = dbt.invoke(
        [
            "ls",
            "--quiet",
            "--no-use-colors",
            "--target",
            "ci",
            *selection,
            "--resource-type",
            *(resource_types or ("model", "seed", "snapshot")),
            "--output",
            "json",
            "--output-keys",
            "unique_id",
            "resource_type",
            "database",
            "schema",
            "alias",
            "config.materialized",
            "config.full_refresh",
        ],
        quiet=True,
    )
    if code != 0:
        reason = str(getattr(result, "exception", None) or "").strip().splitlines()
        raise DataOpsError(
            "dbt could not list the changed models" + (f": {reason[0].strip()}" if reason else "")
        )
    return [
        json.loads(line) for line in getattr(result, "result", None) or [] if line.startswith("{")
    ]


def _slim_selection(dbt: dbt_runner.Session, ws: Workspace) -> tuple[list[dict], set[str]]:
    """What `--select state:modified+` builds, as _selected_relations gives it, and the nodes
    changed themselves (`state:modified`), from one `dbt ls`: the descendants are read from
    the manifest the session's parse writes (its child_map is the graph dbt selects `+`
    from)."""
    changed = {
        node["unique_id"]
        for node in _selected_relations(
            dbt, ["--select", "state:modified", "--state", str(ws.prod_state)], "all"
        )
    }
    manifest = json.loads((ws.target / "manifest.json").read_text())
    children = manifest.get("child_map", {})
    seen: set[str] = set()
    stack = sorted(changed)
    while stack:
        unique_id = stack.pop()
        if unique_id not in seen:
            seen.add(unique_id)
            stack.extend(children.get(unique_id, []))
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
        for unique_id in sorted(seen)
        if nodes.get(unique_id, {}).get("resource_type") in {"model", "seed", "snapshot"}
    ]
    return selected, changed


_TRUE = {"1", "true", "t", "yes", "y", "on"}
# connections copying production's incremental tables into a pull request's schema at once
COPY_CONNECTIONS = 2


def _table_kind(cursor, schema: str, name: str) -> str | None:
    """pg_class.relkind of schema.name ('r' a table, 'v' a view, ...), None if absent."""
    cursor.execute(
        "select c.relkind from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s",
        (schema, name),
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _copy_table(cursor, source, target) -> int:
    """Copy a table: its columns, defaults, NOT NULL and check constraints first, then its
    rows, then its indexes and the constraints they back (primary key, unique), which are
    built from the loaded rows at a fraction of the cost of keeping them up to date row by
    row. The copy is unlogged (it lives as long as the pull request's schema, and nothing
    needs it after a crash), and analyzed, so the incremental run plans with its size: with a
    tenth of the default sample (`default_statistics_target` 10), which finds the sizes and
    the common values a pull request's plans need at a tenth of the cost."""
    from psycopg2 import sql

    source_name, target_name = source.as_string(cursor), target.as_string(cursor)
    cursor.execute(
        "select pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid),"
        " quote_ident(n.nspname) || '.' || quote_ident(t.relname)"
        " from pg_index as i"
        " join pg_class as t on t.oid = i.indrelid"
        " join pg_namespace as n on n.oid = t.relnamespace"
        " left join pg_constraint as c on c.conindid = i.indexrelid"
        " and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x')"
        " where i.indrelid = %s::regclass"
        " order by c.conname is null, c.conname, i.indexrelid",
        (source_name,),
    )
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


def copy_incremental_models(
    conn: WarehouseSettings,
    env: dict[str, str],
    ws: Workspace,
    selected: list[dict],
    changed: set[str],
) -> tuple[list[dict], list[str]]:
    """Production's tables of the incremental models this build selects but does not change,
    copied into the pull request's schema before `dbt build`: (copies, notes).

    In a new schema an incremental model has no table yet, so dbt would build it from every
    row; with a copy of production's it runs incrementally, as the next deploy will. (`dbt
    clone` makes views on PostgreSQL, which an incremental model cannot extend.) A copy is a
    real table with production's column types, constraints and indexes (dbt creates indexes
    only when it creates the table): see _copy_table.

    Not copied, so built in full: an incremental model this branch changes (its new SQL
    applies to every row, not only the recent ones), one new in this branch or whose table
    production lacks (a note says so), one configured `full_refresh: true`, and all of them
    when dbt is told to refresh fully (DBT_FULL_REFRESH). Snapshots are left alone.
    """
    import psycopg2
    from psycopg2 import sql

    incremental = sorted(
        (
            node
            for node in selected
            if node["resource_type"] == "model" and node.get("config.materialized") == "incremental"
        ),
        key=lambda node: node["unique_id"],
    )
    if not incremental:
        return [], []
    if env.get("DBT_FULL_REFRESH", "").strip().lower() in _TRUE:
        note = "full refresh requested (DBT_FULL_REFRESH): no incremental model is copied"
        say(f"build: {note}")
        return [], [note]
    production = json.loads((ws.prod_state / "manifest.json").read_text()).get("nodes", {})
    notes: list[str] = []
    plan: list[tuple[dict, dict]] = []
    for node in incremental:
        name, prod = _name(node["unique_id"]), production.get(node["unique_id"])
        if node["unique_id"] in changed:
            notes.append(f"`{name}` changed in this branch: built in full")
        elif node.get("config.full_refresh") is True:
            notes.append(f"`{name}` is configured full_refresh: built in full")
        elif prod is None or prod.get("config", {}).get("materialized") != "incremental":
            notes.append(f"`{name}` is not incremental in production: built in full")
        elif prod.get("database") != node["database"]:
            notes.append(f"`{name}` is in another database in production: built in full")
        else:
            plan.append((node, prod))

    def copy(node: dict, prod: dict) -> tuple[dict | None, str | None]:
        """One table, on a connection of its own: (the copy, None) or (None, a note)."""
        name = _name(node["unique_id"])
        source = sql.Identifier(prod["schema"], prod["alias"])
        target = sql.Identifier(node["schema"], node["alias"])
        connection = conn.connect()
        connection.autocommit = True  # `analyze` runs outside a transaction block
        try:
            with connection.cursor() as cursor:
                if _table_kind(cursor, prod["schema"], prod["alias"]) not in {"r", "p"}:
                    note = (
                        f"production has no table {prod['schema']}.{prod['alias']}: "
                        f"`{name}` built in full"
                    )
                    return None, note
                started = time.monotonic()
                try:
                    rows = _copy_table(cursor, source, target)
                except (psycopg2.Error, DataOpsError) as exc:
                    cursor.execute(sql.SQL("drop table if exists {}").format(target))
                    reason = str(exc).strip().splitlines()
                    note = (
                        f"copying `{name}` failed ({reason[0] if reason else 'no message'}): "
                        "built in full"
                    )
                    return None, note
        finally:
            connection.close()
        done = {
            "unique_id": node["unique_id"],
            "from": f"{prod['schema']}.{prod['alias']}",
            "to": f"{node['schema']}.{node['alias']}",
            "rows": rows,
            "seconds": round(time.monotonic() - started, 2),
        }
        say(
            f"build: copied {name} from production ({done['from']}, {rows:,} rows, "
            f"{done['seconds']} s): it builds incrementally"
        )
        return done, None

    sizes: dict[tuple[str, str], int] = {}
    connection = conn.connect()
    try:
        with connection, connection.cursor() as cursor:
            for schema in sorted({node["schema"] for node, _ in plan}):
                cursor.execute(
                    sql.SQL("create schema if not exists {}").format(sql.Identifier(schema))
                )
            cursor.execute(
                "select n.nspname, c.relname, pg_total_relation_size(c.oid) from pg_class as c"
                " join pg_namespace as n on n.oid = c.relnamespace where c.relkind in ('r', 'p')"
            )
            sizes.update(((schema, name), size) for schema, name, size in cursor.fetchall())
    finally:
        connection.close()
    # a copy is CPU-bound (the rows, then each index): two at a time, largest first, so the
    # two largest tables copy side by side
    plan.sort(key=lambda planned: -sizes.get((planned[1]["schema"], planned[1]["alias"]), 0))
    with ThreadPoolExecutor(max_workers=COPY_CONNECTIONS) as pool:
        outcomes = list(pool.map(lambda planned: copy(*planned), plan))
    copies = sorted((done for done, _ in outcomes if done), key=lambda done: done["unique_id"])
    notes.extend(note for _, note in outcomes if note)
    for note in notes:
        say(f"build: {note.replace('`', '')}")
    return copies, notes


def step_build(ws: Workspace, args: argparse.Namespace) -> bool:
    """Build what changed, and its descendants, into the pull request's own schema."""
    started = time.monotonic()
    conn = resolve()
    conn.connect().close()
    from dataops import observability

    observability.ensure_tables(conn)  # run-history sources some models read
    state = ws.read_json("state.json")
    has_state = (
        state.get("source") not in (None, "none") and (ws.prod_state / "manifest.json").exists()
    )
    shutil.rmtree(ws.target, ignore_errors=True)
    # A clean schema each run: relations left by an earlier push would otherwise shadow
    # production for the parents dbt defers to.
    if drop_schema(conn, ws.schema):
        say(f"build: dropped the previous {ws.schema}")
    env = dbt_runner.environment(conn, target="ci", target_path=ws.target, schema=ws.schema)
    if has_state:
        selection = ["--select", "state:modified+", "--state", str(ws.prod_state)]
        mode = "slim"
    else:
        annotate("warning", f"no production state: building EVERY model into {ws.schema}")
        selection = []
        mode = "full"
    changed: set[str] = set()
    dbt = dbt_runner.Session(env)
    try:
        if has_state:
            selected, changed = _slim_selection(dbt, ws)
        else:
            selected = _selected_relations(dbt, selection)
    except DataOpsError as exc:
        ws.write_json("build.json", {"mode": mode, "selected": [], "error": str(exc)})
        ws.record_step("build", "failed", time.monotonic() - started, str(exc))
        raise
    outside = sorted(
        f"{node['unique_id']} -> schema {node['schema']}"
        for node in selected
        if node["schema"] != ws.schema
    )
    if outside:
        message = (
            f"refusing to build: {len(outside)} node(s) would be written outside {ws.schema} "
            f"under --target ci ({'; '.join(outside[:3])}); schemas must come from "
            "macros/generate_schema_name.sql"
        )
        ws.write_json("build.json", {"mode": mode, "selected": [], "error": message})
        ws.record_step("build", "failed", time.monotonic() - started, message)
        raise DataOpsError(message)
    ids = sorted(node["unique_id"] for node in selected)
    say(f"build: {len(ids)} model(s)/seed(s)/snapshot(s) selected ({mode}) into {ws.schema}")
    copies: list[dict] = []
    notes: list[str] = []
    if has_state:
        copies, notes = copy_incremental_models(conn, env, ws, selected, changed)
    command = ["build", "--target", "ci", *selection]
    if has_state:
        command.append("--defer")
        # the tests of what the branch changes read every row (macros/tests.sql)
        dbt.env = {**env, "DATAOPS_CI_CHANGED_NODES": ",".join(sorted(changed))}
    returncode, _ = dbt.invoke(command)
    ws.write_json(
        "build.json",
        {
            "mode": mode,
            "selected": ids,
            "copied": copies,
            "copy_notes": notes,
            "command": f"dbt {shlex.join(command)}",
            "exit": returncode,
        },
    )
    ok = returncode == 0
    counts = _count_results(_run_results(ws))
    detail = (
        f"{counts['models_built']} model(s) built, {counts['tests_passed']} test(s) passed, "
        f"{counts['tests_failed']} failed"
    )
    ws.record_step("build", "ok" if ok else "failed", time.monotonic() - started, detail)
    return ok


# -- lint -------------------------------------------------------------------------------------


def _project_paths() -> dict[str, list[str]]:
    """Folders of dbt nodes and of macros, from dbt_project.yml."""
    import yaml

    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text()) or {}

    def folders(key: str, default: str) -> list[str]:
        return [str(p).strip("/") for p in project.get(key, [default])]

    return {
        "nodes": folders("model-paths", "models")
        + folders("analysis-paths", "analyses")
        + folders("test-paths", "tests")
        + folders("snapshot-paths", "snapshots"),
        "macros": folders("macro-paths", "macros"),
    }


def changed_sql(base: str | None) -> tuple[list[str], str]:
    """SQL files of dbt nodes this branch adds or changes against its base, and what was
    compared. Uncommitted and untracked files count, so a local run lints the work in hand.
    Generic tests and macros are Jinja macros, not nodes: the commit-time lint covers them."""
    paths = _project_paths()
    ref = base_ref(base)
    if ref is None:
        candidates = git("ls-files", "--cached", "--others", "--exclude-standard").splitlines()
        compared = "no base branch found: every SQL file"
    else:
        merge_base = git("merge-base", ref, "HEAD", check=False) or ref
        candidates = git(
            "diff", "--name-only", "--diff-filter=ACMRT", merge_base, "--"
        ).splitlines()
        candidates += git("ls-files", "--others", "--exclude-standard").splitlines()
        compared = f"changes since {ref} ({merge_base[:7]})"

    def is_node_sql(path: str) -> bool:
        parts = Path(path).parts
        return (
            path.endswith(".sql")
            and (REPO_ROOT / path).is_file()
            and any(path.startswith(f"{folder}/") for folder in paths["nodes"])
            and not any(path.startswith(f"{folder}/") for folder in paths["macros"])
            and "generic" not in parts
        )

    return sorted({p for p in candidates if is_node_sql(p)}), compared


def step_lint(ws: Workspace, args: argparse.Namespace) -> bool:
    """sqlfluff with the dbt templater (every ref and macro compiled by dbt) on changed SQL."""
    started = time.monotonic()
    files, compared = changed_sql(args.base)
    if not files:
        ws.write_json("lint.json", {"compared": compared, "files": [], "violations": []})
        ws.record_step("lint", "ok", time.monotonic() - started, "no SQL changed")
        say(f"lint: no SQL changed ({compared})")
        return True
    say(f"lint: {len(files)} changed SQL file(s), dbt templater ({compared}) ...")
    conn = resolve()
    env = dbt_runner.environment(conn, target="prod", target_path=ws.path("lint-target"))
    result = subprocess.run(
        [
            str(BIN / "sqlfluff"),
            "lint",
            "--templater",
            "dbt",
            "--format",
            "json",
            "--nofail",
            *files,
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = f"sqlfluff failed: {lines[-1] if lines else 'no output'}"
        ws.write_json("lint.json", {"compared": compared, "files": files, "error": detail})
        ws.record_step("lint", "failed", time.monotonic() - started, detail)
        say(f"lint: {detail}")
        return False
    violations = [
        {
            "file": report["filepath"],
            "line": item.get("start_line_no"),
            "code": item.get("code"),
            "description": item.get("description"),
        }
        for report in reports
        for item in report.get("violations", [])
        if not item.get("warning")
    ]
    for item in violations:
        print(f"{item['file']}:{item['line']}: {item['code']} {item['description']}", flush=True)
    ws.write_json("lint.json", {"compared": compared, "files": files, "violations": violations})
    ok = not violations
    detail = f"{len(files)} file(s), " + ("clean" if ok else f"{len(violations)} violation(s)")
    ws.record_step("lint", "ok" if ok else "failed", time.monotonic() - started, detail)
    say(f"lint: {detail}")
    return ok


# -- pytest -----------------------------------------------------------------------------------


def step_pytest(ws: Workspace, args: argparse.Namespace) -> bool:
    """The Python tests (arguments from --pytest-args), counted from their JUnit report."""
    started = time.monotonic()
    report = ws.path("pytest.xml")
    report.unlink(missing_ok=True)
    extra = shlex.split(args.pytest_args or "")
    say(f"pytest {' '.join(extra)} ...")
    sys.stdout.flush()
    code = subprocess.call(
        [sys.executable, "-m", "pytest", f"--junitxml={report}", *extra],
        cwd=REPO_ROOT,
        stdout=sys.stderr,
    )
    counts = _pytest_counts(report)
    detail = (
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        if counts
        else f"pytest exited {code} without a report"
    )
    ws.record_step("pytest", "ok" if code == 0 else "failed", time.monotonic() - started, detail)
    return code == 0


def _pytest_counts(report: Path) -> dict[str, int]:
    if not report.exists():
        return {}
    root = ElementTree.parse(report).getroot()  # noqa: S314 - pytest's own report
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    failed = total["failures"] + total["errors"]
    return {
        "passed": total["tests"] - failed - total["skipped"],
        "failed": failed,
        "skipped": total["skipped"],
    }


# -- summary ----------------------------------------------------------------------------------


def _run_results(ws: Workspace) -> list[dict]:
    return _run_results_file(ws).get("results", [])


def _run_results_file(ws: Workspace) -> dict:
    path = ws.target / "run_results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _kind(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]


def _count_results(results: Iterable[dict]) -> dict[str, int]:
    counts = dict.fromkeys(
        [
            "models_built",
            "models_failed",
            "models_skipped",
            "seeds_built",
            "snapshots_built",
            "tests_passed",
            "tests_failed",
            "tests_warned",
            "tests_skipped",
            "unit_tests_passed",
            "unit_tests_failed",
            "unit_tests_skipped",
        ],
        0,
    )
    for result in results:
        kind, status = _kind(result["unique_id"]), result["status"]
        if kind in {"model", "seed", "snapshot"}:
            if status == "success":
                counts[f"{kind}s_built"] += 1
            elif kind == "model":
                counts["models_failed" if status == "error" else "models_skipped"] += 1
        elif kind == "test":
            key = {"pass": "passed", "warn": "warned", "skipped": "skipped"}.get(status, "failed")
            counts[f"tests_{key}"] += 1
        elif kind == "unit_test":
            key = {"pass": "passed", "skipped": "skipped"}.get(status, "failed")
            counts[f"unit_tests_{key}"] += 1
    return counts


def _name(unique_id: str) -> str:
    """`stg_shop__orders` for a model; `fct_orders::test_name` for a unit test."""
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) >= 4:
        return f"{parts[2]}::{parts[3]}"
    return parts[2] if len(parts) >= 3 else unique_id


def deferred_parents(ws: Workspace) -> list[str]:
    """Parents of the models built that were not built: dbt read them from production."""
    manifest_path = ws.target / "manifest.json"
    if not manifest_path.exists():
        return []
    nodes = json.loads(manifest_path.read_text()).get("nodes", {})
    built = {r["unique_id"] for r in _run_results(ws) if _kind(r["unique_id"]) == "model"}
    parents = {
        parent
        for unique_id in built
        for parent in nodes.get(unique_id, {}).get("depends_on", {}).get("nodes", [])
        if _kind(parent) in {"model", "seed", "snapshot"}
    }
    return sorted(parents - built)


def summary_markdown(ws: Workspace) -> str:
    """The pull request's CI in one page: steps, what dbt built, failures, slowest nodes."""
    steps = ws.read_json("steps.json")
    state = ws.read_json("state.json")
    build = ws.read_json("build.json")
    results = _run_results(ws)
    counts = _count_results(results)
    icon = {"ok": "✅", "failed": "❌", "warning": "⚠️", "skipped": "–"}
    lines = [COMMENT_MARKER, f"## Slim CI · `{ws.schema}`", ""]
    if state.get("source") == "none":
        lines += [
            "> [!WARNING]",
            "> No production state was found, so this run built **every** model (a full build),",
            "> not only what changed. " + "; ".join(state.get("notes", [])),
            "",
        ]
    lines += ["| step | result | time |", "|---|---|---|"]
    for step in STEPS[:-1]:
        entry = steps.get(step)
        if entry is None:
            continue
        detail = entry["detail"].replace("|", "\\|")
        lines.append(
            f"| {step} | {icon.get(entry['status'], '')} {detail} | {entry['seconds']} s |"
        )
    lines.append("")
    if build.get("error"):
        lines += [f"**dbt build** stopped before building anything: {build['error']}", ""]
    elif build:
        mode = (
            "`state:modified+`, unchanged parents deferred to production"
            if build.get("mode") == "slim"
            else "full build"
        )
        elapsed = _run_results_file(ws).get("elapsed_time")
        took = f" in {elapsed:.1f} s" if results and elapsed else ""
        lines.append(f"**dbt build** ({mode}){took}:")
        lines.append("")
        lines += [
            "| | passed / built | failed | skipped |",
            "|---|---|---|---|",
            f"| models | {counts['models_built']} | {counts['models_failed']} "
            f"| {counts['models_skipped']} |",
            f"| data tests | {counts['tests_passed']} | {counts['tests_failed']} "
            f"| {counts['tests_skipped']} |",
            f"| unit tests | {counts['unit_tests_passed']} | {counts['unit_tests_failed']} "
            f"| {counts['unit_tests_skipped']} |",
        ]
        if counts["seeds_built"] or counts["snapshots_built"]:
            lines.append(
                f"| seeds / snapshots | {counts['seeds_built']} / {counts['snapshots_built']} | | |"
            )
        lines.append("")
        built = sorted(
            (r for r in results if _kind(r["unique_id"]) in {"model", "seed", "snapshot"}),
            key=lambda r: -float(r.get("execution_time") or 0),
        )
        if built:
            lines.append(
                "Built: "
                + ", ".join(
                    f"`{_name(r['unique_id'])}` {float(r.get('execution_time') or 0):.2f} s"
                    + ("" if r["status"] == "success" else f" ({r['status']})")
                    for r in built
                )
            )
            lines.append("")
        if build.get("copied"):
            lines.append(
                "Copied from production, then built incrementally: "
                + ", ".join(
                    f"`{_name(copy['unique_id'])}` ({copy['rows']:,} rows, {copy['seconds']} s)"
                    for copy in build["copied"]
                )
            )
            lines.append("")
        if build.get("copy_notes"):
            lines.append("Not copied: " + "; ".join(build["copy_notes"]))
            lines.append("")
        deferred = deferred_parents(ws)
        if deferred and build.get("mode") == "slim":
            lines.append("Read from production: " + ", ".join(f"`{_name(d)}`" for d in deferred))
            lines.append("")
        if not results and build.get("mode") == "slim" and build.get("exit") == 0:
            lines += ["Nothing changed that dbt builds.", ""]
    failures = [r for r in results if r["status"] in {"error", "fail"}]
    for result in failures[:10]:
        message = (result.get("message") or "").strip()
        message = "\n".join(
            line for line in message.splitlines() if not line.strip().startswith(">")
        )
        lines += [
            "<details><summary>❌ "
            f"{_kind(result['unique_id']).replace('_', ' ')} <code>{_name(result['unique_id'])}"
            f"</code>: {result['status']}</summary>",
            "",
            "```",
            message.strip()[:3000],
            "```",
            "</details>",
            "",
        ]
    lint = ws.read_json("lint.json")
    if lint.get("violations"):
        lines += ["**Lint** (sqlfluff, dbt templater):", ""]
        lines += [
            f"- `{v['file']}` line {v['line']}: {v['code']} {v['description']}"
            for v in lint["violations"][:30]
        ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def step_summary(ws: Workspace, args: argparse.Namespace) -> bool:
    """Print the summary, keep it for the comment, and add it to the GitHub job summary."""
    text = summary_markdown(ws)
    ws.root.mkdir(parents=True, exist_ok=True)
    ws.path("summary.md").write_text(text)
    print(text, flush=True)
    job_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if job_summary:
        with open(job_summary, "a") as handle:
            handle.write(text + "\n")
    return True


# -- commands ---------------------------------------------------------------------------------

_STEP_FUNCTIONS = {
    "state": step_state,
    "build": step_build,
    "lint": step_lint,
    "pytest": step_pytest,
    "summary": step_summary,
}


def _workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.for_pr(args.pr, Path(args.workdir) if args.workdir else None)


def cmd_run(args: argparse.Namespace) -> int:
    """Every step in order; a failing step does not stop the later ones, so the summary shows
    everything; the exit is non-zero if any step failed."""
    skip = {s.strip() for value in args.skip for s in value.split(",") if s.strip()}
    unknown = skip - set(STEPS)
    if unknown:
        raise DataOpsError(
            f"--skip: unknown step {', '.join(sorted(unknown))}; steps: {', '.join(STEPS)}"
        )
    ws = _workspace(args)
    ws.clear(keep_state="state" in skip)
    failed: list[str] = []
    for step in STEPS:
        if step in skip:
            ran_before = step == "state" and ws.path("state.json").exists()
            if step != "summary" and not ran_before:
                ws.record_step(step, "skipped", 0, f"not run here (--skip {step})")
            continue
        say(f"== ci {step}")
        try:
            ok = _STEP_FUNCTIONS[step](ws, args)
        except DataOpsError as exc:
            say(f"{step}: {exc}")
            steps = ws.read_json("steps.json")
            if step not in steps:
                ws.record_step(step, "failed", 0, str(exc))
            ok = False
        if not ok:
            failed.append(step)
    if failed:
        say(f"slim CI failed: {', '.join(failed)}")
        return 1
    say("slim CI passed")
    return 0


def _single_step(step: str):
    def command(args: argparse.Namespace) -> int:
        return 0 if _STEP_FUNCTIONS[step](_workspace(args), args) else 1

    return command


def cmd_drop_schema(args: argparse.Namespace) -> int:
    ws = _workspace(args)
    conn = resolve()
    existed = drop_schema(conn, ws.schema)
    say(f"{ws.schema} {'dropped' if existed else 'did not exist'}")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    """Post the summary on the pull request, or update the comment an earlier run posted.

    A token that may not comment (a pull request from a fork) is not an error: the job
    summary carries the same text.
    """
    ws = _workspace(args)
    body = ws.path("summary.md")
    if not body.exists():
        raise DataOpsError(f"no summary at {body}: run `dataops ci summary --pr {ws.pr}` first")
    if not ws.pr.isdigit():
        raise DataOpsError(f"--pr must be a pull request number to comment, got {ws.pr!r}")
    repo = os.environ.get("GITHUB_REPOSITORY")
    if not repo or not shutil.which("gh"):
        raise DataOpsError("commenting needs GITHUB_REPOSITORY, GH_TOKEN and the `gh` CLI")
    existing = subprocess.run(
        [
            "gh",
            "api",
            "--paginate",
            f"repos/{repo}/issues/{ws.pr}/comments",
            "--jq",
            f'.[] | select(.body | startswith("{COMMENT_MARKER}")) | .id',
        ],
        capture_output=True,
        text=True,
    )
    ids = existing.stdout.split()
    if ids:
        command = ["gh", "api", "-X", "PATCH", f"repos/{repo}/issues/comments/{ids[-1]}"]
    else:
        command = ["gh", "api", "-X", "POST", f"repos/{repo}/issues/{ws.pr}/comments"]
    result = subprocess.run([*command, "-F", f"body=@{body}"], capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        annotate(
            "warning", f"could not comment on #{ws.pr}: {reason[-1] if reason else 'gh failed'}"
        )
        return 0
    say(f"summary {'updated on' if ids else 'posted to'} #{ws.pr}")
    return 0


# -- deploy -----------------------------------------------------------------------------------


def cmd_deploy(args: argparse.Namespace) -> int:
    """Production: ingest, source freshness, dbt build, docs; publish what slim CI needs.

    The same recorded steps as `dataops run` (without demo data). Stale sources stop the
    deploy before the build, so production keeps its last good state, unless --keep-going.
    """
    for name in ("DBT_SCHEMA", "DBT_TARGET"):  # production is the profile's default target
        os.environ.pop(name, None)
    conn = resolve()
    conn.connect().close()
    target = dbt_target_dir()
    out = Path(args.out).resolve() if args.out else None
    if out:
        for folder in ("prod-state", "docs"):
            shutil.rmtree(out / folder, ignore_errors=True)
            (out / folder).mkdir(parents=True)

    def publish(folder: str, *names: str) -> None:
        for name in names if out else ():
            if (target / name).exists():
                published = "index.html" if name == "static_index.html" else name
                shutil.copy2(target / name, out / folder / published)

    def step(name: str, action: Callable[[], object], *published: str) -> None:
        say(f"== deploy: {name}")
        try:
            action()
        except DataOpsError as exc:
            if not args.keep_going:
                raise
            annotate("warning", f"{name}: {exc}; going on (--keep-going)")
        finally:
            publish(*published)

    if not args.skip_ingest:
        step("ingest", lambda: pipeline.ingest(settings=conn), "prod-state")
    step(
        "source freshness",
        lambda: pipeline.freshness(settings=conn),
        "prod-state",
        "sources.json",
    )
    step(
        "dbt build",
        lambda: pipeline.transform(settings=conn),
        "prod-state",
        "manifest.json",
        "run_results.json",
    )
    step(
        "dbt docs generate",
        lambda: pipeline.docs_generate(static=True, settings=conn),
        "docs",
        "static_index.html",
    )
    run_results = (out / "prod-state" / "run_results.json") if out else None
    if run_results and run_results.exists():
        counts = _count_results(json.loads(run_results.read_text())["results"])
        text = (
            f"## Deploy\n\nModels built: {counts['models_built']}, failed: "
            f"{counts['models_failed']}; data tests passed: {counts['tests_passed']}, failed: "
            f"{counts['tests_failed']}; unit tests passed: {counts['unit_tests_passed']}.\n"
        )
        _job_summary(text)
        print(text, flush=True)
        say(f"published {out / 'prod-state'} and {out / 'docs'}")
    return 0


def _job_summary(text: str) -> None:
    job_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if job_summary:
        with open(job_summary, "a") as handle:
            handle.write(text + "\n")


# -- commit-time checks -----------------------------------------------------------------------

ALLOW_PRAGMA = "secrets: allow"

# Each pattern is written so that this file does not match itself.
_TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {
    "private key": re.compile(r"-{5}BEGIN(?: [A-Z0-9]+)* PRIVATE KEY(?: BLOCK)?-{5}"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "Stripe live key": re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}\b"),
}
_URL_PASSWORD = re.compile(
    r"\b[a-z][a-z0-9+.\-]*://(?P<user>[^\s:/@'\"]+):(?P<password>[^\s@/'\"]+)@(?P<host>[^\s:/'\"?#]+)",
    re.IGNORECASE,
)
_ASSIGNED_SECRET = re.compile(
    r"""^\s*(?:export\s+)?["']?[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api_?key)"""
    r"""["']?\s*[:=]\s*["']?(?P<value>[^\s"'#]+)""",
    re.IGNORECASE,
)
# files of settings, where `token = "..."` is a value rather than code
_CONFIG_SUFFIXES = (".toml", ".ini", ".cfg", ".conf", ".env", ".properties", ".yml", ".yaml")
_PLACEHOLDERS = {"password", "passwd", "pass", "pwd", "secret", "changeme", "token", "none", "null"}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host"}  # noqa: S104 - a name, not a bind
_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", "example.com", "example.org")


def _placeholder(value: str) -> bool:
    """Values that stand for a secret rather than being one: `...`, `${VAR}`, `<token>`,
    `****`, `password`."""
    stripped = value.strip().strip("\"'")
    return (
        stripped.lower() in _PLACEHOLDERS
        or stripped.startswith(("$", "{", "<", "%", "..."))
        or set(stripped) <= set("*xX.-_")
    )


def _example_host(host: str) -> bool:
    host = host.lower()
    return host in _LOCAL_HOSTS or host.endswith(_RESERVED_SUFFIXES)


def find_secrets(text: str, filename: str = "") -> list[tuple[int, str]]:
    """(line number, kind) of every likely secret in a text: private keys, well-known token
    formats, a password inside a URL, and in config files a value of 8 characters or more
    given to a key named like a password or token. Placeholders, local and reserved example
    hosts (RFC 2606), and lines marked `secrets: allow` pass."""
    found: list[tuple[int, str]] = []
    name = Path(filename).name
    is_config = Path(filename).suffix in _CONFIG_SUFFIXES or name.startswith(".env")
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW_PRAGMA in line:
            continue
        found += [(number, kind) for kind, rx in _TOKEN_PATTERNS.items() if rx.search(line)]
        found += [
            (number, "password in a URL")
            for match in _URL_PASSWORD.finditer(line)
            if not (_example_host(match["host"]) or _placeholder(match["password"]))
        ]
        assigned = _ASSIGNED_SECRET.match(line) if is_config else None
        if assigned and len(assigned["value"]) >= 8 and not _placeholder(assigned["value"]):
            found.append((number, f"secret value in a {Path(filename).suffix or name} file"))
    return found


def cmd_secrets(args: argparse.Namespace) -> int:
    """Scan the files given (pre-commit passes the staged ones), else every staged file."""
    files = args.files or git("diff", "--cached", "--name-only", "--diff-filter=ACMR").splitlines()
    problems = []
    for name in files:
        path = Path(name)
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        for number, kind in find_secrets(data.decode("utf-8", errors="replace"), name):
            problems.append(f"{name}:{number}: {kind}")
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"error: {len(problems)} likely secret(s): move them to the environment or "
            f".dlt/secrets.toml (gitignored); if a line is no secret, add `{ALLOW_PRAGMA}` to it",
            file=sys.stderr,
        )
        return 1
    return 0


def _unique_key_loader():
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """A SafeLoader that refuses a mapping with the same key twice (YAML keeps the last)."""

    def construct_mapping(loader, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping
    )
    return UniqueKeyLoader


def cmd_check_yaml(args: argparse.Namespace) -> int:
    """Every file parses as YAML and no mapping repeats a key (dbt would keep the last one)."""
    import yaml

    loader = _unique_key_loader()
    problems = 0
    for name in args.files:
        try:
            list(yaml.load_all(Path(name).read_text(), Loader=loader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name}:{mark.line + 1}" if mark else name
            print(f"{where}: {getattr(exc, 'problem', None) or exc}")
            problems += 1
    return 1 if problems else 0


# -- workflow hardening -----------------------------------------------------------------------

_PINNED = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def _events(workflow: dict) -> set[str]:
    # YAML 1.1 reads the key `on` as the boolean true
    triggers = workflow.get("on", workflow.get(True))
    if isinstance(triggers, str):
        return {triggers}
    if isinstance(triggers, list):
        return set(triggers)
    return set(triggers or {})


def workflow_problems(workflow: dict) -> list[str]:
    """The hardening rules a workflow breaks: least permissions, actions pinned to a commit,
    no pull_request_target, superseded runs cancelled, checkout without stored credentials."""
    problems: list[str] = []
    events = _events(workflow)
    if "pull_request_target" in events:
        problems.append("triggers on pull_request_target (runs fork code with a write token)")
    permissions = workflow.get("permissions")
    if permissions is None:
        problems.append("no top-level permissions: set `permissions: {}` and widen per job")
    elif not isinstance(permissions, dict) or any(v != "read" for v in permissions.values()):
        problems.append(f"top-level permissions grant more than read: {permissions!r}")
    concurrency = workflow.get("concurrency")
    if not isinstance(concurrency, dict) or not concurrency.get("group"):
        problems.append("no concurrency group")
    elif "pull_request" in events and concurrency.get("cancel-in-progress") is not True:
        problems.append("pull request runs do not cancel superseded runs (cancel-in-progress)")
    for job_id, job in (workflow.get("jobs") or {}).items():
        job_permissions = job.get("permissions")
        if isinstance(job_permissions, str) and job_permissions.startswith("write"):
            problems.append(f"job {job_id}: permissions {job_permissions}")
        uses_list = [("job", job.get("uses"), {})] if job.get("uses") else []
        uses_list += [
            (f"step {i + 1}", step.get("uses"), step.get("with") or {})
            for i, step in enumerate(job.get("steps") or [])
            if step.get("uses")
        ]
        for where, uses, inputs in uses_list:
            if uses.startswith("./") or re.match(r"^docker://.+@sha256:[0-9a-f]{64}$", uses):
                continue
            if not _PINNED.match(uses):
                problems.append(f"job {job_id} {where}: {uses} is not pinned to a full commit SHA")
            is_checkout = uses.split("@")[0] == "actions/checkout"
            if is_checkout and str(inputs.get("persist-credentials")).lower() != "false":
                problems.append(
                    f"job {job_id} {where}: checkout without persist-credentials: false"
                )
    return problems


def cmd_check_workflows(args: argparse.Namespace) -> int:
    import yaml

    paths = [Path(p) for p in args.paths] or sorted(
        (REPO_ROOT / ".github" / "workflows").glob("*.y*ml")
    )
    problems = [
        f"{path}: {problem}"
        for path in paths
        for problem in workflow_problems(yaml.safe_load(path.read_text()) or {})
    ]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


# -- parser -----------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    """Add `dataops ci ...` to the CLI."""
    ci = sub.add_parser(
        "ci", help="slim CI, deploy and commit-time checks (see docs/pull-requests.md)"
    )
    steps = ci.add_subparsers(dest="ci_command", required=True, metavar="STEP")

    def workspace_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--pr", help="pull request number: builds into ci_pr_<n> (DATAOPS_PR; local)"
        )
        p.add_argument("--workdir", help="folder for this run's files (<state dir>/ci/pr_<n>)")

    def state_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--prod-state", help="folder with production's manifest.json (DATAOPS_PROD_STATE)"
        )
        p.add_argument("--base", help="base branch (DATAOPS_BASE_REF; origin/main, main)")
        p.add_argument(
            "--prod-branch",
            default=os.environ.get("DATAOPS_PROD_BRANCH", "main"),
            help="branch whose deploy runs publish production state (main)",
        )
        p.add_argument(
            "--no-artifact",
            action="store_true",
            help="skip the deploy artifact (a demo production built here from other data)",
        )

    run = steps.add_parser("run", help="state, build, lint, pytest, summary")
    workspace_options(run)
    state_options(run)
    run.add_argument(
        "--skip", action="append", default=[], help=f"steps to leave out, of {', '.join(STEPS)}"
    )
    run.add_argument("--pytest-args", default="", help="arguments for pytest, one string")
    run.set_defaults(func=cmd_run)

    for step, text in [
        ("state", "find production state (deploy artifact, base-branch parse, or none)"),
        ("build", "dbt build --select state:modified+ --defer into ci_pr_<n>"),
        ("lint", "sqlfluff (dbt templater) on the SQL this branch changed"),
        ("pytest", "the Python tests"),
        ("summary", "print the summary; add it to the GitHub job summary"),
    ]:
        parser = steps.add_parser(step, help=text)
        workspace_options(parser)
        state_options(parser)
        parser.add_argument("--pytest-args", default="", help="arguments for pytest, one string")
        parser.set_defaults(func=_single_step(step))

    comment = steps.add_parser("comment", help="post the summary on the pull request (gh)")
    workspace_options(comment)
    comment.set_defaults(func=cmd_comment)

    drop = steps.add_parser("drop-schema", help="drop the pull request's ci_pr_<n> schema")
    workspace_options(drop)
    drop.set_defaults(func=cmd_drop_schema)

    deploy = steps.add_parser("deploy", help="ingest, freshness, dbt build (prod), docs; publish")
    deploy.add_argument("--out", help="publish prod-state/ and docs/ into this folder")
    deploy.add_argument("--skip-ingest", action="store_true", help="build what is loaded")
    deploy.add_argument(
        "--keep-going", action="store_true", help="do not stop at stale sources or failed nodes"
    )
    deploy.set_defaults(func=cmd_deploy)

    secrets = steps.add_parser("secrets", help="refuse private keys, tokens, passwords in URLs")
    secrets.add_argument("files", nargs="*", help="files to scan (default: the staged files)")
    secrets.set_defaults(func=cmd_secrets)

    check_yaml = steps.add_parser("check-yaml", help="YAML parses, no duplicate keys")
    check_yaml.add_argument("files", nargs="+")
    check_yaml.set_defaults(func=cmd_check_yaml)

    workflows = steps.add_parser("check-workflows", help="the workflow hardening rules")
    workflows.add_argument("paths", nargs="*", help="workflow files (.github/workflows/*.yml)")
    workflows.set_defaults(func=cmd_check_workflows)
