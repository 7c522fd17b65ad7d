"""B5: slim CI for a one-model change against a full build, and the commit-time lint.

Both builds run the same command a pull request runs (`dataops ci build`) into a pull request
schema of the benchmark's warehouse, whose production the suite has just built: the anchor
without production state (the full-build fallback), the figure with production's manifest
after one staging model changed (`state:modified+ --defer`; the unchanged incremental models
downstream are copied from production first and extended, as slim CI does). The lint figure
is the pre-commit hook's command on that one model (jinja templater), against a 3-second
budget.

Everything runs in a throwaway git copy of the project, so the change never touches the
repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.project import copy_repository, git

from bench.common import BIN, FIRST_BUILD_ANCHOR, Measurement, figure, measure, models_built, settle
from dataops.core.warehouse import WarehouseSettings

TARGET = 0.25
LINT_TARGET_S = 3.0
CHANGED_MODEL = "models/staging/shop/stg_shop__customers.sql"
_IN_DIRECTORY = 'cd "$0" && exec "$@"'


def _env(project: Path, settings: WarehouseSettings, state: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PG", "DATABASE_URL", "DBT_", "GITHUB_", "DATAOPS_"))
    }
    env.update(DATABASE_URL=settings.url(), DATAOPS_STATE_DIR=str(state), PYTHONPATH=str(project))
    return env


def _dataops(project: Path, env: dict[str, str], *args: str) -> Measurement:
    """`dataops ARGS` with the copy's own code, timed."""
    command = [sys.executable, "-m", "dataops.cli", *args]
    return measure(["sh", "-c", _IN_DIRECTORY, str(project), *command], env)


def _copied(state: Path, pr: str) -> list[dict]:
    """The incremental models slim CI copied from production before building them."""
    build = state / "ci" / f"pr_{pr}" / "build.json"
    return json.loads(build.read_text()).get("copied", []) if build.exists() else []


def run(
    workdir: Path,
    settings: WarehouseSettings,
    full: Measurement | None = None,
    full_models: int | None = None,
) -> dict:
    """{"B5": ...}: slim ÷ full build seconds, with the commit-time lint seconds beside them.

    With `full` (and `full_models`, the models it built), the anchor is that build, the suite's
    first full build of production, instead of a full build in a pull request schema: at 10M
    orders that is ~20 minutes and a second copy of every mart on disk."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    project = copy_repository(workdir / "project", link_venv=False, message="bench")
    state = workdir / "state"
    env = _env(project, settings, state)
    try:
        # production's manifest: a parse of main, as slim CI's fallback would make it
        _dataops(project, env, "ci", "state", "--pr", "bench_prod", "--base", "main")
        prod_state = state / "ci" / "pr_bench_prod" / "prod-state"
        anchor_is_build = full is not None
        if full is None:
            settle(settings)
            full = _dataops(project, env, "ci", "build", "--pr", "bench_full")
            full_models = models_built(state / "ci" / "pr_bench_full" / "target")

        model = project / CHANGED_MODEL
        model.write_text("-- reviewed: one row per customer\n" + model.read_text())
        git(project, "commit", "--quiet", "-am", "change", identity="bench")
        _dataops(project, env, "ci", "state", "--pr", "bench_slim", "--prod-state", str(prod_state))
        settle(settings)
        slim = _dataops(project, env, "ci", "build", "--pr", "bench_slim")

        lint = measure(
            ["sh", "-c", _IN_DIRECTORY, str(project), str(BIN / "sqlfluff"), "lint", CHANGED_MODEL],
            env,
        )
        extra = {
            "models_slim": models_built(state / "ci" / "pr_bench_slim" / "target"),
            "models_full": full_models,
            "models_copied": len(_copied(state, "bench_slim")),
            "copy_s": round(sum(copy["seconds"] for copy in _copied(state, "bench_slim")), 3),
            "lint_s": round(lint.seconds, 3),
            "lint_target_s": LINT_TARGET_S,
        }
        result = figure(slim, full, TARGET, **extra)
        if anchor_is_build:
            result["anchor"] = FIRST_BUILD_ANCHOR
        return {"B5": result}
    finally:
        for pr in ("bench_full", "bench_slim"):
            subprocess.run(
                [sys.executable, "-m", "dataops.cli", "ci", "drop-schema", "--pr", pr],
                cwd=project,
                env=env,
                capture_output=True,
                check=False,
            )
