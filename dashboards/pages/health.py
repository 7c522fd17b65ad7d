"""Data health: how fresh each reporting mart is.

A placeholder for the pipeline's observability page; for now it lists the latest day each
reporting mart covers, beside the "data as of" badge every page shows.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, callback, html

from dashboards import data, figures
from dashboards.components import page_header

dash.register_page(
    __name__, path="/health", name="Data health", title="Data health – Northwind Threads", order=5
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data health",
                "How fresh the figures are. The badge beside the filters shows the latest "
                "change to an order that reached the marts; below, the latest day each "
                "reporting table covers. Load and test history will follow here.",
            ),
            html.Div(id="health-message", className="banner banner-error", hidden=True),
            html.Section(
                [
                    html.Div(
                        html.H3("Reporting tables", className="card-title"), className="card-header"
                    ),
                    html.Div(id="health-marts", className="table-wrap"),
                ],
                className="card card-wide",
            ),
        ]
    )


@callback(
    Output("health-marts", "children"),
    Output("health-message", "children"),
    Output("health-message", "hidden"),
    Input("shell-url", "pathname"),
)
def update(_pathname: Any) -> tuple[Any, str, bool]:
    try:
        marts = data.mart_freshness()
    except data.DataUnavailable as exc:
        return None, str(exc), False
    header = html.Tr([html.Th("Table"), html.Th("Latest day"), html.Th("Rows", className="num")])
    body = [
        html.Tr(
            [
                html.Td(html.Code(row["mart"])),
                html.Td(
                    figures.day(row["latest_day"])
                    if row["row_count"] is not None
                    else "not built yet"
                ),
                html.Td(figures.count(row["row_count"]), className="num"),
            ]
        )
        for row in marts
    ]
    return html.Table([html.Thead(header), html.Tbody(body)], className="table"), "", True
