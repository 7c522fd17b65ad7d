"""The workflows are hardened, valid, and thin: each step calls a command tested here.

Each check runs on the real workflows (nothing reported) and on a fixture that breaks it
(reported), as `make lint` runs it: zizmor with the pedantic persona (its audits cover the
hardening rules: no pull_request_target, least permissions, a concurrency group, actions
pinned to a commit, checkout without stored credentials), the project's one rule zizmor has
no audit for (pull request runs cancel superseded runs: .github/workflow-policy.json), and
GitHub's workflow schema (check-jsonschema).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.ci import make_lint_recipe

from dataops.ci.github import DOCS_ARTIFACT, PROD_STATE_ARTIFACT
from dataops.core.paths import REPO_ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
FIXTURES = Path(__file__).parent / "fixtures"
# as `make lint` runs them
ZIZMOR = ["--offline", "--quiet", "--persona", "pedantic", "--config", ".github/zizmor.yml"]
POLICY = ["--schemafile", ".github/workflow-policy.json"]


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def zizmor(*paths: Path | str) -> subprocess.CompletedProcess:
    return run(str(BIN / "zizmor"), *ZIZMOR, *map(str, paths))


def policy(*paths: Path | str) -> subprocess.CompletedProcess:
    return run(str(BIN / "check-jsonschema"), *POLICY, *map(str, paths))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def changed_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of a real workflow with one piece of its text changed."""
    text = (REPO_ROOT / ".github" / "workflows" / name).read_text()
    assert old in text, f"{name} no longer holds {old!r}"
    copy = tmp_path / name
    copy.write_text(text.replace(old, new, 1))
    return copy


def test_the_workflows_are_there() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "deploy.yml", "pr-closed.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_follows_the_hardening_rules(path: Path) -> None:
    hardening = zizmor(path)
    assert hardening.returncode == 0, hardening.stdout + hardening.stderr
    cancels = policy(path)
    assert cancels.returncode == 0, cancels.stdout


def test_each_hardening_rule_catches_its_break() -> None:
    flagged = zizmor(FIXTURES / "insecure-workflow.yml")
    assert flagged.returncode != 0
    for audit in (
        "dangerous-triggers",  # pull_request_target
        "excessive-permissions",  # write-all
        "concurrency-limits",  # no concurrency group
        "unpinned-uses",  # actions/checkout@v4
        "artipacked",  # checkout without persist-credentials: false
    ):
        assert f"[{audit}]" in flagged.stdout, audit


def test_top_level_permissions_wider_than_read_are_flagged(tmp_path: Path) -> None:
    copy = changed_copy(
        tmp_path, "deploy.yml", "permissions: {}", "permissions:\n  contents: write"
    )
    flagged = zizmor(copy)
    assert flagged.returncode != 0
    assert "[excessive-permissions]" in flagged.stdout


def test_pull_request_runs_must_cancel_superseded_runs(tmp_path: Path) -> None:
    copy = changed_copy(tmp_path, "ci.yml", "cancel-in-progress: true", "cancel-in-progress: false")
    flagged = policy(copy)
    assert flagged.returncode == 1
    assert "$.concurrency['cancel-in-progress']: True was expected" in flagged.stdout
    # a workflow no pull request triggers may let runs finish
    assert policy(REPO_ROOT / ".github" / "workflows" / "deploy.yml").returncode == 0


def test_make_lint_runs_the_hardening_checks() -> None:
    recipe = make_lint_recipe()
    assert f"$(BIN)/zizmor {' '.join(ZIZMOR)} .github/workflows" in recipe
    assert f"$(BIN)/check-jsonschema {' '.join(POLICY)} .github/workflows/*.yml" in recipe
    assert (
        "$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml"
        in recipe
    )


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
    assert uploads == {PROD_STATE_ARTIFACT: "dist/prod-state/", DOCS_ARTIFACT: "dist/docs/"}
    # the closing workflow shares the pull request's concurrency group, to stop its CI first
    assert closed["concurrency"]["group"] == "ci-${{ github.event.pull_request.number }}"
    assert ci_yml["concurrency"]["group"].startswith("ci-${{ github.event.pull_request.number")


def test_no_expression_is_expanded_inside_a_shell_script() -> None:
    """GitHub expressions reach `run:` through env, never by text substitution (injection)."""
    for path in WORKFLOWS:
        for step in steps(load(path)):
            assert "${{" not in step.get("run", ""), (path.name, step.get("name"))
