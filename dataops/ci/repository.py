"""The project's git repository: commands, and the base branch a pull request is compared to."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dataops.core.errors import DataOpsError, last_line
from dataops.core.paths import REPO_ROOT


def git(*args: str, check: bool = True, cwd: Path = REPO_ROOT) -> str:
    """Run git in the project and return its output; a one-line error if it fails."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        reason = last_line(result.stderr or result.stdout)
        raise DataOpsError(f"`git {' '.join(args)}` failed: {reason}")
    return result.stdout.strip() if result.returncode == 0 else ""


def _exists(ref: str) -> bool:
    return bool(git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False))


def base_ref(explicit: str | None) -> str | None:
    """The branch production is built from: --base, DATAOPS_BASE_REF, the pull request's base
    in GitHub Actions, else origin/main or main. A ref named explicitly is never replaced."""
    named = explicit or os.environ.get("DATAOPS_BASE_REF")
    if named:
        return named if _exists(named) else None
    candidates = []
    if os.environ.get("GITHUB_BASE_REF"):
        candidates.append(f"origin/{os.environ['GITHUB_BASE_REF']}")
    candidates += ["origin/main", "main"]
    return next((ref for ref in candidates if _exists(ref)), None)
