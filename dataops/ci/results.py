"""What a dbt build left in its artifacts: results per node, counted, and named for people."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

BUILT_KINDS = {"model", "seed", "snapshot"}

_COUNTS = (
    "models_built",
    "models_failed",
    "models_skipped",
    "seeds_built",
    "snapshots_built",
    "tests_passed",
    "tests_failed",
    "tests_warned",
    "tests_skipped",
    "unit_tests_passed",
    "unit_tests_failed",
    "unit_tests_skipped",
)
_TEST_STATUS = {"pass": "passed", "warn": "warned", "skipped": "skipped"}
_UNIT_TEST_STATUS = {"pass": "passed", "skipped": "skipped"}


def run_results_file(target: Path) -> dict:
    """dbt's run_results.json in a target folder, or {} before any run."""
    path = target / "run_results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def run_results(target: Path) -> list[dict]:
    return run_results_file(target).get("results", [])


def kind(unique_id: str) -> str:
    """`model`, `test`, `unit_test`, ... of a unique_id."""
    return unique_id.split(".", 1)[0]


def node_name(unique_id: str) -> str:
    """`stg_shop__orders` for a model; `fct_orders::test_name` for a unit test."""
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) >= 4:
        return f"{parts[2]}::{parts[3]}"
    return parts[2] if len(parts) >= 3 else unique_id


def count_results(results: Iterable[dict]) -> dict[str, int]:
    """Models built, failed and skipped; seeds and snapshots built; data and unit tests
    passed, failed (errors too), warned and skipped."""
    counts = dict.fromkeys(_COUNTS, 0)
    for result in results:
        node, status = kind(result["unique_id"]), result["status"]
        if node in BUILT_KINDS:
            if status == "success":
                counts[f"{node}s_built"] += 1
            elif node == "model":
                counts["models_failed" if status == "error" else "models_skipped"] += 1
        elif node == "test":
            counts[f"tests_{_TEST_STATUS.get(status, 'failed')}"] += 1
        elif node == "unit_test":
            counts[f"unit_tests_{_UNIT_TEST_STATUS.get(status, 'failed')}"] += 1
    return counts


def deferred_parents(target: Path) -> list[str]:
    """Parents of the models built that were not built: dbt read them from production."""
    manifest_path = target / "manifest.json"
    if not manifest_path.exists():
        return []
    nodes = json.loads(manifest_path.read_text()).get("nodes", {})
    built = {r["unique_id"] for r in run_results(target) if kind(r["unique_id"]) == "model"}
    parents = {
        parent
        for unique_id in built
        for parent in nodes.get(unique_id, {}).get("depends_on", {}).get("nodes", [])
        if kind(parent) in BUILT_KINDS
    }
    return sorted(parents - built)
