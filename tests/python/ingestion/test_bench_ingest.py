"""The ingestion benchmark's code at a tiny scale: every figure, every row loaded; no speeds."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pa_csv

from bench.ingest import _loaded, run, sessions, table, write_csv
from dataops.core.warehouse import WarehouseSettings

ROWS = 2_000


def test_every_figure_is_measured_on_all_the_rows(
    fresh_database: WarehouseSettings, tmp_path: Path
) -> None:
    figures = run(ROWS, tmp_path, fresh_database, memory_factor=2)

    assert set(figures) == {"B1", "B1.csv", "B1.parquet", "B1m", "B2"}
    expected_rows = {"B1": 2 * ROWS, "B1.csv": ROWS, "B1.parquet": ROWS, "B1m": 2 * ROWS}
    expected_rows["B2"] = 3 * ROWS  # orders and two line items each
    for figure_id, entry in figures.items():
        assert entry["rows_loaded"] == expected_rows[figure_id], figure_id
        assert entry["value_s"] > 0 and entry["peak_mib"] > 0, figure_id
    for figure_id in ("B1", "B2"):
        assert figures[figure_id]["ratio"] > 0 and figures[figure_id]["anchor_s"] > 0
    assert "B2" in table(figures)


def test_rejected_rows_do_not_count_as_loaded() -> None:
    assert _loaded({"counts": {"web_sessions": 5, "_rejected_rows": 2}}) == 5


def test_the_csv_carries_the_rows_as_a_drop_would(tmp_path: Path) -> None:
    path = tmp_path / "sessions.csv"
    write_csv(sessions(10), path)

    read = pa_csv.read_csv(path)
    assert read.num_rows == 10
    assert read["customer_id"].null_count == 3
    assert path.read_text().splitlines()[1].split(",")[4] == "2025-01-01T00:00:07Z"
