"""Run the benchmark suite and write docs/benchmarks/latest.{json,md}.

    python -m bench.run [--scale ORDERS] [--only B3,B4] [--output DIR]

Every figure is a ratio against an anchor measured in the same run on the same machine, with
the absolute seconds and the peak memory beside it; this 2-core machine is too noisy for
absolute targets. Figures whose module is absent are reported as not measured.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench.common import BenchWarehouse, Measurement, bench_warehouse, models_built, now, say
from bench.dbt import b3_build_against_plain_sql, b4_incremental_against_full_refresh
from dataops.core.paths import REPO_ROOT, dbt_target_dir
from dataops.core.warehouse import free_port

DEMO_DAYS = 365
DEFAULT_DEMO_ORDERS = 20_000

DESCRIPTIONS = {
    "B1": "file load ÷ psql \\copy of the same rows (unindexed table)",
    "B1.csv": "{rows}-row CSV file load ÷ psql \\copy",
    "B1.parquet": "{rows}-row Parquet file load ÷ psql \\copy",
    "B1m": "{rows}-row CSV file load: peak memory (target in MiB)",
    "B2": "API path ÷ psql \\copy of the same rows",
    "B3": "full dbt build ÷ the same compiled SQL through psql",
    "B4": "incremental build after one new demo day ÷ full refresh",
    "B5": "slim CI for a one-model change ÷ full build",
    "B6": "dashboard callback p95 ÷ do-nothing callback p95 (repeat views, cached)",
    "B6 fresh": "dashboard callback p95 ÷ do-nothing p95, first view of a filter set",
    "B6 first load": "first page load in Chromium (s)",
    "B7": "make demo wall time at the default scale (s, installed environment)",
    "B10": "daily run materialized by Dagster ÷ dataops run of the same day",
    "B10 webserver start": "dataops orchestrate until its webserver answers (s)",
}


def optional(module: str, attribute: str = "run") -> Callable | None:
    """A figure module another part of the project provides, if it is there."""
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return None


def b7_demo_wall_time(workdir: Path, orders: int = DEFAULT_DEMO_ORDERS) -> dict:
    """`make demo` from an installed environment: pipeline at the default scale, then the
    dashboard's first answer."""
    with bench_warehouse(workdir) as w:
        started = now()
        run = w.dataops("run", "--days", str(DEMO_DAYS), "--orders", str(orders))
        port = free_port()
        import subprocess

        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("dataops")), "dashboard", "--port", str(port)],
            cwd=REPO_ROOT,
            env=w.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)
                if now() - started > 600:
                    raise RuntimeError("the dashboard did not answer within 10 minutes")
            elapsed = now() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "ratio": None,
        "target": None,
        "value_s": round(elapsed, 3),
        "target_s": 120.0,
        "anchor_s": None,
        "peak_mib": round(run.peak_mib, 1),
    }


def run_suite(
    scale: int,
    workdir: Path,
    only: set[str],
    demo_orders: int = DEFAULT_DEMO_ORDERS,
    generated: Path | None = None,
    anchors_from_build: bool = False,
) -> dict:
    figures: dict[str, dict] = {}
    stages: dict[str, dict] = {}

    def wanted(*ids: str) -> bool:
        return not only or bool(only & set(ids))

    if wanted("B1", "B2") and (ingest_bench := optional("bench.ingest")):
        say("B1/B2: file and API loads against psql \\copy ...")
        with bench_warehouse(workdir / "ingest") as w:
            figures.update(ingest_bench(scale, workdir / "ingest", w.settings))

    if wanted("B3", "B4", "B5", "B6", "B10"):
        with bench_warehouse(workdir / "main") as w:
            _on_one_warehouse(
                w, scale, workdir, wanted, generated, anchors_from_build, figures, stages
            )

    if wanted("B7"):
        say("B7: make demo wall time at the default scale ...")
        figures["B7"] = b7_demo_wall_time(workdir / "demo", demo_orders)

    for figure_id in DESCRIPTIONS:
        if wanted(figure_id):
            figures.setdefault(figure_id, {"not_measured": "its benchmark module is not present"})
    return {
        "scale_orders": scale,
        "machine": {"cpus": _cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "figures": dict(sorted(figures.items())),
        "stages": stages,
    }


def _on_one_warehouse(
    w: BenchWarehouse,
    scale: int,
    workdir: Path,
    wanted: Callable[..., bool],
    generated: Path | None,
    anchors_from_build: bool,
    figures: dict[str, dict],
    stages: dict[str, dict],
) -> None:
    """B3 to B6 and B10 on one warehouse: generate, ingest and build it once, then each
    figure."""

    def record(stage: str, measured: Measurement) -> None:
        stages[stage] = {
            "seconds": round(measured.seconds, 3),
            "peak_mib": round(measured.peak_mib, 1),
        }

    if generated is not None:
        # a business generated beforehand at this scale: `generate` below only checks it (seed,
        # volume, days) and the generate stage is not a measurement
        say(f"moving the demo business generated in {generated} into the warehouse ...")
        w.state_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(generated), str(w.state_dir / "demo"))
        stages["generate_beforehand"] = {"seconds": None, "peak_mib": None}
    say(f"generating {scale:,} orders over {DEMO_DAYS} days ...")
    record("generate", w.dataops("generate", "--days", str(DEMO_DAYS), "--orders", str(scale)))
    say("ingesting ...")
    record("ingest", w.dataops("ingest"))
    if wanted("B3"):
        say("B3: dbt build against plain SQL ...")
        figures["B3"] = b3_build_against_plain_sql(w, workdir)
        build = Measurement(figures["B3"]["value_s"], figures["B3"]["peak_mib"])
    else:
        say("dbt build ...")
        build = w.dataops("transform", "--", "--full-refresh")
    record("dbt_build", build)
    if wanted("B5") and (ci_bench := optional("bench.ci")):
        say("B5: slim CI against a full build ...")
        first_build = (
            (build, models_built(dbt_target_dir(w.state_dir))) if anchors_from_build else ()
        )
        figures.update(ci_bench(workdir / "ci", w.settings, *first_build))
    if wanted("B6") and (dashboard_bench := optional("bench.dashboard")):
        say("B6: dashboard callbacks ...")
        figures.update(dashboard_bench(workdir / "dashboard", w.settings))
    if wanted("B4"):
        say("B4: incremental build after one more day against a full refresh ...")
        figures["B4"] = b4_incremental_against_full_refresh(
            w, DEMO_DAYS + 1, scale, full=build if anchors_from_build else None
        )
    if wanted("B10") and (orchestrate_bench := optional("bench.orchestrate")):
        say("B10: the daily run through Dagster against dataops run ...")
        figures.update(orchestrate_bench(w, workdir / "orchestrate"))


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 0


