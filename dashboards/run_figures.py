"""Figures of the run history, for the data health page: tests, rejected rows and build time
per run. Pure, like `figures`, whose layout and colours they share.

Runs are events, so each is its own place on a category axis, labelled with its start: on a
time axis a single run (a fresh install) zooms the ticks to milliseconds around one dot. Only a
few places carry their label under the axis (Plotly would label nearly every category and, its
labels kept level, draw "7 Dec 21:25" over "7 Dec 21:26"); every run keeps its bar or point and
its full label in the hover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dashboards.figures import BRAND, Figure, base_layout, floats

# -- run history --------------------------------------------------------------------------------

# the run axis spans at least this many runs, so that one run is a bar, not the whole width
RUN_SLOTS = 8
# the most labels under the run axis: at a phone's width (375 px) the axis is ~200 px long and
# a label ~45 px wide, written on two lines ("30 Nov" over "23:56": on one, ~80 px), so three
# a third of the axis apart leave a gap between them however many runs there are
RUN_LABELS = 3


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


def _labelled(labels: Sequence[str]) -> list[str]:
    """The runs whose label goes under the axis: every `step`-th, counted back from the newest
    (always labelled). The step is reckoned in the axis' places, which are never fewer than
    `RUN_SLOTS`, so that labelled runs stand at least a third of the axis apart."""
    step = math.ceil(max(len(labels), RUN_SLOTS) / RUN_LABELS)
    return list(labels[::-1][::step][::-1])


def _two_lines(label: str) -> str:
    """'30 Nov<br>23:56' for '30 Nov 23:56': the day over the time, half as wide."""
    day, _, time = label.rpartition(" ")
    return f"{day}<br>{time}" if day else label


def _run_axis(labels: Sequence[str]) -> dict[str, Any]:
    count = len(labels)
    padding = max(0.0, (RUN_SLOTS - count) / 2)
    shown = _labelled(labels)
    return {
        "type": "category",
        "range": [-0.5 - padding, count - 0.5 + padding],
        "showgrid": False,
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": [_two_lines(label) for label in shown],
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
            xaxis=_run_axis(started),
            yaxis={"title": "tests", "rangemode": "tozero"},
        ),
    }


def runs_over_time(runs: Sequence[dict[str, Any]], column: str, title: str) -> Figure:
    """One measure per run: rejected rows, build seconds."""
    started = _run_labels(runs)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": started,
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
            xaxis=_run_axis(started),
            yaxis={"title": title, "rangemode": "tozero"},
        ),
    }
