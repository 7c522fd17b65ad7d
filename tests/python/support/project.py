"""Copies of the project a test (or a benchmark) may change without touching the repository:
the dbt project alone, or the whole working tree as a git repository of one commit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dataops.core.paths import REPO_ROOT

# everything dbt reads: copied into a temporary folder, a test breaks one thing in the copy
DBT_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
DBT_PROJECT_FOLDERS = ("models", "macros", "seeds", "snapshots", "analyses", "tests/dbt")


def copy_dbt_project(destination: Path) -> Path:
    """A copy of the repository's dbt project (no artifacts) in `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in DBT_PROJECT_FILES:
        shutil.copy2(REPO_ROOT / name, destination / name)
    for folder in DBT_PROJECT_FOLDERS:
        shutil.copytree(
            REPO_ROOT / folder,
            destination / folder,
            ignore=shutil.ignore_patterns("__pycache__", "target", "logs"),
        )
    return destination


def git(cwd: Path, *args: str, identity: str = "CI test") -> str:
    """Run git in `cwd` as a fixed identity; a failure names the command and git's message."""
    email = identity.lower().replace(" ", "-") + "@example.com"
    result = subprocess.run(
        ["git", "-c", f"user.name={identity}", "-c", f"user.email={email}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def copy_repository(
    dest: Path, *, link_venv: bool = True, message: str = "The project as it is"
) -> Path:
    """The working tree's files (tracked and untracked, not ignored) as a new repository whose
    one commit is on `main`; with `link_venv`, `.venv` links to the project's environment."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = REPO_ROOT / name
        if source.is_file() and not source.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(dest, "init", "--quiet", "--initial-branch=main")
    if link_venv:
        (dest / ".git" / "info" / "exclude").write_text(".venv\n")
        (dest / ".venv").symlink_to(REPO_ROOT / ".venv")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "--message", message)
    return dest
