"""What slim CI and the deploy do on GitHub: annotations, the job summary, the production
state artifact of the last deploy, and the pull request comment. Each goes through the `gh`
CLI or a file GitHub Actions names, so nothing here runs, or is needed, off GitHub.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from dataops.core.console import say
from dataops.core.errors import DataOpsError, last_line

# Names the workflows share with slim CI; tests/python/ci checks the workflows use them.
DEPLOY_WORKFLOW = "deploy.yml"
PROD_STATE_ARTIFACT = "dbt-prod-state"
DOCS_ARTIFACT = "dbt-docs"
COMMENT_MARKER = "<!-- dataops-slim-ci -->"


def annotate(level: str, message: str) -> None:
    """A line on stderr, and a GitHub annotation (`::warning::`) when run in GitHub Actions."""
    say(f"{level.upper()}: {message}")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::{level}::{message}", flush=True)


def append_job_summary(text: str) -> None:
    """Add markdown to the job's summary page (GITHUB_STEP_SUMMARY), when there is one."""
    job_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if job_summary:
        with open(job_summary, "a") as handle:
            handle.write(text + "\n")


def _gh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["gh", *args], capture_output=True, text=True)


def _reason(result: subprocess.CompletedProcess) -> str:
    """` (gh's last line of complaint)`, or nothing."""
    return f" ({last_line(result.stderr)})" if result.stderr.strip() else ""


def download_deploy_artifact(dest: Path, branch: str, notes: list[str]) -> str | None:
    """Production's manifest from the latest successful deploy run on `branch`, into `dest`:
    what was found, or None with a note saying why not."""
    repo = os.environ.get("GITHUB_REPOSITORY")
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not (repo and token):
        notes.append("deploy artifact: not in GitHub Actions (no GITHUB_REPOSITORY/GH_TOKEN)")
        return None
    if not shutil.which("gh"):
        notes.append("deploy artifact: the GitHub CLI `gh` is not installed")
        return None
    listing = _gh(
        *("run", "list", "--repo", repo, "--workflow", DEPLOY_WORKFLOW, "--branch", branch),
        *("--status", "success", "--limit", "1"),
        *("--json", "databaseId", "--jq", ".[0].databaseId // empty"),
    )
    run_id = listing.stdout.strip()
    if listing.returncode != 0 or not run_id:
        notes.append(
            f"deploy artifact: no successful {DEPLOY_WORKFLOW} run on {branch}{_reason(listing)}"
        )
        return None
    download = _gh(
        *("run", "download", run_id, "--repo", repo),
        *("--name", PROD_STATE_ARTIFACT, "--dir", str(dest)),
    )
    if download.returncode != 0 or not (dest / "manifest.json").exists():
        notes.append(f"deploy artifact: download from run {run_id} failed{_reason(download)}")
        return None
    return f"the `{PROD_STATE_ARTIFACT}` artifact of deploy run {run_id} on {branch}"


def post_comment(pr: str, body: Path) -> None:
    """Post `body` on pull request `pr`, or update the comment an earlier run posted.

    A token that may not comment (a pull request from a fork) is not an error: the job
    summary carries the same text.
    """
    if not pr.isdigit():
        raise DataOpsError(f"--pr must be a pull request number to comment, got {pr!r}")
    repo = os.environ.get("GITHUB_REPOSITORY")
    if not repo or not shutil.which("gh"):
        raise DataOpsError("commenting needs GITHUB_REPOSITORY, GH_TOKEN and the `gh` CLI")
    existing = _gh(
        *("api", "--paginate", f"repos/{repo}/issues/{pr}/comments"),
        *("--jq", f'.[] | select(.body | startswith("{COMMENT_MARKER}")) | .id'),
    )
    ids = existing.stdout.split()
    if ids:
        command = ["api", "-X", "PATCH", f"repos/{repo}/issues/comments/{ids[-1]}"]
    else:
        command = ["api", "-X", "POST", f"repos/{repo}/issues/{pr}/comments"]
    result = _gh(*command, "-F", f"body=@{body}")
    if result.returncode != 0:
        reason = last_line(result.stderr or result.stdout, "gh failed")
        annotate("warning", f"could not comment on #{pr}: {reason}")
        return
    say(f"summary {'updated on' if ids else 'posted to'} #{pr}")
