"""Ingestion figures: B1, files (CSV and Parquet) through the landing source, and B2, the Shop
API path, each against `psql \\copy` of the same rows into an unindexed table, same run.

    python -m bench.ingest [--scale ROWS] [--workdir DIR] [--files-only | --api-only]

Each load runs in a subprocess of its own: the figure is the time `run_source` takes in it
(extract, normalize, load; the interpreter's start-up is reported beside it as `process_s`),
and its peak memory is the subprocess's maximum RSS. The files are synthetic web sessions
(7 columns, ~80 bytes a CSV line); the API serves synthetic orders with two line items each
from a demo API in a process of its own, so the server does not share the loader's core.
B1m loads a CSV five times larger for its peak memory (the issue's bound: 5M rows in 1 GiB).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bench.common import measured
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings, free_port
from demo.api import DEFAULT_TOKEN as DEMO_TOKEN

TARGETS = {"B1": 1.5, "B2": 10.0}
MEMORY_TARGET_MIB = 1024
LINES_PER_ORDER = 2
CHANNELS = ("organic_search", "paid_search", "social_ads", "email", "affiliate", "direct")
DEVICES = ("mobile", "desktop", "tablet")


SESSIONS_DDL = """
create table {table} (
    session_id bigint, customer_id bigint, channel text, device text,
    started_at timestamptz, pageviews integer, order_id bigint
)"""
ORDERS_DDL = """
create table {table} (
    order_id bigint, customer_id bigint, status text, currency text, channel text,
    ordered_at timestamptz, updated_at timestamptz
)"""
LINES_DDL = """
create table {table} (
    order_id bigint, line_number integer, product_id bigint, quantity integer, unit_price numeric
)"""


# -- data -------------------------------------------------------------------------------------


def sessions(rows: int) -> pa.Table:
    """`rows` synthetic web sessions with the landing table's columns and types."""
    ids = pa.array(range(1, rows + 1), pa.int64())
    seconds = pc.multiply(ids, 7)
    customer = pc.add(pc.remainder(pc.multiply(ids, 7919), 50_000), 1)
    return pa.table(
        {
            "session_id": ids,
            "customer_id": pc.if_else(pc.equal(pc.remainder(ids, 3), 0), None, customer),
            "channel": pc.take(pa.array(CHANNELS), pc.remainder(ids, len(CHANNELS))),
            "device": pc.take(pa.array(DEVICES), pc.remainder(ids, len(DEVICES))),
            "started_at": pc.cast(
                pc.add(pc.multiply(seconds, 1_000_000), 1_735_689_600_000_000),
                pa.timestamp("us", tz="UTC"),
            ),
            "pageviews": pc.cast(pc.add(pc.remainder(ids, 20), 1), pa.int32()),
            "order_id": pc.if_else(
                pc.equal(pc.remainder(ids, 6), 0), pc.divide(ids, 6), pa.scalar(None, pa.int64())
            ),
        }
    )


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV as a file drop would carry it: ISO timestamps with a `Z`, empty for null."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = table.set_column(
        table.schema.get_field_index("started_at"),
        "started_at",
        pc.strftime(
            pc.cast(table["started_at"], pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
        ),
    )
    pa_csv.write_csv(text, path, pa_csv.WriteOptions(quoting_style="none"))


