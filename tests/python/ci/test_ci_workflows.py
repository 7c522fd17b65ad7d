"""The workflows are hardened, valid, and thin: each step calls a command tested here.

Each check runs on the real workflows (nothing reported) and on a fixture that breaks it
(reported): the project's own rules (`dataops ci check-workflows`), zizmor, and GitHub's
workflow schema (check-jsonschema). All three also run in `make lint`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataops import ci
from dataops.core.paths import REPO_ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
FIXTURES = Path(__file__).parent / "fixtures"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_workflows_are_there() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "deploy.yml", "pr-closed.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_follows_the_hardening_rules(path: Path) -> None:
    assert ci.workflow_problems(load(path)) == []


def test_each_hardening_rule_catches_its_break() -> None:
    problems = ci.workflow_problems(load(FIXTURES / "insecure-workflow.yml"))
    assert problems == [
        "triggers on pull_request_target (runs fork code with a write token)",
        "top-level permissions grant more than read: 'write-all'",
        "no concurrency group",
        "job build step 1: actions/checkout@v4 is not pinned to a full commit SHA",
        "job build step 1: checkout without persist-credentials: false",
    ]


def test_pull_request_runs_must_cancel_superseded_runs() -> None:
    workflow = load(REPO_ROOT / ".github" / "workflows" / "ci.yml")
    workflow["concurrency"]["cancel-in-progress"] = False
    assert ci.workflow_problems(workflow) == [
        "pull request runs do not cancel superseded runs (cancel-in-progress)"
    ]


def test_check_workflows_command_exits_non_zero_on_a_break() -> None:
    assert run(str(BIN / "dataops"), "ci", "check-workflows").returncode == 0
    bad = run(
        str(BIN / "dataops"), "ci", "check-workflows", str(FIXTURES / "insecure-workflow.yml")
    )
    assert bad.returncode == 1
    assert "is not pinned to a full commit SHA" in bad.stdout


def test_zizmor_finds_nothing_in_the_workflows_and_flags_the_fixture() -> None:
    clean = run(str(BIN / "zizmor"), "--offline", ".github/workflows")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No findings to report" in clean.stdout

    flagged = run(str(BIN / "zizmor"), "--offline", str(FIXTURES / "insecure-workflow.yml"))
    assert flagged.returncode != 0
    for audit in ("dangerous-triggers", "unpinned-uses", "artipacked"):
        assert f"[{audit}]" in flagged.stdout, audit


def test_the_workflow_schema_accepts_the_workflows_and_rejects_the_fixture() -> None:
    schema = ["--builtin-schema", "vendor.github-workflows"]
    clean = run(str(BIN / "check-jsonschema"), *schema, *map(str, WORKFLOWS))
    assert clean.returncode == 0, clean.stdout
    invalid = run(str(BIN / "check-jsonschema"), *schema, str(FIXTURES / "invalid-workflow.yml"))
    assert invalid.returncode == 1
    assert "'runs-on' is a required property" in invalid.stdout


def test_workflows_are_thin_calls_of_tested_commands() -> None:
    ci_yml = load(REPO_ROOT / ".github" / "workflows" / "ci.yml")
    deploy = load(REPO_ROOT / ".github" / "workflows" / "deploy.yml")
    closed = load(REPO_ROOT / ".github" / "workflows" / "pr-closed.yml")

    def commands(workflow: dict) -> str:
        return "\n".join(step.get("run", "") for step in steps(workflow))

    assert "make test" in commands(ci_yml)
    assert ".venv/bin/dataops ci state --pr" in commands(ci_yml)
    assert ".venv/bin/dataops ci run --pr" in commands(ci_yml)
    assert ".venv/bin/dataops ci comment --pr" in commands(ci_yml)
    assert ".venv/bin/dataops ci deploy --out dist" in commands(deploy)
    assert ".venv/bin/dataops ci drop-schema --pr" in commands(closed)
    # YAML 1.1 reads the key `on` as true
    assert closed.get("on", closed.get(True)) == {"pull_request": {"types": ["closed"]}}
    # slim CI looks up the artifact deploy.yml publishes, under the same name
    uploads = {
        step["with"]["name"]: step["with"]["path"]
        for step in steps(deploy)
        if step.get("uses", "").startswith("actions/upload-artifact@")
    }
    assert uploads == {ci.PROD_STATE_ARTIFACT: "dist/prod-state/", ci.DOCS_ARTIFACT: "dist/docs/"}
    # the closing workflow shares the pull request's concurrency group, to stop its CI first
    assert closed["concurrency"]["group"] == "ci-${{ github.event.pull_request.number }}"
    assert ci_yml["concurrency"]["group"].startswith("ci-${{ github.event.pull_request.number")


def test_no_expression_is_expanded_inside_a_shell_script() -> None:
    """GitHub expressions reach `run:` through env, never by text substitution (injection)."""
    for path in WORKFLOWS:
        for step in steps(load(path)):
            assert "${{" not in step.get("run", ""), (path.name, step.get("name"))
