"""The lint step: sqlfluff with the dbt templater (every ref and macro compiled by dbt
itself) on the SQL files of dbt nodes the branch adds or changes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from dataops import dbt as dbt_runner
from dataops.ci.repository import base_ref, git
from dataops.ci.workspace import Workspace
from dataops.core.console import say
from dataops.core.errors import last_line
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import resolve

BIN = Path(sys.executable).parent


def project_paths() -> dict[str, list[str]]:
    """Folders of dbt nodes and of macros, from dbt_project.yml."""
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


def _candidates(base: str | None) -> tuple[list[str], str]:
    """Files the branch adds or changes against its base (uncommitted and untracked ones
    too), and what was compared; every file when no base branch is found."""
    ref = base_ref(base)
    if ref is None:
        files = git("ls-files", "--cached", "--others", "--exclude-standard").splitlines()
        return files, "no base branch found: every SQL file"
    merge_base = git("merge-base", ref, "HEAD", check=False) or ref
    files = git("diff", "--name-only", "--diff-filter=ACMRT", merge_base, "--").splitlines()
    files += git("ls-files", "--others", "--exclude-standard").splitlines()
    return files, f"changes since {ref} ({merge_base[:7]})"


def changed_sql(base: str | None) -> tuple[list[str], str]:
    """SQL files of dbt nodes this branch adds or changes against its base, and what was
    compared. Uncommitted and untracked files count, so a local run lints the work in hand.
    Generic tests and macros are Jinja macros, not nodes: the commit-time lint covers them."""
    paths = project_paths()
    candidates, compared = _candidates(base)

    def is_node_sql(path: str) -> bool:
        return (
            path.endswith(".sql")
            and (REPO_ROOT / path).is_file()
            and any(path.startswith(f"{folder}/") for folder in paths["nodes"])
            and not any(path.startswith(f"{folder}/") for folder in paths["macros"])
            and "generic" not in Path(path).parts
        )

    return sorted({p for p in candidates if is_node_sql(p)}), compared


def sqlfluff(ws: Workspace, files: list[str]) -> list[dict] | str:
    """sqlfluff's dbt templater on these files: its errors (warnings left out), or why it
    failed to report."""
    env = dbt_runner.environment(resolve(), target="prod", target_path=ws.path("lint-target"))
    command = [str(BIN / "sqlfluff"), "lint", "--templater", "dbt", "--format", "json"]
    result = subprocess.run(
        [*command, "--nofail", *files],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        return f"sqlfluff failed: {last_line(result.stderr or result.stdout)}"
    return [
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


def step_lint(ws: Workspace, *, base: str | None = None) -> bool:
    """Lint the changed SQL; each violation printed as `file:line: CODE description`."""
    started = time.monotonic()
    files, compared = changed_sql(base)
    if not files:
        ws.write_json("lint.json", {"compared": compared, "files": [], "violations": []})
        ws.record_step("lint", "ok", time.monotonic() - started, "no SQL changed")
        say(f"lint: no SQL changed ({compared})")
        return True
    say(f"lint: {len(files)} changed SQL file(s), dbt templater ({compared}) ...")
    violations = sqlfluff(ws, files)
    if isinstance(violations, str):
        ws.write_json("lint.json", {"compared": compared, "files": files, "error": violations})
        ws.record_step("lint", "failed", time.monotonic() - started, violations)
        say(f"lint: {violations}")
        return False
    for item in violations:
        print(f"{item['file']}:{item['line']}: {item['code']} {item['description']}", flush=True)
    ws.write_json("lint.json", {"compared": compared, "files": files, "violations": violations})
    ok = not violations
    detail = f"{len(files)} file(s), " + ("clean" if ok else f"{len(violations)} violation(s)")
    ws.record_step("lint", "ok" if ok else "failed", time.monotonic() - started, detail)
    say(f"lint: {detail}")
    return ok
