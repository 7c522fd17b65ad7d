"""Commit-time checks: the secrets scan, the YAML check, and the `dataops ci` usage errors.

Planted secrets are assembled at run time, so this file itself holds none.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dataops import ci
from dataops.core.paths import REPO_ROOT

DATAOPS = str(Path(sys.executable).with_name("dataops"))

PLANTED = {
    "private key": "-----BEGIN " + "RSA PRIVATE KEY-----",
    "GitHub token": "token: " + "ghp_" + "a1B2c3D4e5" * 4,
    "AWS access key id": "aws_key = " + "AKIA" + "IOSFODNN7EXAMPLE"[:16],
    "Slack token": "xoxb-" + "1234567890-abcdefghij",
    "password in a URL": "DATABASE_URL=postgresql://loader:" + "Tr0ub4dor-3@db.prod.internal/dw",
}


def run(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATAOPS, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("kind", PLANTED)
def test_each_planted_secret_is_found(kind: str) -> None:
    text = f"first line\n{PLANTED[kind]}\nlast line\n"
    assert ci.find_secrets(text, "notes.md") == [(2, kind)]


def test_a_secret_value_in_a_config_file_is_found() -> None:
    line = 'api_token = "' + "s3cr3t-v4lue-0f-th3-shop" + '"'
    assert ci.find_secrets(line, ".dlt/secrets.toml") == [(1, "secret value in a .toml file")]
    # the same line in Python is code, left to review and ruff's S105
    assert ci.find_secrets(line, "ingestion/shop.py") == []


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
def test_placeholders_local_hosts_and_allowed_lines_pass(line: str) -> None:
    assert ci.find_secrets(line, "settings.yml") == []


def test_secrets_command_names_file_and_line_and_fails(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.env"
    leaky.write_text(f"# settings\n{PLANTED['password in a URL']}\n")
    clean = tmp_path / "clean.md"
    clean.write_text("nothing to see\n")

    result = run("ci", "secrets", str(leaky), str(clean))

    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{leaky}:2: password in a URL"]
    assert "likely secret" in result.stderr
    assert run("ci", "secrets", str(clean)).returncode == 0


def test_the_repository_holds_no_secrets() -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    existing = [name for name in files if (REPO_ROOT / name).is_file()]
    result = run("ci", "secrets", *existing)
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

    assert run("ci", "check-yaml", str(good)).returncode == 0
    result = run("ci", "check-yaml", str(good), str(duplicated), str(broken))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{duplicated}:5: duplicate key 'columns'"
    assert lines[1].startswith(f"{broken}:")
    assert len(lines) == 2


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
    with pytest.raises(ci.DataOpsError, match="refusing to drop 'marts'"):
        ci.drop_schema(None, "marts")  # type: ignore[arg-type]  # refused before connecting
