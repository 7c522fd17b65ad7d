"""A page's callbacks, written once: the page declares its KPIs, charts and tables and how to
build them; `Page` lays out the cards, registers the callback that fills them and the one that
downloads the rows behind a chart.

The update callback reads the filters from the shell's store, answers from the cache when the
view was asked for since the marts last changed, and turns bad filters, an empty selection or
an unavailable warehouse into the page's message and blank cards whose charts say why. Its
outputs, by group: `values` and `notes` (each KPI's number and the line under it), `figures`
(each chart, in the order declared), `tables` (each table's children), and the message area's
`message` and `hidden`.

A page gives `build(filters, *options)`, returning those groups (without the message) for one
view and raising `NoData` when the filters select nothing. A page that does not follow the
filters (`filtered=False`, the data health page) is built afresh on every visit from
`build()`.

Component ids follow `<page>-<thing>`: `<page>-kpi-<name>` and its `-note`,
`<page>-<chart>-chart` and `<page>-<chart>-download`, `<page>-<table>`, `<page>-message`,
`<page>-download`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import figures
from dashboards.cache import remembered
from dashboards.components import (
    FILTERS_STORE,
    chart_card,
    csv_download,
    kpi,
    message_area,
    page_header,
)
from dashboards.db import DataUnavailable, Row
from dashboards.filters import Filters, InvalidFilters, choose

Outputs = dict[str, Any]
# A chart's download: (filters, *options) -> the file name's stem and the rows.
Rows = Callable[..., tuple[str, Sequence[Row]]]


class NoData(Exception):
    """The filters select no rows; the message is what the page's charts say."""


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str


@dataclass(frozen=True)
class Chart:
    """A chart card; with `rows`, a Download CSV button that saves the rows behind it."""

    name: str
    title: str
    rows: Rows | None = None
    note: str | None = None
    wide: bool = False


@dataclass(frozen=True)
class Option:
    """One of the page's own inputs besides the filters, read through an allowlist."""

    component_id: str
    allowed: dict[str, Any]
    label: str


