"""Helpers for the dbt project's tests: a copy of the project to break, and dbt runs of it."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2

from support.warehouse import Warehouse


@contextlib.contextmanager
def edited(path: Path, old: str, new: str) -> Iterator[Path]:
    """Replace `old` (which must occur) by `new` in a file, and put it back afterwards."""
    original = path.read_text()
    assert old in original, f"{old!r} not in {path}"
    path.write_text(original.replace(old, new))
    try:
        yield path
    finally:
        path.write_text(original)


@contextlib.contextmanager
def moved(path: Path, to: Path) -> Iterator[Path]:
    """Rename a file, and rename it back afterwards."""
    path.rename(to)
    try:
        yield to
    finally:
        to.rename(path)


def dbt(warehouse: Warehouse, project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`dataops dbt ARGS` for a project copy, with artifacts kept in the copy."""
    return warehouse.dataops(
        "dbt",
        *args,
        "--project-dir",
        str(project),
        "--target-path",
        str(project / "target"),
        check=False,
        **env,
    )


def run_results(project: Path) -> dict[str, Any]:
    """name -> status of every node (not hook) in the copy's last dbt invocation."""
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    statuses = {}
    for result in results:
        # test.<project>.<name>.<hash>; model.<project>.<name>; unit_test.<project>.<model>.<name>
        kind, _, *rest = result["unique_id"].split(".")
        if kind == "operation":  # on-run-start hooks
            continue
        statuses[rest[0] if kind == "test" else rest[-1]] = result["status"]
    return statuses


def sqlstate(connection: psycopg2.extensions.connection, statement: str) -> str | None:
    """Run one statement in a transaction that is rolled back; its SQLSTATE if it failed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except psycopg2.Error as exc:
        return exc.pgcode
    finally:
        connection.rollback()
    return None
