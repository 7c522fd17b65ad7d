"""Production state: the manifest of what production runs, which slim CI compares against
(`state:modified+`) and defers to (`--defer`).

Found by a fallback chain, first hit wins:

1. a folder named by --prod-state or DATAOPS_PROD_STATE (a downloaded deploy artifact);
2. in GitHub Actions, the artifact of the latest successful deploy run on the production branch;
3. `dbt parse --target prod` of the base branch, checked out in a throwaway git worktree;
4. nothing: the build falls back to a full build, with a warning.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from dataops import dbt as dbt_runner
from dataops.ci.github import annotate, download_deploy_artifact
from dataops.ci.repository import base_ref, git
from dataops.ci.workspace import Workspace
from dataops.core.console import say
from dataops.core.errors import DataOpsError, last_line
from dataops.core.settings import WarehouseSettings
from dataops.core.warehouse import resolve


def parse_base_in_worktree(
    ref: str, dest: Path, settings: WarehouseSettings, notes: list[str]
) -> bool:
    """`dbt parse --target prod` of `ref` in a throwaway git worktree, its manifest copied to
    `dest`; False with a note if it fails."""
    scratch = Path(tempfile.mkdtemp(prefix="dataops-base-"))
    worktree, target = scratch / "project", scratch / "target"
    try:
        git("worktree", "add", "--detach", "--quiet", str(worktree), ref)
        env = dbt_runner.environment(
            settings, target="prod", target_path=target, profiles_dir=worktree
        )
        say(f"state: dbt parse of {ref} in a git worktree ...")
        result = dbt_runner.run(
            ["parse", "--project-dir", str(worktree), "--target", "prod", "--quiet"],
            env,
            cwd=worktree,
            capture=True,
        )
        if result.returncode != 0 or not (target / "manifest.json").exists():
            output = (result.stdout + result.stderr).strip()
            reason = f" ({last_line(output)})" if output else ""
            notes.append(f"base-branch parse: dbt parse of {ref} failed{reason}")
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


def _from_folder(ws: Workspace, folder: str, notes: list[str]) -> dict | None:
    """Every JSON artifact of a folder holding production's manifest.json."""
    source = Path(folder).expanduser()
    if not (source / "manifest.json").is_file():
        notes.append(f"production state folder {folder} has no manifest.json")
        return None
    ws.prod_state.mkdir(parents=True)
    for artifact in source.glob("*.json"):
        shutil.copy2(artifact, ws.prod_state / artifact.name)
    return {"source": "folder", "detail": f"production manifest from {folder}"}


def resolve_state(
    ws: Workspace,
    *,
    given: str | None,
    base: str | None,
    prod_branch: str,
    settings: WarehouseSettings,
    artifact: bool = True,
) -> dict:
    """Find production's manifest by the fallback chain (see the module's docstring) and copy
    it into the workspace: where it came from, and notes on what was tried before."""
    notes: list[str] = []
    shutil.rmtree(ws.prod_state, ignore_errors=True)
    folder = given or os.environ.get("DATAOPS_PROD_STATE")
    found = _from_folder(ws, folder, notes) if folder else None
    if found:
        return found
    downloaded = download_deploy_artifact(ws.prod_state, prod_branch, notes) if artifact else None
    if downloaded:
        return {"source": "artifact", "detail": downloaded, "notes": notes}
    ref = base_ref(base)
    if ref is None:
        notes.append(f"base-branch parse: base branch {base or 'main'} not found")
    elif parse_base_in_worktree(ref, ws.prod_state, settings, notes):
        commit = git("rev-parse", "--short", ref, check=False)
        detail = f"`dbt parse` of {ref} ({commit}) in a git worktree"
        return {"source": "worktree", "detail": detail, "notes": notes}
    shutil.rmtree(ws.prod_state, ignore_errors=True)
    return {"source": "none", "detail": "no production state found", "notes": notes}


def step_state(
    ws: Workspace,
    *,
    prod_state: str | None = None,
    base: str | None = None,
    prod_branch: str = "main",
    artifact: bool = True,
) -> bool:
    """Resolve production state; never fails: without state the build falls back, loudly."""
    started = time.monotonic()
    state = resolve_state(
        ws,
        given=prod_state,
        base=base,
        prod_branch=prod_branch,
        settings=resolve(),
        artifact=artifact,
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
