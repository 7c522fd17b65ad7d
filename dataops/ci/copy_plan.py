"""Which of production's incremental tables a pull request's build starts from: a pure plan.

In a new schema an incremental model has no table yet, so dbt would build it from every row;
with a copy of production's table it runs incrementally, as the next deploy will. (`dbt
clone` makes views on PostgreSQL, which an incremental model cannot extend.)

Copied: each incremental model the build selects but the branch does not change, whose
table production has. Not copied, so built in full, each with a note saying why: a model this
branch changes (its new SQL applies to every row, not only the recent ones), one new in this
branch or not incremental in production, one in another database there, one configured
`full_refresh: true`, one whose table production lacks, and all of them when dbt is told to
refresh fully (DBT_FULL_REFRESH). Snapshots are left alone.

The plan is computed from facts alone (the nodes dbt selects, production's manifest, the
tables production has and their sizes), so it is tested without a database; `copies.py`
carries it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dataops.ci.results import node_name

_TRUE = {"1", "true", "t", "yes", "y", "on"}

# (schema, name) of a table -> its size in bytes
Tables = Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class PlannedCopy:
    """Production's table of one incremental model, and where the pull request's goes."""

    unique_id: str
    source: tuple[str, str]
    target: tuple[str, str]
    size: int = 0

    @property
    def name(self) -> str:
        return node_name(self.unique_id)


@dataclass(frozen=True)
class CopyPlan:
    """The copies to make, largest first, and why each other incremental model is not copied."""

    copies: list[PlannedCopy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def full_refresh_requested(env: Mapping[str, str]) -> bool:
    """dbt's own switch (DBT_FULL_REFRESH) in the build's environment."""
    return env.get("DBT_FULL_REFRESH", "").strip().lower() in _TRUE


def incremental_models(selected: Iterable[dict]) -> list[dict]:
    """The incremental models among the nodes a build selects (as `dbt ls` gives them)."""
    return sorted(
        (
            node
            for node in selected
            if node["resource_type"] == "model" and node.get("config.materialized") == "incremental"
        ),
        key=lambda node: node["unique_id"],
    )


def skip_reason(node: dict, production: dict | None, changed: set[str], tables: Tables) -> str:
    """Why this incremental model is built in full rather than copied; '' if it is copied."""
    name = node_name(node["unique_id"])
    if node["unique_id"] in changed:
        return f"`{name}` changed in this branch: built in full"
    if node.get("config.full_refresh") is True:
        return f"`{name}` is configured full_refresh: built in full"
    if production is None or production.get("config", {}).get("materialized") != "incremental":
        return f"`{name}` is not incremental in production: built in full"
    if production.get("database") != node["database"]:
        return f"`{name}` is in another database in production: built in full"
    schema, alias = production["schema"], production["alias"]
    if (schema, alias) not in tables:
        return f"production has no table {schema}.{alias}: `{name}` built in full"
    return ""


def plan_copies(
    selected: Iterable[dict],
    changed: set[str],
    production: Mapping[str, dict],
    tables: Tables,
    *,
    full_refresh: bool = False,
) -> CopyPlan:
    """The copies a build makes before it runs (see the module's docstring).

    `production` is the nodes of production's manifest; `tables` the tables production has,
    with their sizes. A copy is CPU-bound (the rows, then each index), so the largest come
    first: the two largest then copy side by side.
    """
    incremental = incremental_models(selected)
    if not incremental:
        return CopyPlan()
    if full_refresh:
        note = "full refresh requested (DBT_FULL_REFRESH): no incremental model is copied"
        return CopyPlan(notes=[note])
    copies, notes = [], []
    for node in incremental:
        prod = production.get(node["unique_id"])
        reason = skip_reason(node, prod, changed, tables)
        if reason:
            notes.append(reason)
            continue
        source = (prod["schema"], prod["alias"])
        target = (node["schema"], node["alias"])
        copies.append(PlannedCopy(node["unique_id"], source, target, tables[source]))
    copies.sort(key=lambda copy: -copy.size)
    return CopyPlan(copies, notes)
