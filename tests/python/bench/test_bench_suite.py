"""The benchmark code runs at a tiny scale and produces every figure; speed is never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import DESCRIPTIONS, markdown, met
from dataops.core.paths import REPO_ROOT


def run_suite(tmp_path_factory: pytest.TempPathFactory, *options: str) -> tuple[dict, str, Path]:
    """Run the suite at 2,000 orders with `options`: its JSON, its markdown and its workdir."""
    out = tmp_path_factory.mktemp("bench-out")
    work = tmp_path_factory.mktemp("bench-work")
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "bench.run", "--scale", "2000", *options),
            *("--output", str(out), "--workdir", str(work)),
        ],
        cwd=REPO_ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    table = (out / "latest.md").read_text()
    assert table in completed.stdout
    return json.loads((out / "latest.json").read_text()), table, work


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_suite(tmp_path_factory, "--demo-orders", "2000")[0]


def test_every_figure_is_measured(results: dict) -> None:
    assert results["scale_orders"] == 2000
    assert set(results["figures"]) >= set(DESCRIPTIONS)
    for figure_id, entry in results["figures"].items():
        assert "not_measured" not in entry, figure_id
        assert entry["value_s"] > 0, figure_id
        if entry.get("ratio") is not None:  # a ratio against an anchor of the same run
            assert entry["anchor_s"] > 0, figure_id
            assert entry["ratio"] > 0, figure_id
        else:  # an absolute figure carries its own target
            assert entry.get("target_s") or entry.get("target_peak_mib"), figure_id
        if entry.get("peak_mib") is not None:
            assert entry["peak_mib"] > 0, figure_id


def test_stages_report_time_and_memory(results: dict) -> None:
    assert set(results["stages"]) >= {"generate", "ingest", "dbt_build"}
    assert all(stage["peak_mib"] > 10 for stage in results["stages"].values())


def test_b10_sets_dagster_against_dataops_run_and_times_the_webserver(results: dict) -> None:
    b10 = results["figures"]["B10"]
    assert b10["target"] == 1.2
    # the ratio is taken before its seconds are rounded to three places
    assert b10["ratio"] == pytest.approx(b10["value_s"] / b10["anchor_s"], abs=0.0015)
    start = results["figures"]["B10 webserver start"]
    assert start["ratio"] is None and start["target_s"] > 0
    assert 0 < start["value_s"] <= start["loaded_s"]  # it answers before the definitions load
    assert 0 < start["stop_s"] < 60


def test_the_table_says_when_a_target_is_missed() -> None:
    missed = {"ratio": 3.0, "target": 2.0, "value_s": 3.0, "anchor_s": 1.0, "peak_mib": 1.0}
    kept = {"ratio": 1.0, "target": 2.0, "value_s": 1.0, "anchor_s": 1.0, "peak_mib": 1.0}
    assert (met(missed), met(kept)) == ("NO", "yes")
    assert met({"value_s": 130.0, "target_s": 120.0}) == "NO"
    table = markdown(
        {
            "scale_orders": 10,
            "measured_at": "now",
            "machine": {"cpus": 2},
            "figures": {"B3": missed},
            "stages": {},
        }
    )
    assert "| B3 |" in table and "| NO |" in table


def test_the_table_names_the_rows_the_files_had() -> None:
    entry = {"ratio": 2.0, "target": 1.5, "value_s": 2.0, "anchor_s": 1.0, "peak_mib": 1.0}
    table = markdown(
        {
            "scale_orders": 10_000_000,
            "measured_at": "now",
            "machine": {"cpus": 2},
            "figures": {
                "B1.csv": {**entry, "rows": 10_000_000},
                "B1m": {**entry, "rows": 50_000_000},
                "B1.parquet": {**entry, "rows": 2_000},
            },
            "stages": {},
        }
    )
    assert "| 10M-row CSV file load" in table
    assert "| 50M-row CSV file load: peak memory" in table
    assert "| 2,000-row Parquet file load" in table


def test_anchors_from_build_measure_b4_and_b5_against_the_first_full_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    results, table, work = run_suite(tmp_path_factory, "--only", "B4,B5", "--anchors-from-build")
    build_s = results["stages"]["dbt_build"]["seconds"]
    assert set(results["figures"]) == {"B4", "B5"}
    for figure_id in ("B4", "B5"):
        entry = results["figures"][figure_id]
        assert entry["anchor"] == "the suite's first full build", figure_id
        assert entry["anchor_s"] == build_s, figure_id
        # the ratio is taken before its seconds are rounded to three places
        assert entry["ratio"] == pytest.approx(entry["value_s"] / build_s, abs=0.0015), figure_id
    b5 = results["figures"]["B5"]
    assert 0 < b5["models_slim"] < b5["models_full"]
    assert not (work / "ci" / "state" / "ci" / "pr_bench_full").exists()  # no second full build
    assert "(anchor: the suite's first full build)" in table