@dataclass(frozen=True)
class Page:
    """One page: its name (the ids' prefix), `build`, and what it shows. `kpi_notes=False`
    leaves the lines under the KPIs as the layout has them; `tables` are ids whose children
    `build` gives; `unavailable` is what the charts say when the data cannot be read."""

    name: str
    build: Callable[..., Outputs]
    charts: tuple[Chart, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    kpi_notes: bool = True
    tables: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    filtered: bool = True
    unavailable: str = "Not available"

    # -- layout -----------------------------------------------------------------------------

    def layout(self, title: str, lede: str, controls: dict[str, Any] | None = None) -> html.Div:
        """Header, message, KPI cards, chart cards and the download, in that order."""
        children: list[Any] = [page_header(title, lede), self.message()]
        if self.kpis:
            children.append(self.kpi_cards())
        children.append(html.Div(self.chart_cards(controls), className="cards"))
        if self.downloads():
            children.append(dcc.Download(id=f"{self.name}-download"))
        return html.Div(children)

    def message(self) -> html.Div:
        return message_area(self.name)

    def kpi_cards(self) -> html.Div:
        return html.Div(
            [kpi(item.label, f"{self.name}-kpi-{item.name}") for item in self.kpis],
            className="kpis",
        )

    def chart_cards(self, controls: dict[str, Any] | None = None) -> list[html.Section]:
        """A card per chart; `controls` puts a component in a chart's header, by chart name."""
        return [
            chart_card(
                chart.title,
                f"{self.name}-{chart.name}-chart",
                download_id=f"{self.name}-{chart.name}-download" if chart.rows else None,
                note=chart.note,
                wide=chart.wide,
                controls=(controls or {}).get(chart.name),
            )
            for chart in self.charts
        ]

    def downloads(self) -> list[Chart]:
        return [chart for chart in self.charts if chart.rows]

    # -- callbacks --------------------------------------------------------------------------

    def register(self) -> Page:
        """Register the page's update callback, and its download callback if it has one;
        once, when the page's module is imported."""
        dash.callback(output=self._outputs(), inputs=self._inputs())(self.update)
        if self.downloads():
            dash.callback(
                Output(f"{self.name}-download", "data"),
                *[
                    Input(f"{self.name}-{chart.name}-download", "n_clicks")
                    for chart in self.downloads()
                ],
                State(FILTERS_STORE, "data"),
                *[State(option.component_id, "value") for option in self.options],
                prevent_initial_call=True,
            )(self.download)
        return self

    def _outputs(self) -> dict[str, Any]:
        groups = {
            "values": [Output(f"{self.name}-kpi-{item.name}", "children") for item in self.kpis],
            "notes": [
                Output(f"{self.name}-kpi-{item.name}-note", "children")
                for item in (self.kpis if self.kpi_notes else ())
            ],
            "figures": [
                Output(f"{self.name}-{chart.name}-chart", "figure") for chart in self.charts
            ],
            "tables": [Output(f"{self.name}-{table}", "children") for table in self.tables],
        }
        return {
            **{group: outputs for group, outputs in groups.items() if outputs},
            "message": Output(f"{self.name}-message", "children"),
            "hidden": Output(f"{self.name}-message", "hidden"),
        }

    def _inputs(self) -> dict[str, Any]:
        if not self.filtered:
            # built afresh whenever the page is opened: the path stands where the store would
            return {"stored": Input("shell-url", "pathname")}
        return {
            "stored": Input(FILTERS_STORE, "data"),
            **{f"option{i}": Input(o.component_id, "value") for i, o in enumerate(self.options)},
        }

    def blanks(self, text: str) -> Outputs:
        """Every output empty, each chart showing `text`."""
        groups = {
            "values": [figures.NO_VALUE] * len(self.kpis),
            "notes": [""] * len(self.kpis) if self.kpi_notes else [],
            "figures": [figures.message(text) for _ in self.charts],
            "tables": [None] * len(self.tables),
        }
        return {group: value for group, value in groups.items() if value}

    def update(self, stored: Any, **options: Any) -> Outputs:
        """The outputs of the page for the filters in the store (and the page's options)."""
        if self.filtered and stored is None:
            raise PreventUpdate
        try:
            values = [options[f"option{index}"] for index in range(len(self.options))]
            outputs = self._answer(stored, values)
        except (InvalidFilters, DataUnavailable) as exc:
            return {**self.blanks(self.unavailable), "message": str(exc), "hidden": False}
        except NoData as exc:
            return {**self.blanks(str(exc)), "message": "", "hidden": True}
        return {**outputs, "message": "", "hidden": True}

    def _answer(self, stored: Any, values: list[Any]) -> Outputs:
        if not self.filtered:
            return self.build()
        filters = Filters.from_store(stored)
        return remembered(self.build, filters, *self._chosen(values))

    def _chosen(self, values: list[Any]) -> tuple[Any, ...]:
        return tuple(
            choose(value, option.allowed, option.label)
            for value, option in zip(values, self.options, strict=True)
        )

    def download(self, *args: Any) -> dict[str, Any]:
        """The rows behind the chart whose button was clicked, as a CSV file."""
        values = list(args[len(self.downloads()) :])
        stored, options = values[0], values[1:]
        by_button = {f"{self.name}-{chart.name}-download": chart for chart in self.downloads()}
        chart = by_button.get(str(dash.ctx.triggered_id))
        if chart is None or chart.rows is None:
            raise PreventUpdate
        try:
            filters = Filters.from_store(stored)
            stem, rows = chart.rows(filters, *self._chosen(options))
        except (InvalidFilters, DataUnavailable):
            raise PreventUpdate from None
        return csv_download(stem, filters, rows)
