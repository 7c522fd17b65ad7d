"""Where one pull request's CI keeps its files, and the schema it builds into.

A step's files (the production manifest, dbt's artifacts, the lint and pytest reports, the
summary) live in `<state dir>/ci/pr_<n>/`, so each step can also run on its own and read
what an earlier one left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.paths import state_dir

# the steps of `dataops ci run`, in order
STEPS = ("state", "build", "lint", "pytest", "summary")
SCHEMA_PREFIX = "ci_pr_"

_PR_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
# the files a run writes, cleared before the next one
_FOLDERS = ("target", "lint-target", "logs")
_FILES = ("steps.json", "build.json", "lint.json", "pytest.xml", "summary.md")


@dataclass(frozen=True)
class Workspace:
    """One pull request's CI: its number (or a short name), its folder and its schema."""

    pr: str
    root: Path

    @classmethod
    def for_pr(cls, pr: str | None, workdir: Path | None = None) -> Workspace:
        """The workspace of --pr (else DATAOPS_PR, else `local`); a name that could reach SQL
        or a path unquoted is refused."""
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
        """Forget an earlier run's files (only the ones CI writes); with keep_state, keep the
        production state a separate `dataops ci state` step just found."""
        steps = self.read_json("steps.json")
        for name in _FOLDERS:
            shutil.rmtree(self.path(name), ignore_errors=True)
        for name in _FILES:
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
