"""The pytest step: the Python tests, counted from their JUnit report for the summary."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from dataops.ci.workspace import Workspace
from dataops.core.console import say
from dataops.core.paths import REPO_ROOT


def pytest_counts(report: Path) -> dict[str, int]:
    """Tests passed, failed (errors too) and skipped, from a JUnit XML report; {} without one."""
    if not report.exists():
        return {}
    root = ElementTree.parse(report).getroot()  # noqa: S314 - pytest's own report
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    failed = total["failures"] + total["errors"]
    return {
        "passed": total["tests"] - failed - total["skipped"],
        "failed": failed,
        "skipped": total["skipped"],
    }


def step_pytest(ws: Workspace, *, pytest_args: str = "") -> bool:
    """Run pytest with these arguments (one string, split as a shell would); its output goes
    to stderr, so stdout carries only the summary."""
    started = time.monotonic()
    report = ws.path("pytest.xml")
    report.unlink(missing_ok=True)
    extra = shlex.split(pytest_args or "")
    say(f"pytest {' '.join(extra)} ...")
    sys.stdout.flush()
    code = subprocess.call(
        [sys.executable, "-m", "pytest", f"--junitxml={report}", *extra],
        cwd=REPO_ROOT,
        stdout=sys.stderr,
    )
    counts = pytest_counts(report)
    detail = (
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        if counts
        else f"pytest exited {code} without a report"
    )
    ws.record_step("pytest", "ok" if code == 0 else "failed", time.monotonic() - started, detail)
    return code == 0
