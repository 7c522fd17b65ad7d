"""Data health: can the numbers be trusted? Freshness, tests, rejects, build times, anomalies.

Everything here comes from the run-history marts through `dashboards.queries.health`, which
`dataops status` reads too, to print the same picture in a terminal.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards import figures, run_figures
from dashboards.components import page_header
from dashboards.queries import health
from dashboards.views import Chart, Page

dash.register_page(
    __name__, path="/health", name="Data health", title="Data health – Northwind Threads", order=5
)

STATUS_CLASS = {"pass": "ok", "warn": "warn", "error": "bad", "runtime error": "bad"}


def _table(header: list[str], rows: list[list[Any]], numeric: set[int]) -> html.Table:
    return html.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, className="num" if i in numeric else None)
                        for i, h in enumerate(header)
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(c, className="num" if i in numeric else None)
                            for i, c in enumerate(row)
                        ]
                    )
                    for row in rows
                ]
            ),
        ],
        className="table",
    )


def _hours(value: Any) -> str:
    return "–" if value is None else f"{float(value):,.1f} h"


def _sources(rows: list[dict[str, Any]]) -> html.Table:
    return _table(
        ["Source table", "Freshness", "Age", "Warn after", "Error after", "Last successful load"],
        [
            [
                html.Code(f"{row['source_name']}.{row['table_name']}"),
                html.Span(
                    row["freshness_status"],
                    className=f"status status-{STATUS_CLASS.get(row['freshness_status'], 'bad')}",
                    id=f"health-status-{row['source_name']}-{row['table_name']}",
                ),
                _hours(row["age_hours"]),
                _hours(row["warn_after_hours"]),
                _hours(row["error_after_hours"]),
                figures.day(row["last_successful_load_at"]),
            ]
            for row in rows
        ],
        numeric={2, 3, 4},
    )


def _row_counts(rows: list[dict[str, Any]]) -> html.Table:
    return _table(
        ["Table", "Rows loaded", "Median of previous 7", "Change", "Anomaly"],
        [
            [
                html.Code(f"{row['source_name']}.{row['table_name']}"),
                figures.count(row["rows_loaded"]),
                figures.count(row["median_previous_7"]),
                figures.percent(row["deviation_ratio"]),
                html.Span("anomaly", className="status status-bad") if row["is_anomaly"] else "",
            ]
            for row in rows
        ],
        numeric={1, 2, 3},
    )


def build() -> dict[str, Any]:
    found = health.history()
    runs = found["runs"]
    if runs:
        charts = [
            run_figures.tests_over_time(runs),
            run_figures.runs_over_time(runs, "rows_rejected", "rejected rows"),
            run_figures.runs_over_time(runs, "build_duration_s", "seconds"),
        ]
    else:
        charts = [figures.message("No runs recorded yet")] * 3
    return {
        "figures": charts,
        "tables": [_sources(found["sources"]), _row_counts(found["row_counts"])],
    }


PAGE = Page(
    "health",
    build,
    charts=(
        Chart("tests", "Tests per run"),
        Chart("rejects", "Rejected rows per run"),
        Chart("build", "Build duration per run (s)"),
    ),
    tables=("sources", "row-counts"),
    filtered=False,
    unavailable="No run history",
).register()


def _table_card(title: str, table: str) -> html.Section:
    return html.Section(
        [
            html.Div(html.H3(title, className="card-title"), className="card-header"),
            html.Div(id=f"health-{table}", className="table-wrap"),
            html.P("Scroll sideways for more columns →", className="scroll-cue"),
        ],
        className="card card-wide",
    )


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data health",
                "Whether the figures can be trusted: each source's freshness against its limit, "
                "dbt tests, rejected rows and build times per run, and loads whose row count is "
                "far from the usual.",
            ),
            PAGE.message(),
            _table_card("Sources", "sources"),
            html.Div(PAGE.chart_cards(), className="cards"),
            _table_card("Row counts of the latest loads", "row-counts"),
        ]
    )