def write_shop(orders: int, state_dir: Path) -> tuple[Path, Path]:
    """A demo shop database of `orders` orders, and the same rows as two CSV files."""
    from demo.generator import DB_FILENAME, SCHEMA_SQL

    state_dir.mkdir(parents=True, exist_ok=True)
    database = state_dir / DB_FILENAME
    database.unlink(missing_ok=True)
    ids = list(range(1, orders + 1))
    # one order a second, as a shop's own clock would stamp them
    start = datetime(2025, 1, 1, tzinfo=UTC)
    stamps = [(start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in ids]
    order_rows = [
        (i, i % 50_000 + 1, "placed", "EUR", CHANNELS[i % 6], stamps[i - 1], stamps[i - 1])
        for i in ids
    ]
    line_rows = [
        (i, line, (i * line) % 150 + 1, line, round(9.5 + i % 50, 2))
        for i in ids
        for line in range(1, LINES_PER_ORDER + 1)
    ]
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.executescript(SCHEMA_SQL)
        conn.executemany("insert into orders values (?, ?, ?, ?, ?, ?, ?)", order_rows)
        conn.executemany("insert into order_items values (?, ?, ?, ?, ?)", line_rows)
        conn.commit()
    orders_csv, lines_csv = state_dir / "orders.csv", state_dir / "order_items.csv"
    pa_csv.write_csv(
        pa.table(
            list(zip(*order_rows, strict=True)),
            names=[
                "order_id",
                "customer_id",
                "status",
                "currency",
                "channel",
                "ordered_at",
                "updated_at",
            ],
        ),
        orders_csv,
    )
    pa_csv.write_csv(
        pa.table(
            list(zip(*line_rows, strict=True)),
            names=["order_id", "line_number", "product_id", "quantity", "unit_price"],
        ),
        lines_csv,
    )
    return orders_csv, lines_csv


# -- measuring --------------------------------------------------------------------------------


def _measured(command: list[str], env: dict[str, str]) -> dict:
    """Run `command`; its wall time, peak RSS, and the `BENCH_LOAD` line it printed."""
    return measured(command, env, reports=("BENCH_LOAD ",))


def _env(settings: WarehouseSettings, workdir: Path) -> dict[str, str]:
    skip = ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        DATABASE_URL=settings.url(),
        DATAOPS_STATE_DIR=str(workdir / "state"),
        DLT_DATA_DIR=str(workdir / "state" / "dlt"),
        DLT_PROJECT_DIR=str(REPO_ROOT),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    return env


def copy_in(settings: WarehouseSettings, ddl: str, table: str, path: Path, workdir: Path) -> dict:
    """`psql \\copy` of a CSV file into a new unindexed table: the anchor."""
    from bench.common import psql_binary

    env = {**_env(settings, workdir), **settings.libpq_env()}
    psql = [psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    create = ddl.format(table=table)
    subprocess.run(
        [*psql, "-c", f"drop table if exists {table}", "-c", create],
        env=env,
        check=True,
        capture_output=True,
    )
    return _measured(
        [*psql, "-c", f"\\copy {table} from '{path}' with (format csv, header true)"], env
    )


def load(settings: WarehouseSettings, workdir: Path, name: str, **arguments: str) -> dict:
    """Load one source in a subprocess of its own (`python -m bench.ingest --load`)."""
    command = [sys.executable, "-m", "bench.ingest", "--load", name]
    for key, value in arguments.items():
        command += ["--arg", f"{key}={value}"]
    return _measured(command, _env(settings, workdir))


@contextlib.contextmanager
def demo_api(state_dir: Path, workdir: Path) -> Iterator[str]:
    """The demo Shop API in a process of its own; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "demo.api", "--state-dir", str(state_dir), "--port", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, "DEMO_API_FAULTS": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        import requests

        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base_url}/health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the demo API did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _loaded(*loads: dict) -> int:
    """Rows the loads put in raw tables, rejects aside."""
    return sum(
        rows
        for load_result in loads
        for table_name, rows in load_result.get("counts", {}).items()
        if table_name != "_rejected_rows"
    )


def _figure(value: dict, anchor_seconds: float, target: float | None, rows: int) -> dict:
    return {
        "ratio": round(value["load_s"] / anchor_seconds, 3) if anchor_seconds else None,
        "target": target,
        "value_s": round(value["load_s"], 3),
        "anchor_s": round(anchor_seconds, 3),
        "peak_mib": round(value["peak_mib"], 1),
        "process_s": round(value["seconds"], 3),
        "rows": rows,
        "rows_loaded": value.get("rows_loaded", _loaded(value)),
        "rows_per_s": round(rows / value["load_s"]) if value["load_s"] else None,
    }


# -- the figures ------------------------------------------------------------------------------


def run(
    scale_orders: int,
    workdir: Path,
    settings: WarehouseSettings,
    *,
    memory_factor: int = 5,
    files_only: bool = False,
    api_only: bool = False,
) -> dict:
    """B1 (CSV and Parquet files), B1m (memory on a file `memory_factor` times larger) and B2
    (the API path, left out with `files_only`; alone with `api_only`), at `scale_orders` rows
    (orders for B2)."""
    workdir.mkdir(parents=True, exist_ok=True)
    # the database is new every run: dlt state left by an earlier run (its incremental
    # cursors) would make the loads skip rows
    shutil.rmtree(workdir / "state", ignore_errors=True)
    if api_only:
        return {"B2": api_figure(scale_orders, workdir, settings)}
    figures = file_figures(scale_orders, workdir, settings)
    figures["B1m"] = memory_figure(memory_factor * scale_orders, workdir, settings)
    if not files_only:
        figures["B2"] = api_figure(scale_orders, workdir, settings)
    return figures


def file_figures(rows: int, workdir: Path, settings: WarehouseSettings) -> dict:
    """B1: `rows` web sessions as a CSV and as a Parquet file against `psql \\copy`."""
    data = sessions(rows)
    csv_dir, parquet_dir = workdir / "csv", workdir / "parquet"
    csv_file = csv_dir / "web_sessions" / "sessions.csv"
    write_csv(data, csv_file)
    (parquet_dir / "web_sessions").mkdir(parents=True, exist_ok=True)
    pq.write_table(data, parquet_dir / "web_sessions" / "sessions.parquet")
    del data

    copy_sessions = copy_in(settings, SESSIONS_DDL, "bench_copy_sessions", csv_file, workdir)
    csv_load = load(settings, workdir, "bench_csv", bucket_url=csv_dir.as_uri())
    parquet_load = load(settings, workdir, "bench_parquet", bucket_url=parquet_dir.as_uri())
    return {
        "B1": _figure(
            {
                "load_s": csv_load["load_s"] + parquet_load["load_s"],
                "seconds": csv_load["seconds"] + parquet_load["seconds"],
                "peak_mib": max(csv_load["peak_mib"], parquet_load["peak_mib"]),
                "rows_loaded": _loaded(csv_load, parquet_load),
            },
            2 * copy_sessions["seconds"],
            TARGETS["B1"],
            2 * rows,
        ),
        "B1.csv": _figure(csv_load, copy_sessions["seconds"], TARGETS["B1"], rows),
        "B1.parquet": _figure(parquet_load, copy_sessions["seconds"], TARGETS["B1"], rows),
    }


def memory_figure(rows: int, workdir: Path, settings: WarehouseSettings) -> dict:
    """B1m: the peak memory of loading a CSV of `rows` web sessions."""
    big_dir = workdir / "csv_big"
    write_csv(sessions(rows), big_dir / "web_sessions" / "sessions.csv")
    big = load(settings, workdir, "bench_csv_big", bucket_url=big_dir.as_uri())
    (big_dir / "web_sessions" / "sessions.csv").unlink()
    return {
        "ratio": None,
        "target": None,
        "value_s": round(big["load_s"], 3),
        "anchor_s": None,
        "peak_mib": round(big["peak_mib"], 1),
        "target_peak_mib": MEMORY_TARGET_MIB,
        "rows": rows,
        "rows_loaded": _loaded(big),
    }


def api_figure(rows: int, workdir: Path, settings: WarehouseSettings) -> dict:
    """B2: `rows` orders and their line items from the demo API against `psql \\copy`."""
    shop_dir = workdir / "shop"
    orders_csv, lines_csv = write_shop(rows, shop_dir)
    copy_orders = copy_in(settings, ORDERS_DDL, "bench_copy_orders", orders_csv, workdir)
    copy_lines = copy_in(settings, LINES_DDL, "bench_copy_order_items", lines_csv, workdir)
    with demo_api(shop_dir, workdir) as base_url:
        api_load = load(settings, workdir, "bench_api", base_url=base_url, api_token=DEMO_TOKEN)
    return _figure(
        api_load,
        copy_orders["seconds"] + copy_lines["seconds"],
        TARGETS["B2"],
        rows * (1 + LINES_PER_ORDER),
    )


# -- command line -----------------------------------------------------------------------------


def _load_here(name: str, arguments: dict[str, str]) -> None:
    """The subprocess side of `load`: run one source and print how long `run_source` took."""
    from dataops.core.warehouse import resolve
    from ingestion.registry import SOURCES, Source, run_source

    base = SOURCES["shop"] if "base_url" in arguments else SOURCES["landing"]
    source = Source(name, base.factory, base.loader_file_format)
    settings = resolve(start=False)
    started = time.perf_counter()
    counts = run_source(source, settings, **arguments)
    elapsed = time.perf_counter() - started
    print("BENCH_LOAD " + json.dumps({"load_s": elapsed, "counts": counts}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--scale", type=int, default=1_000_000, help="rows (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / ".local" / "bench-ingest")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--files-only", action="store_true", help="only B1 and B1m")
    only.add_argument("--api-only", action="store_true", help="only B2")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--arg", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        _load_here(args.load, dict(item.split("=", 1) for item in args.arg))
        return 0

    from bench.common import bench_warehouse

    with bench_warehouse(args.workdir) as w:
        figures = run(
            args.scale,
            args.workdir,
            w.settings,
            files_only=args.files_only,
            api_only=args.api_only,
        )
    print(table(figures))
    return 0


def table(figures: dict) -> str:
    """The figures as a fixed-width text table."""
    columns = [
        ("ratio", 7),
        ("target", 7),
        ("value_s", 9),
        ("anchor_s", 9),
        ("peak_mib", 9),
        ("rows", 10),
        ("rows_per_s", 10),
    ]
    lines = ["figure     " + "".join(f"{name:>{width + 1}}" for name, width in columns)]
    for figure_id, entry in figures.items():
        cells = "".join(
            f"{'-' if entry.get(name) is None else entry[name]:>{width + 1}}"
            for name, width in columns
        )
        lines.append(f"{figure_id:<11}{cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
