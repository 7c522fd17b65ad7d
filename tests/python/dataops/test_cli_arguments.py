"""How `dataops` reads its arguments: what reaches dbt through the pass-through commands, and
usage errors in one line of argparse's words, exit 2. In process, with the services replaced
by recorders: these tests are about parsing, not about what the services do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dataops import pipeline
from dataops.cli import main
from dataops.core.errors import UsageError
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings, free_port

COMMANDS = [
    "db",
    "generate",
    "ingest",
    "transform",
    "status",
    "freshness",
    "run",
    "dbt",
    "dashboard",
    "docs",
    "orchestrate",
    "conventions",
    "ci",
]


@pytest.fixture(autouse=True)
def own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables every command sets are given back afterwards."""
    for key in ("DLT_PROJECT_DIR", "DLT_DATA_DIR", "RUNTIME__DLTHUB_TELEMETRY"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    seen: list[tuple[str, tuple[str, ...]]] = []

    def dbt(arguments: tuple[str, ...], **_: object) -> int:
        seen.append(("dbt", tuple(arguments)))
        return 0

    def transform(*, dbt_args: tuple[str, ...] = ()) -> None:
        seen.append(("transform", tuple(dbt_args)))

    monkeypatch.setattr(pipeline, "dbt", dbt)
    monkeypatch.setattr(pipeline, "transform", transform)
    return seen


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["dbt", "build", "--select", "fct_orders+"],
            ("dbt", ("build", "--select", "fct_orders+")),
        ),
        (["dbt", "--select", "x", "run", "--", "y"], ("dbt", ("--select", "x", "run", "--", "y"))),
        (["dbt", "--version"], ("dbt", ("--version",))),
        (["dbt", "run", "--help"], ("dbt", ("run", "--help"))),
        (["dbt", "--", "run"], ("dbt", ("run",))),
        (["dbt"], ("dbt", ())),
        (["transform"], ("transform", ())),
        (
            ["transform", "--", "--full-refresh", "-s", "a+"],
            ("transform", ("--full-refresh", "-s", "a+")),
        ),
        (["transform", "--select", "a+"], ("transform", ("--select", "a+"))),
    ],
)
def test_pass_through_arguments_reach_dbt_as_given(
    calls: list[tuple[str, tuple[str, ...]]], argv: list[str], expected: tuple
) -> None:
    assert main(argv) == 0
    assert calls == [expected]


def test_psql_arguments_reach_psql_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(
        "dataops.cli.db.resolve",
        lambda: WarehouseSettings.from_url("postgresql://u:p@127.0.0.1:9/x"),
    )
    monkeypatch.setattr("dataops.cli.db.subprocess.call", lambda command, env: seen.append(command))
    assert main(["db", "psql", "-h", "elsewhere", "--help", "-c", "select 1"]) == 0
    assert [command[1:] for command in seen] == [["-h", "elsewhere", "--help", "-c", "select 1"]]


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["db"], "the following arguments are required: ACTION"),
        (
            ["db", "frobnicate"],
            "argument ACTION: invalid choice: 'frobnicate' (choose from 'start',",
        ),
        (["db", "url", "extra"], "unrecognized arguments: extra"),
        (["db", "url", "--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["generate", "--days", "many"], "argument --days: 'many' is not a valid integer."),
        (["ci", "frobnicate"], "argument STEP: invalid choice: 'frobnicate' (choose from 'run',"),
    ],
)
def test_a_usage_error_is_a_usage_line_and_one_reason(
    capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    assert main(argv) == 2
    usage, error = capsys.readouterr().err.splitlines()
    assert usage.startswith(f"usage: {' '.join(['dataops', *argv[:1]])}")
    assert error.startswith(f"dataops: error: {reason}")


def test_a_service_refusing_its_arguments_is_a_usage_error_of_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def ingest(sources: tuple[str, ...]) -> None:
        raise UsageError(f"unknown source {', '.join(sources)}")

    monkeypatch.setattr(pipeline, "ingest", ingest)
    assert main(["ingest", "nosuchsource"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "usage: dataops ingest [OPTIONS] [SOURCE]...",
        "dataops: error: unknown source nosuchsource",
    ]


def test_ctrl_c_says_interrupted_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def freshness() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "freshness", freshness)
    assert main(["freshness"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_docs_without_a_generated_site_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    assert main(["docs", "--no-generate", "--port", str(free_port())]) == 1
    assert capsys.readouterr().err == (
        f"error: no docs site in {tmp_path} (manifest.json, catalog.json missing);"
        " run `dataops docs` without --no-generate\n"
    )


def test_the_module_runs_as_the_command_and_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dataops.cli", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = [
        line.split()[0]
        for line in result.stdout.splitlines()
        if line.startswith("  ") and line.split()
    ]
    assert listed[listed.index("db") :] == COMMANDS
