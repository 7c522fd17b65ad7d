"""Slim CI's steps by name, and `run`: every step in order, as `make ci-slim` and the pull
request's workflow run them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from dataops.ci.build import step_build
from dataops.ci.lint import step_lint
from dataops.ci.python_tests import step_pytest
from dataops.ci.state import step_state
from dataops.ci.summary import step_summary
from dataops.ci.workspace import STEPS, Workspace
from dataops.core.console import say
from dataops.core.errors import DataOpsError


@dataclass(frozen=True)
class StepOptions:
    """What the steps take besides the workspace: where production state is, the base
    branch, and pytest's arguments."""

    prod_state: str | None = None
    base: str | None = None
    prod_branch: str = "main"
    artifact: bool = True
    pytest_args: str = ""


def _runners(options: StepOptions) -> dict[str, Callable[[Workspace], bool]]:
    return {
        "state": lambda ws: step_state(
            ws,
            prod_state=options.prod_state,
            base=options.base,
            prod_branch=options.prod_branch,
            artifact=options.artifact,
        ),
        "build": step_build,
        "lint": lambda ws: step_lint(ws, base=options.base),
        "pytest": lambda ws: step_pytest(ws, pytest_args=options.pytest_args),
        "summary": step_summary,
    }


def run_step(step: str, ws: Workspace, options: StepOptions) -> bool:
    """One step; whether it passed."""
    return _runners(options)[step](ws)


def skipped_steps(values: Iterable[str]) -> set[str]:
    """The steps --skip names (repeated or comma-separated); an unknown one is an error."""
    skip = {s.strip() for value in values for s in value.split(",") if s.strip()}
    unknown = skip - set(STEPS)
    if unknown:
        raise DataOpsError(
            f"--skip: unknown step {', '.join(sorted(unknown))}; steps: {', '.join(STEPS)}"
        )
    return skip


def _attempt(step: str, ws: Workspace, options: StepOptions) -> bool:
    """A step whose error is recorded for the summary rather than raised."""
    say(f"== ci {step}")
    try:
        return run_step(step, ws, options)
    except DataOpsError as exc:
        say(f"{step}: {exc}")
        if step not in ws.read_json("steps.json"):
            ws.record_step(step, "failed", 0, str(exc))
        return False


def run(ws: Workspace, options: StepOptions, skip: Collection[str] = ()) -> bool:
    """Every step in order; a failing step does not stop the later ones, so the summary shows
    everything. False if any step failed."""
    ws.clear(keep_state="state" in skip)
    failed: list[str] = []
    for step in STEPS:
        if step in skip:
            ran_before = step == "state" and ws.path("state.json").exists()
            if step != "summary" and not ran_before:
                ws.record_step(step, "skipped", 0, f"not run here (--skip {step})")
            continue
        if not _attempt(step, ws, options):
            failed.append(step)
    if failed:
        say(f"slim CI failed: {', '.join(failed)}")
        return False
    say("slim CI passed")
    return True
