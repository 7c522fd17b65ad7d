"""Data health: can the numbers be trusted? Freshness, tests, rejects, build times, anomalies.

Everything here comes from the run-history marts (`rpt_data_health_*`, views over the
`observability` schema that every pipeline run appends to); `dataops status` prints the same
picture in a terminal.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, callback, html

from dashboards import data, figures
from dashboards.components import chart_card, page_header

dash.register_page(
    __name__, path="/health", name="Data health", title="Data health – Northwind Threads", order=5
)

STATUS_CLASS = {"pass": "ok", "warn": "warn", "error": "bad", "runtime error": "bad"}


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data health",
                "Whether the figures can be trusted: each source's freshness against its limit, "
                "dbt tests, rejected rows and build times per run, and loads whose row count is "
                "far from the usual.",
            ),
            html.Div(id="health-message", className="banner banner-error", hidden=True),
            html.Section(
                [
                    html.Div(html.H3("Sources", className="card-title"), className="card-header"),
                    html.Div(id="health-sources", className="table-wrap"),
                ],
                className="card card-wide",
            ),
            html.Div(
                [
                    chart_card("Tests per run", "health-tests-chart"),
                    chart_card("Rejected rows per run", "health-rejects-chart"),
                    chart_card("Build duration per run (s)", "health-build-chart"),
                ],
                className="cards",
            ),
            html.Section(
                [
                    html.Div(
                        html.H3("Row counts of the latest loads", className="card-title"),
                        className="card-header",
                    ),
                    html.Div(id="health-row-counts", className="table-wrap"),
                ],
                className="card card-wide",
            ),
        ]
    )


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


@callback(
    Output("health-sources", "children"),
    Output("health-tests-chart", "figure"),
    Output("health-rejects-chart", "figure"),
    Output("health-build-chart", "figure"),
    Output("health-row-counts", "children"),
    Output("health-message", "children"),
    Output("health-message", "hidden"),
    Input("shell-url", "pathname"),
)
def update(_pathname: Any) -> tuple[Any, ...]:
    try:
        found = data.health()
    except data.DataUnavailable as exc:
        empty = figures.message("No run history")
        return None, empty, empty, empty, None, str(exc), False
    sources = _table(
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
            for row in found["sources"]
        ],
        numeric={2, 3, 4},
    )
    runs = found["runs"]
    if runs:
        tests = figures.tests_over_time(runs)
        rejects = figures.runs_over_time(runs, "rows_rejected", "rejected rows")
        builds = figures.runs_over_time(runs, "build_duration_s", "seconds")
    else:
        tests = rejects = builds = figures.message("No runs recorded yet")
    row_counts = _table(
        ["Table", "Rows loaded", "Median of previous 7", "Change", "Anomaly"],
        [
            [
                html.Code(f"{row['source_name']}.{row['table_name']}"),
                figures.count(row["rows_loaded"]),
                figures.count(row["median_previous_7"]),
                figures.percent(row["deviation_ratio"]),
                html.Span("anomaly", className="status status-bad") if row["is_anomaly"] else "",
            ]
            for row in found["row_counts"]
        ],
        numeric={1, 2, 3},
    )
    return sources, tests, rejects, builds, row_counts, "", True
