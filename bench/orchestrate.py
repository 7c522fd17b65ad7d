"""B10: the daily run materialized by Dagster against `dataops run` of the same day, and the
seconds `dataops orchestrate` takes until its webserver answers.

Both runs start from the same built warehouse and load and build the same day: first the
anchor, `dataops run --skip-generate` (ingest, source freshness, dbt build), then Dagster's daily
job (`deploy`: the same steps as assets, plus publishing the state slim CI defers to) through
`dagster job execute` with the project's instance (runs and events written to the `dagster`
schema). The job runs its steps in one process, as `dataops run` does: the figure is what the
orchestration adds (loading the definitions, recording every event), not parallel steps.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

from support.dagster import orchestrate

from bench.common import BIN, BenchWarehouse, figure, say
from orchestration import instance

DAILY_JOB = "deploy"
DEFINITIONS = "orchestration.definitions"
TARGET = 1.2
START_TARGET_S = 30.0
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def run(w: BenchWarehouse, workdir: Path) -> dict[str, dict]:
    """B10 and B10's webserver start, on `w` once it is built."""
    workdir.mkdir(parents=True, exist_ok=True)
    say("B10: dataops run of the day (anchor) ...")
    anchor = w.dataops("run", "--skip-generate")
    env = instance.prepare(w.settings, w.state_dir)
    config = workdir / "in_process.json"
    config.write_text(json.dumps(IN_PROCESS))
    say(f"B10: Dagster's {DAILY_JOB} job of the same day ...")
    command = ["job", "execute", "-m", DEFINITIONS, "-j", DAILY_JOB, "-c", str(config)]
    dagster = w.measure(str(BIN / "dagster"), *command, **env)
    say("B10: dataops orchestrate until its webserver answers ...")
    return {
        "B10": figure(dagster, anchor, TARGET),
        "B10 webserver start": webserver_start(w, workdir / "orchestrate.log"),
    }


def webserver_start(w: BenchWarehouse, log: Path) -> dict:
    """Seconds from `dataops orchestrate` to its webserver's first HTTP 200, and to the
    definitions loaded (`loaded_s`); then to its stop on Ctrl+C (`stop_s`).

    The landing sensor looks at an empty folder here: at its first tick it would otherwise
    start a run of every landing file, and the figure is the start and stop of the services.
    """
    empty = log.parent / "no-landing-files"
    empty.mkdir(parents=True, exist_ok=True)
    with orchestrate(w, log, SOURCES__LANDING__BUCKET_URL=empty.as_uri()) as orchestrator:
        answered = orchestrator.answered_s
        loaded = orchestrator.loaded_s
        stopped = orchestrator.stop(signal.SIGINT)
    return {
        "ratio": None,
        "target": None,
        "value_s": round(answered, 3),
        "target_s": START_TARGET_S,
        "anchor_s": None,
        "peak_mib": None,
        "loaded_s": round(loaded, 3),
        "stop_s": round(stopped, 3),
    }
