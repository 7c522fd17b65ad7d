"""Figures of the run history, for the data health page: tests, rejected rows and build time
per run. Pure, like `figures`, whose layout and colours they share.

Runs are events, so each is its own place on a category axis, labelled with its start: on a
time axis a single run (a fresh install) zooms the ticks to milliseconds around one dot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dashboards.figures import BRAND, Figure, base_layout, floats

# -- run history --------------------------------------------------------------------------------

# the run axis spans at least this many runs, so that one run is a bar, not the whole width
RUN_SLOTS = 8


def _run_labels(runs: Sequence[dict[str, Any]]) -> list[str]:
    """'7 Dec 19:08' per run, a run's number added where two share a minute: runs are
    events, each its own place on the axis (a time axis zooms to milliseconds around one)."""
    labels: list[str] = []
    for run in runs:
        started = run["started_at"]
        label = (
            f"{started.day} {started:%b %H:%M}" if isinstance(started, datetime) else str(started)
        )
        while label in labels:
            label += "·"
        labels.append(label)
    return labels


def _run_axis(count: int) -> dict[str, Any]:
    padding = max(0.0, (RUN_SLOTS - count) / 2)
    return {
        "type": "category",
        "range": [-0.5 - padding, count - 0.5 + padding],
        "showgrid": False,
    }


def tests_over_time(runs: Sequence[dict[str, Any]]) -> Figure:
    """dbt tests passed and failed per run."""
    started = _run_labels(runs)
    return {
        "data": [
            {
                "type": "bar",
                "x": started,
                "y": floats(runs, "tests_passed"),
                "name": "passed",
                "marker": {"color": "#2e7d32"},
                "hovertemplate": "%{x}<br>%{y:,} passed<extra></extra>",
            },
            {
                "type": "bar",
                "x": started,
                "y": floats(runs, "tests_failed"),
                "name": "failed",
                "marker": {"color": "#c62828"},
                "hovertemplate": "%{x}<br>%{y:,} failed<extra></extra>",
            },
        ],
        "layout": base_layout(
            barmode="stack",
            xaxis=_run_axis(len(runs)),
            yaxis={"title": "tests", "rangemode": "tozero"},
        ),
    }


def runs_over_time(runs: Sequence[dict[str, Any]], column: str, title: str) -> Figure:
    """One measure per run: rejected rows, build seconds."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": _run_labels(runs),
                "y": floats(runs, column),
                "name": title,
                "marker": {"size": 9, "color": BRAND},
                "line": {"color": BRAND},
                # a zero sits on the axis line: drawn whole over it, not cut in half
                "cliponaxis": False,
                "hovertemplate": f"%{{x}}<br>%{{y:,}} {title}<extra></extra>",
            }
        ],
        "layout": base_layout(
            showlegend=False,
            xaxis=_run_axis(len(runs)),
            yaxis={"title": title, "rangemode": "tozero"},
        ),
    }
