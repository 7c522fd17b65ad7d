"""Commit-time checks, as pre-commit and `make lint` run them: the secrets scan
(detect-secrets, settings in .secrets.baseline) and the YAML check (yamllint, settings in
.yamllint); and the `dataops ci` usage errors.

Planted secrets are assembled at run time, so this file itself holds none.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.ci import as_make_runs_it, hook_command, make_lint_recipe, run_tool

from dataops.ci.build import drop_schema
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT

DATAOPS = str(Path(sys.executable).with_name("dataops"))

# what is planted, and the secret type detect-secrets reports it as
PLANTED = {
    "private key": ("-----BEGIN " + "RSA PRIVATE KEY-----", "Private Key"),
    "GitHub token": ("token: " + "ghp_" + "x9Y8" * 10, "GitHub Token"),
    "AWS access key id": ("aws_key = " + "AKIA" + "IOSFODNN7EXAMPLE"[:16], "AWS Access Key"),
    "Slack token": ("xoxb-" + "1234567890-abcdefghij", "Slack Token"),
    "Google API key": (
        "maps_key = " + "AIza" + "Sy" + "x9Y8" * 8 + "z",
        "Google API Key",
    ),
    "password in a URL": (
        "DATABASE_URL=postgresql://loader:" + "Tr0ub4dor-3@db.prod.internal/dw",
        "Basic Auth Credentials",
    ),
}


def run(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATAOPS, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def secrets_scan(*files: Path | str) -> subprocess.CompletedProcess:
    return run_tool(hook_command("secrets"), *map(str, files))


def findings(result: subprocess.CompletedProcess) -> set[tuple[str, str]]:
    """(secret type, file:line) of each finding detect-secrets reports."""
    return set(re.findall(r"Secret Type: (.+)\nLocation:\s+(\S+)", result.stdout))


@pytest.mark.parametrize("kind", PLANTED)
def test_each_planted_secret_is_found(kind: str, tmp_path: Path) -> None:
    planted, secret_type = PLANTED[kind]
    notes = tmp_path / "notes.md"
    notes.write_text(f"first line\n{planted}\nlast line\n")

    result = secrets_scan(notes)

    assert result.returncode == 1
    assert (secret_type, f"{notes}:2") in findings(result)


def test_a_secret_value_in_a_config_file_is_found(tmp_path: Path) -> None:
    line = 'api_token = "' + "s3cr3t-v4lue-0f-th3-shop" + '"\n'
    settings = tmp_path / ".dlt" / "secrets.toml"
    settings.parent.mkdir()
    settings.write_text(line)
    code = tmp_path / "ingestion" / "shop.py"
    code.parent.mkdir()
    code.write_text(line)

    result = secrets_scan(settings)
    assert result.returncode == 1
    assert findings(result) == {("Token Keyword", f"{settings}:1")}
    # the same line in Python is code, left to review and ruff's S105
    assert secrets_scan(code).returncode == 0


@pytest.mark.parametrize(
    "line",
    [
        "DATABASE_URL=postgresql://user:password@host:5432/warehouse",
        "export DATABASE_URL=postgresql://me:secret@db.internal:5432/warehouse",
        'url = f"postgresql://{user}:{password}@{host}/{db}"',
        "postgresql://ann:s%40cret@db.example:6543/shop",
        "postgresql://dataops:dataops@127.0.0.1:5432/warehouse",
        "postgresql://ann:****@db.internal:6543/shop",
        "postgresql://ci:${PGPASSWORD}@db.internal/dw",
        'api_token = "..."',
        "password: \"{{ env_var('DBT_ENV_SECRET_PG_PASSWORD') }}\"",
        "DATABASE_URL=postgresql://loader:" + "Tr0ub4dor-3@db.prod.internal/dw  # secrets: allow",
    ],
)
def test_placeholders_local_hosts_and_allowed_lines_pass(line: str, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yml"
    settings.write_text(line + "\n")
    result = secrets_scan(settings)
    assert result.returncode == 0, result.stdout


def test_the_repository_holds_no_secrets() -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    existing = [name for name in files if (REPO_ROOT / name).is_file()]
    result = secrets_scan(*existing)
    assert result.returncode == 0, result.stdout


def test_check_yaml_rejects_a_duplicate_key(tmp_path: Path) -> None:
    good = tmp_path / "_shop__models.yml"
    good.write_text("models:\n  - name: stg_shop__orders\n    description: One row per order.\n")
    duplicated = tmp_path / "_dup__models.yml"
    duplicated.write_text(
        "models:\n"
        "  - name: stg_shop__orders\n"
        "    columns: []\n"
        "    description: One row per order.\n"
        "    columns: []\n"
    )
    broken = tmp_path / "broken.yml"
    broken.write_text("models: [unclosed\n")
    check_yaml = hook_command("check-yaml")

    assert run_tool(check_yaml, str(good)).returncode == 0
    result = run_tool(check_yaml, str(good), str(duplicated), str(broken))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{duplicated}:5:")
    assert 'duplication of key "columns"' in lines[0]
    assert lines[1].startswith(f"{broken}:")
    assert "syntax error" in lines[1]
    assert len(lines) == 2


def test_make_lint_runs_the_hooks_tools_on_the_whole_repository() -> None:
    recipe = make_lint_recipe()
    yaml_check = as_make_runs_it(hook_command("check-yaml"))
    secrets = as_make_runs_it(hook_command("secrets"))
    assert f"{yaml_check} ." in recipe
    assert f"{secrets} $$(git ls-files)" in recipe
    # what make lint runs passes on the repository as it is
    assert run_tool([*hook_command("check-yaml"), "."]).returncode == 0


def test_unknown_step_and_bad_pr_number_are_one_line_errors() -> None:
    unknown = run("ci", "run", "--skip", "deploy")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "error: --skip: unknown step deploy; steps: state, build, lint, pytest, summary"
    ]
    bad = run("ci", "drop-schema", "--pr", "1; drop schema marts")
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "--pr must be a pull request number" in bad.stderr


def test_drop_schema_refuses_anything_but_a_ci_schema() -> None:
    with pytest.raises(DataOpsError, match="refusing to drop 'marts'"):
        drop_schema(None, "marts")  # type: ignore[arg-type]  # refused before connecting
