"""The one way dbt is run: its environment, and its invocation in a process or in this one.

`profiles.yml` reads the warehouse from `DBT_PG_*` variables; `environment()` builds them,
with the artifact and log folders, for one target and (in a pull request) one schema. Two
ways to run dbt, each where it pays:

- `run()`: a dbt process of its own, its log streaming to the terminal. `dataops transform`,
  `freshness`, `dbt ARGS` and the docs use it, so Ctrl+C and dbt's own exit code behave as
  with dbt's CLI, and a project checked out elsewhere (a base branch) runs its own code.
- `Session`: dbt's `dbtRunner` in this process, for a step that runs several commands on one
  project (slim CI's `ls` then `build`): dbt is imported and the project parsed once instead of
  once per command (each dbt process spends ~2 s importing and ~1.5 s parsing again).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from dataops import roles
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT, dbt_target_dir
from dataops.core.settings import WarehouseSettings

BIN = Path(sys.executable).parent

# profiles.yml reads these; parsing never connects, so any value will do where the
# environment has none
PARSE_ONLY_SETTINGS = WarehouseSettings(
    host="localhost", port=5432, user="dataops", password="", dbname="warehouse", origin="parse"
)

# A unit test's inputs are fixed rows, so a production build has nothing new for it (dbt's
# advice): they run where SQL changes, in slim CI and `make test`, and by hand with
# `dataops dbt test --select test_type:unit`.
PRODUCTION_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


def environment(
    settings: WarehouseSettings | None,
    *,
    target: str | None = None,
    target_path: Path | None = None,
    schema: str | None = None,
    profiles_dir: Path = REPO_ROOT,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a dbt command runs with: `base` (this process's by default) and the
    warehouse settings `profiles.yml` reads (`None`: those `base` has).

    dbt runs as the transformer: the owner's settings become the transformer's, once the owner
    has prepared what it needs (`dataops.roles.for_step`); a role's settings stay as they are.

    With `target`, the command runs for that target with its own artifact folder, and a schema
    or target left over in `base` never reaches it (production keeps its schema). Without
    it, artifacts go where `dataops.core.paths.dbt_target_dir` says, unless `base` already
    names a folder.
    """
    env = dict(os.environ if base is None else base)
    if target is not None:
        env.pop("DBT_SCHEMA", None)
        env["DBT_TARGET"] = target
    if settings is not None:
        env.update(roles.for_step(settings, "transformer").dbt_env())
    env["DBT_PROFILES_DIR"] = str(profiles_dir)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    folder = target_path or dbt_target_dir()
    paths = {"DBT_TARGET_PATH": str(folder), "DBT_LOG_PATH": str(folder.parent / "logs")}
    if target_path is not None:
        env.update(paths)
    else:
        for key, value in paths.items():
            env.setdefault(key, value)
    if schema:
        env["DBT_SCHEMA"] = schema
    return env


def executable() -> str:
    """dbt from this project's environment, else whichever `dbt` is on the path."""
    found = BIN / "dbt"
    return str(found) if found.exists() else "dbt"


def run(
    arguments: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path = REPO_ROOT,
    capture: bool = False,
    log_to_stderr: bool = False,
) -> subprocess.CompletedProcess:
    """Run one dbt command in a process of its own. Its log goes to the terminal (to stderr
    with `log_to_stderr`, so stdout carries only a command's result), or is captured."""
    command = [executable(), *arguments]
    if capture:
        return subprocess.run(command, cwd=cwd, env=dict(env), capture_output=True, text=True)
    sys.stdout.flush()
    stdout = sys.stderr if log_to_stderr else None
    return subprocess.run(command, cwd=cwd, env=dict(env), stdout=stdout, text=True)


def checked(arguments: Sequence[str], env: Mapping[str, str]) -> None:
    """Run dbt; a failure ends with one line naming the command."""
    code = run(arguments, env).returncode
    if code != 0:
        raise DataOpsError(f"`dbt {' '.join(arguments)}` failed (exit {code}); see the log above")


@contextlib.contextmanager
def process_environment(env: Mapping[str, str]) -> Iterator[None]:
    """This process's environment replaced by `env` for the block (dbt reads its settings from
    the environment when run in process); put back afterwards."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Session:
    """dbt run in this process for the commands of one step, parsed once.

    Each command sees `env` as its environment, as a subprocess would, and its log goes to
    stderr (or nowhere, `quiet`), so stdout carries only a command's result.
    """

    def __init__(self, env: Mapping[str, str], project_dir: Path = REPO_ROOT) -> None:
        self.env = dict(env)
        self.project_dir = project_dir
        self.manifest: object | None = None

    def invoke(self, arguments: Sequence[str], *, quiet: bool = False) -> tuple[int, Any]:
        """Run one dbt command: (exit code as dbt's CLI gives it, dbt's result)."""
        sys.stdout.flush()
        log = io.StringIO()
        project = ["--project-dir", str(self.project_dir)]
        result = None
        with (
            process_environment(self.env),
            contextlib.redirect_stdout(log if quiet else sys.stderr),
        ):
            from dbt.cli.main import dbtRunner

            if self.manifest is None:
                result = dbtRunner().invoke(["parse", *project, *(["--quiet"] * quiet)])
                self.manifest = result.result if result.success else None
            if self.manifest is not None:
                result = dbtRunner(manifest=self.manifest).invoke([*arguments, *project])
        if quiet and not result.success:
            print(log.getvalue(), end="", file=sys.stderr, flush=True)  # what went wrong
        return (0 if result.success else 2 if result.exception else 1), result


def parse(project_dir: Path, target: Path) -> Exception | None:
    """`dbt parse` of a project in this process, needing no database; artifacts in `target`.
    Returns what went wrong, or None."""
    env = environment(
        None,
        profiles_dir=project_dir if (project_dir / "profiles.yml").exists() else REPO_ROOT,
        target_path=target,
        base={**PARSE_ONLY_SETTINGS.dbt_env(), **os.environ},
    )
    arguments = ["parse", "--quiet", "--project-dir", str(project_dir)]
    arguments += ["--target-path", str(target), "--log-path", str(target / "logs")]
    with process_environment(env):
        from dbt.cli.main import dbtRunner

        try:
            result = dbtRunner().invoke(arguments)
        except Exception as exc:  # dbt raises its own errors for a broken project
            return exc
    return None if result.success else result.exception or DataOpsError("dbt parse failed")
