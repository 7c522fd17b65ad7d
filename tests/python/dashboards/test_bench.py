"""The dashboard benchmark (B6) measures what it says, on a few requests; no timing is judged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.dashboard import Dashboard
from support.warehouse import Warehouse

from bench import dashboard as bench


def test_the_anchor_callback_does_nothing_but_answer(dashboard: Dashboard) -> None:
    out = dashboard.call("shell-noop.children", {"shell-noop.className": "ping"})
    assert out == {"shell-noop": {"children": "ping"}}


def test_the_benchmark_posts_the_callbacks_the_browser_posts(dashboard: Dashboard) -> None:
    client = bench.Callbacks(dashboard.url)
    view = client.default_view()
    for page, (output, extra) in bench.PAGE_CALLBACKS.items():
        fresh = client.post(client.body(output, {"filters-store.data": view, **extra}))
        # a real answer with a drawn chart, not a message about bad input
        assert fresh[f"{page}-message"]["hidden"] is True, page
        assert fresh[output.split(".")[0]]["figure"]["data"], page
    assert bench.shifted(view, 1)["end"] < view["end"]


def test_the_benchmark_reports_b6_in_the_suite_format(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium and chromedriver are not installed")
        pytest.skip("Chromium and chromedriver are not installed")
    figures = bench.run(tmp_path, built_warehouse.settings, requests_per_callback=5)
    assert set(figures) == {"B6", "B6 fresh", "B6 first load"}
    b6 = figures["B6"]
    assert set(b6["callbacks"]) == {*bench.PAGE_CALLBACKS, "shell"}
    assert b6["ratio"] == pytest.approx(b6["value_s"] / b6["anchor_s"], rel=0.01)
    assert b6["target"] == 3.0
    assert b6["target_p95_ms"] == 100.0
    assert b6["anchor_s"] > 0 and b6["peak_mib"] > 0
    load = figures["B6 first load"]
    assert load["target_s"] == 1.0
    assert load["value_s"] > 0 and load["first_figures_s"] > 0
    fresh = figures["B6 fresh"]
    assert fresh["target"] is None and fresh["target_p95_ms"] == 100.0
    assert fresh["p95_ms"] == pytest.approx(fresh["value_s"] * 1000, abs=0.1)
