"""Bad input at the command line: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from dataops.core.paths import REPO_ROOT

DATAOPS = str(Path(sys.executable).with_name("dataops"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATAOPS, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unknown_subcommand_prints_usage_and_exits_2() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "usage: dataops" in result.stderr
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_unknown_option_exits_2() -> None:
    result = run("ingest", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr


def test_unknown_source_exits_2() -> None:
    result = run("ingest", "nosuchsource", env={"DATABASE_URL": "postgresql://u:p@127.0.0.1:9/x"})
    assert result.returncode == 2
    assert "unknown source nosuchsource" in result.stderr


def test_database_url_pointing_at_nothing_names_host_and_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        result = run("db", "start", env={"DATABASE_URL": f"postgresql://u:p@127.0.0.1:{port}/x"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot connect to PostgreSQL at 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr


def test_dashboard_port_taken_says_how_to_choose_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("dashboard", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr
