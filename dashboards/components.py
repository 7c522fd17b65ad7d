"""Layout pieces every page shares: KPI cards, chart cards with a CSV download, messages.

Also the ids of the shell's components that pages read, so a page never spells them out.
Nothing here queries the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from dashboards import figures
from dashboards.filters import Filters

# The shell's filters store: every page callback takes it as an input.
FILTERS_STORE = "filters-store"

GRAPH_CONFIG = {"displayModeBar": False}


def page_header(title: str, lede: str) -> html.Div:
    return html.Div(
        [html.H2(title, className="page-title"), html.P(lede, className="page-lede")],
        className="page-header",
    )


def kpi(label: str, value_id: str, *, note: str | None = None) -> html.Div:
    """A headline number with a line under it (the change against the previous period)."""
    return html.Div(
        [
            html.Div(label, className="kpi-label"),
            html.Div(figures.NO_VALUE, id=value_id, className="kpi-value"),
            html.Div(note or "", id=f"{value_id}-note", className="kpi-note"),
        ],
        className="kpi",
    )


def chart_card(
    title: str,
    graph_id: str,
    *,
    download_id: str | None = None,
    note: str | None = None,
    wide: bool = False,
    controls: Any = None,
) -> html.Section:
    """A titled chart; with `download_id`, a button that downloads the rows behind it."""
    actions: list[Any] = []
    if controls is not None:
        actions.append(controls)
    if download_id:
        actions.append(
            html.Button(
                "Download CSV",
                id=download_id,
                className="download",
                title="Download the table behind this chart as CSV",
                n_clicks=0,
            )
        )
    children: list[Any] = [
        html.Div(
            [html.H3(title, className="card-title"), html.Div(actions, className="card-actions")],
            className="card-header",
        )
    ]
    if note:
        children.append(html.P(note, className="card-note"))
    children.append(
        dcc.Graph(
            id=graph_id,
            figure=figures.loading(),
            config=GRAPH_CONFIG,
            className="chart",
        )
    )
    return html.Section(children, className="card card-wide" if wide else "card")


def message_area(page: str) -> html.Div:
    """Where a page says that its filters are invalid or its data unavailable."""
    return html.Div(id=f"{page}-message", className="banner banner-error", hidden=True)


def change_note(current: Any, previous: Any, days: int) -> html.Span:
    """'▲ 12.3% vs previous 90 days'; without a previous figure, says there is none."""
    if previous is None:
        return html.Span(f"no data for the previous {days} days", className="change-flat")
    text, direction = figures.change(current, previous)
    if direction == "flat" and text.startswith("no previous"):
        return html.Span(text, className="change change-flat")
    return html.Span(
        [html.Span(text, className=f"change change-{direction}"), f" vs previous {days} days"]
    )


def csv_download(name: str, filters: Filters, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What `dcc.Download` needs to save the rows behind a chart."""
    return {
        "content": figures.to_csv(rows),
        "filename": f"{name}_{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv",
        "type": "text/csv",
        "base64": False,
    }
