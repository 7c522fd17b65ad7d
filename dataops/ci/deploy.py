"""Production's deploy: ingest, source freshness, dbt build, docs, as `dataops run` records
them (without demo data); then publish what slim CI defers to (the manifest, run results and
source freshness) and the docs site.

Stale sources stop the deploy before the build, so production keeps its last good state,
unless keep_going.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dataops import pipeline
from dataops.ci.github import annotate, append_job_summary
from dataops.ci.results import count_results
from dataops.core.console import say
from dataops.core.errors import DataOpsError
from dataops.core.paths import dbt_target_dir
from dataops.core.settings import WarehouseSettings
from dataops.core.warehouse import resolve


@dataclass(frozen=True)
class Publisher:
    """Copies dbt's artifacts from its target folder into `out/<folder>` (nothing without out)."""

    target: Path
    out: Path | None

    def prepare(self, *folders: str) -> None:
        """Empty the folders (prod-state/ and docs/ unless named), so nothing of an earlier
        deploy is published."""
        for folder in (folders or ("prod-state", "docs")) if self.out else ():
            shutil.rmtree(self.out / folder, ignore_errors=True)
            (self.out / folder).mkdir(parents=True)

    def publish(self, folder: str, *names: str) -> None:
        for name in names if self.out else ():
            if (self.target / name).exists():
                published = "index.html" if name == "static_index.html" else name
                shutil.copy2(self.target / name, self.out / folder / published)


def _steps(
    settings: WarehouseSettings, skip_ingest: bool
) -> list[tuple[str, Callable[[], object], tuple[str, ...]]]:
    """(name, action, what it publishes: the folder, then dbt's artifacts) in order."""
    steps: list[tuple[str, Callable[[], object], tuple[str, ...]]] = []
    if not skip_ingest:
        steps.append(("ingest", lambda: pipeline.ingest(settings=settings), ("prod-state",)))
    steps += [
        (
            "source freshness",
            lambda: pipeline.freshness(settings=settings),
            ("prod-state", "sources.json"),
        ),
        (
            "dbt build",
            lambda: pipeline.transform(settings=settings),
            ("prod-state", "manifest.json", "run_results.json"),
        ),
        (
            "dbt docs generate",
            lambda: pipeline.docs_generate(static=True, settings=settings),
            ("docs", "static_index.html"),
        ),
    ]
    return steps


def _report(out: Path) -> None:
    """What the build did, on stdout and in the job summary."""
    run_results = out / "prod-state" / "run_results.json"
    if not run_results.exists():
        return
    counts = count_results(json.loads(run_results.read_text())["results"])
    text = (
        f"## Deploy\n\nModels built: {counts['models_built']}, failed: "
        f"{counts['models_failed']}; data tests passed: {counts['tests_passed']}, failed: "
        f"{counts['tests_failed']}; unit tests passed: {counts['unit_tests_passed']}.\n"
    )
    append_job_summary(text)
    print(text, flush=True)
    say(f"published {out / 'prod-state'} and {out / 'docs'}")


def deploy(out: Path | None = None, *, skip_ingest: bool = False, keep_going: bool = False) -> None:
    """Run production's steps and publish into `out` (see the module's docstring)."""
    for name in ("DBT_SCHEMA", "DBT_TARGET"):  # production is the profile's default target
        os.environ.pop(name, None)
    settings = resolve()
    settings.check()
    publisher = Publisher(dbt_target_dir(), out.resolve() if out else None)
    publisher.prepare()
    for name, action, published in _steps(settings, skip_ingest):
        say(f"== deploy: {name}")
        try:
            action()
        except DataOpsError as exc:
            if not keep_going:
                raise
            annotate("warning", f"{name}: {exc}; going on (--keep-going)")
        finally:
            publisher.publish(*published)
    if publisher.out:
        _report(publisher.out)
