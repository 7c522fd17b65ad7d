"""A throwaway copy of the project as a git repository, and `dataops` run inside it.

The copy takes the working tree as it is (tracked and untracked files, not what is ignored),
commits it on `main`, and runs the copy's own code (`python -m dataops.cli` with the copy
first on the path), so a test can change a model, commit it on a branch and run slim CI
exactly as a pull request would, without touching the repository itself.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from psycopg2 import sql

from dataops.core.paths import REPO_ROOT
from support.project import git
from support.warehouse import Warehouse, run_dataops

PROJECT = "dataops_retail"

# a test must not inherit the CI it runs in: no GitHub context, no production state, no dbt
# settings of the caller
_INHERITED = ("GITHUB_", "DATAOPS_PROD_", "DATAOPS_BASE_REF", "DATAOPS_PR", "DBT_", "GH_TOKEN")


def clone(base: Path, dest: Path, branch: str) -> Path:
    """A clone of `base` (so `origin/main` exists) on a new branch, like a pull request's."""
    git(dest.parent, "clone", "--quiet", str(base), dest.name)
    (dest / ".git" / "info" / "exclude").write_text(".venv\n")
    (dest / ".venv").symlink_to(REPO_ROOT / ".venv")
    git(dest, "checkout", "--quiet", "-b", branch)
    return dest


def clean_env(warehouse: Warehouse, project: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in warehouse.env().items() if not k.startswith(_INHERITED)}
    env.update(PYTHONPATH=str(project), **extra)
    return env


def dataops(
    project: Path, warehouse: Warehouse, *args: str, check: bool = True, **env: str
) -> subprocess.CompletedProcess:
    """`dataops ARGS` with the copy's own code, against the test warehouse."""
    return run_dataops(
        [sys.executable, "-m", "dataops.cli"],
        args,
        cwd=project,
        env=clean_env(warehouse, project, **env),
        check=check,
    )


@dataclass
class Production:
    """A warehouse built by `dataops ci deploy` from the base branch, and what it published."""

    warehouse: Warehouse
    base: Path
    published: Path

    @property
    def state(self) -> Path:
        return self.published / "prod-state"

    def manifest(self) -> dict:
        return json.loads((self.state / "manifest.json").read_text())


@dataclass
class PullRequest:
    """A branch of the project with a change, and its slim CI's files."""

    path: Path
    warehouse: Warehouse
    number: str

    @property
    def workspace(self) -> Path:
        return self.warehouse.state_dir / "ci" / f"pr_{self.number}"

    @property
    def schema(self) -> str:
        return f"ci_pr_{self.number}"

    def edit(self, relative: str, change: Callable[[str], str]) -> None:
        path = self.path / relative
        before = path.read_text()
        after = change(before)
        assert after != before, f"the edit left {relative} unchanged"
        path.write_text(after)
        git(self.path, "commit", "--quiet", "--all", "--message", f"Change {relative}")

    def ci(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        arguments = ("ci", *args, "--pr", self.number)
        return dataops(self.path, self.warehouse, *arguments, check=check, **env)

    def read(self, name: str) -> dict:
        path = self.workspace / name
        return json.loads(path.read_text()) if path.exists() else {}

    def run_results(self) -> list[dict]:
        return self.read("target/run_results.json").get("results", [])

    def built(self, *kinds: str) -> set[str]:
        """unique_ids of the nodes of these kinds the build ran successfully."""
        return {
            r["unique_id"]
            for r in self.run_results()
            if r["unique_id"].split(".")[0] in kinds and r["status"] in {"success", "pass"}
        }

    def relations(self) -> set[str]:
        """Tables and views in the pull request's schema."""
        return relations_in(self.warehouse, self.schema)


def relations_in(warehouse: Warehouse, schema: str) -> set[str]:
    with warehouse.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p')",
            (schema,),
        )
        return {row[0] for row in cursor.fetchall()}


def fingerprint(warehouse: Warehouse, schemas: set[str]) -> dict[str, str]:
    """A checksum of every table's rows and every view's definition in these schemas."""
    with warehouse.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select n.nspname, c.relname, c.relkind from pg_class as c"
            " join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p')",
            (sorted(schemas),),
        )
        relations = cursor.fetchall()
        checksums = {}
        for schema, name, kind in relations:
            relation = sql.Identifier(schema, name)
            if kind == "v":
                cursor.execute(
                    "select md5(pg_get_viewdef(%s::regclass))", (f'"{schema}"."{name}"',)
                )
            else:
                cursor.execute(
                    sql.SQL(
                        "select md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
                        " from {} as t"
                    ).format(relation)
                )
            checksums[f"{schema}.{name}"] = cursor.fetchone()[0]
    return checksums


def descendants(manifest: dict, unique_id: str, kinds: tuple[str, ...]) -> set[str]:
    """The node and every node downstream of it, of these kinds."""
    seen: set[str] = set()
    stack = [unique_id]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(manifest["child_map"].get(node, []))
    return {node for node in seen if node.split(".")[0] in kinds}


def prod_schemas(manifest: dict) -> set[str]:
    return {
        node["schema"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed", "snapshot"}
    }


def without_ci_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED)}


# -- commit-time tools, as pre-commit and `make lint` run them ---------------------------------


def hook_command(hook_id: str) -> list[str]:
    """The command a pre-commit hook runs (before the files it is given)."""
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    return shlex.split(hooks[hook_id]["entry"])


def make_lint_recipe() -> list[str]:
    """The commands of the Makefile's `lint` target, as written there (`$(BIN)/tool ...`)."""
    lines = (REPO_ROOT / "Makefile").read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith("lint:"))) + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def as_make_runs_it(command: list[str]) -> str:
    """A `.venv/bin/tool ...` command written as the Makefile writes it."""
    return shlex.join(command).replace(".venv/bin/", "$(BIN)/")


def run_tool(command: list[str], *args: str) -> subprocess.CompletedProcess:
    """A tool of the virtual environment, run from the repository's root as the hooks are."""
    return subprocess.run(
        [*command, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
