"""What every asset module shares: the warehouse as a Dagster resource, and the dbt project's
manifest, parsed without a warehouse so the definitions load anywhere.

The manifest is parsed (`dataops.dbt.parse`, dbt's partial parsing makes a second load take
about a second) rather than read from `target/`: a manifest left there by the last build may
be older than the models, and the assets must be the project as it is.
"""

from __future__ import annotations

import fcntl
import json
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from dataops import dbt as dbt_runner
from dataops.core.errors import DataOpsError, first_line
from dataops.core.paths import REPO_ROOT, state_dir
from dataops.core.warehouse import WarehouseSettings, resolve


class Warehouse(dg.ConfigurableResource):
    """The warehouse the assets run against: `dataops.core.warehouse.resolve()` (DATABASE_URL,
    the PG* variables, else the embedded PostgreSQL), or the URL given here."""

    database_url: str | None = None

    def settings(self) -> WarehouseSettings:
        if self.database_url:
            return WarehouseSettings.from_url(self.database_url, origin="orchestration")
        return resolve()


def manifest_folder(project_dir: Path) -> Path:
    """Where the definitions parse a project: the clone's state for the repository's own, the
    project's `target/` for another (a copy)."""
    if project_dir.resolve() == REPO_ROOT:
        return state_dir() / "orchestration" / "dbt"
    return project_dir / "target" / "orchestration"


@cache
def manifest(project_dir: Path = REPO_ROOT) -> dict[str, Any]:
    """The project's dbt manifest, parsed now (no database needed)."""
    folder = manifest_folder(project_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # Every Dagster process (the code server, each step's process) loads the definitions, and
    # step processes start together: one parse at a time, so none reads a half-written file.
    with (folder / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        error = dbt_runner.parse(project_dir, folder)
        if error is not None:
            raise DataOpsError(f"dbt parse of {project_dir} failed: {first_line(error)}")
        return json.loads((folder / "manifest.json").read_text())


def source_tables(loaded: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(source, table) -> the dbt source node, for every table the dbt sources declare."""
    return {
        (node["source_name"], node["name"]): node
        for node in loaded["sources"].values()
        if node["package_name"] == loaded["metadata"].get("project_name", node["package_name"])
    }


def owners(node: dict[str, Any], loaded: dict[str, Any]) -> list[str]:
    """Who answers for a node: its dbt group's owner, else `meta.owner` (an e-mail address or
    `team:<name>`), else nobody."""
    group = loaded.get("groups", {}).get(f"group.{node['package_name']}.{node.get('group')}")
    if group:
        owner = group.get("owner") or {}
        found = owner.get("email") or (f"team:{owner['name']}" if owner.get("name") else None)
        if found:
            return [found]
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    owner = meta.get("owner")
    if isinstance(owner, str) and owner:
        return [owner if "@" in owner or owner.startswith("team:") else f"team:{owner}"]
    return []