def met(entry: dict) -> str:
    if "not_measured" in entry:
        return "not measured"
    if entry.get("target_s") is not None:
        return "yes" if entry["value_s"] <= entry["target_s"] else "NO"
    checks = []
    if entry.get("target") is not None and entry.get("ratio") is not None:
        checks.append(entry["ratio"] <= entry["target"])
    if entry.get("target_p95_ms") is not None and entry.get("p95_ms") is not None:
        checks.append(entry["p95_ms"] <= entry["target_p95_ms"])
    if entry.get("target_peak_mib") is not None and entry.get("peak_mib") is not None:
        checks.append(entry["peak_mib"] <= entry["target_peak_mib"])
    if not checks:
        return "–"
    return "yes" if all(checks) else "NO"


def rows_label(entry: dict) -> str:
    """A figure's rows as the table names them: 1M, 50M, 2,000 (the files scale with
    `--scale`)."""
    rows = entry.get("rows")
    if rows is None:
        return "?"
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 and rows % 1_000_000 == 0 else f"{rows:,}"


def markdown(results: dict) -> str:
    def cell(value: object) -> str:
        return (
            "–" if value is None else f"{value:,}" if isinstance(value, int | float) else str(value)
        )

    lines = [
        f"Scale: {results['scale_orders']:,} orders; measured {results['measured_at']} on "
        f"{results['machine']['cpus']} CPUs.",
        "",
        "| id | figure | ratio | target | met | value (s) | anchor (s) | peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for figure_id, entry in results["figures"].items():
        target = entry.get("target")
        if entry.get("target_s") is not None:
            target = f"≤ {entry['target_s']} s"
        elif entry.get("target_peak_mib") is not None:
            target = f"≤ {entry['target_peak_mib']} MiB"
        extra = f" (p95 {entry['p95_ms']} ms)" if "p95_ms" in entry else ""
        if "lint_s" in entry:
            extra += f" (commit-time lint {entry['lint_s']} s, target ≤ {entry['lint_target_s']} s)"
        if "loaded_s" in entry:
            extra += f" (definitions loaded at {entry['loaded_s']} s)"
        if "anchor" in entry:
            extra += f" (anchor: {entry['anchor']})"
        description = DESCRIPTIONS.get(figure_id, "").format(rows=rows_label(entry)) + extra
        lines.append(
            f"| {figure_id} | {description} | {cell(entry.get('ratio'))} "
            f"| {cell(target)} | {met(entry)} | {cell(entry.get('value_s'))} "
            f"| {cell(entry.get('anchor_s'))} | {cell(entry.get('peak_mib'))} |"
        )
    if results["stages"]:
        lines += ["", "| stage | seconds | peak MiB |", "|---|---|---|"]
        for stage, entry in results["stages"].items():
            lines.append(f"| {stage} | {cell(entry['seconds'])} | {cell(entry['peak_mib'])} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scale", type=int, default=1_000_000, help="orders (default 1,000,000)")
    parser.add_argument("--only", default="", help="comma-separated figure ids, e.g. B3,B4")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "benchmarks")
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / ".local" / "bench")
    parser.add_argument(
        "--demo-orders",
        type=int,
        default=DEFAULT_DEMO_ORDERS,
        help="B7's scale: the default demo (20,000 orders); smaller only to test the bench",
    )
    parser.add_argument(
        "--generated",
        type=Path,
        help="a demo folder generated beforehand at this scale (`DATAOPS_STATE_DIR=… dataops"
        " generate --days 365 --orders N`, then its state's `demo` folder); it is moved into"
        " the benchmark's warehouse instead of generating again (10M orders take ~20 minutes)",
    )
    parser.add_argument(
        "--anchors-from-build",
        action="store_true",
        help="B4's and B5's anchor is the suite's first full build (B4's: one day less of data)"
        " instead of a second full refresh and a full build in a pull request schema: at 10M"
        " orders each takes ~20 minutes, and B5's another copy of the marts on disk",
    )
    args = parser.parse_args(argv)
    only = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    shutil.rmtree(args.workdir, ignore_errors=True)
    results = run_suite(
        args.scale,
        args.workdir,
        only,
        args.demo_orders,
        args.generated,
        args.anchors_from_build,
    )
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.output / "latest.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
