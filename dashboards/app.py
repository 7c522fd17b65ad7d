"""The app shell: header, navigation, the shared filters, and the page container.

Pages live in `pages/`, one module each. The shell owns the filters every page shares (date
range, countries, channels): it reads them from the link's query string, keeps them in the
`filters-store` that every page callback takes as input, and writes them back to the address
bar and the navigation links, so any view can be shared as a link.

Nothing here touches the database at import: pages build their layouts in functions and
fill them in callbacks, so importing the app (gunicorn does, once per worker) is cheap and
cannot fail on a down warehouse.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dash
import plotly.io
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboards import auth, figures, report
from dashboards.components import FILTERS_STORE
from dashboards.db import DataUnavailable
from dashboards.filters import DEFAULT_DAYS, DateRange, Filters, InvalidFilters
from dashboards.queries.shell import (
    available_dates,
    data_as_of,
    filter_options,
    latest_test_status,
)

PAGES_FOLDER = Path(__file__).with_name("pages")
TITLE = "Northwind Threads"


def create_app() -> Dash:
    credentials = auth.credentials_from_env()
    # Dash encodes every callback answer with Plotly's encoder. Its orjson engine walks every
    # value in Python first; the json engine leaves plain values to the C encoder, which
    # halves the time to answer with a chart of a few hundred points (figures are plain).
    plotly.io.json.config.default_engine = "json"
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        title=TITLE,
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    pages = list(dash.page_registry.values())
    app.layout = shell(pages)
    register_shell_callbacks(app, pages)
    if credentials:
        auth.install(app.server, *credentials)
    _warm_up(app, credentials)
    return app


def nav_id(page: dict[str, Any]) -> str:
    return f"shell-nav-{page['module'].rsplit('.', 1)[-1].replace('_', '-')}"


def shell(pages: list[dict[str, Any]]) -> html.Div:
    return html.Div(
        [
            dcc.Location(id="shell-url", refresh="callback-nav"),
            dcc.Store(id=FILTERS_STORE),
            header(pages),
            filters_bar(),
            html.Div(id="shell-banner", hidden=True),
            html.Main(dash.page_container, className="content"),
            # answers with its input: a do-nothing callback, the benchmark's anchor
            html.Div(id="shell-noop", hidden=True),
        ],
        className="shell",
    )


def header(pages: list[dict[str, Any]]) -> html.Header:
    return html.Header(
        [
            html.Div([html.Span("◆", className="brand-mark"), TITLE], className="brand"),
            html.Nav(
                [
                    dcc.Link(
                        page["name"],
                        href=page["relative_path"],
                        id=nav_id(page),
                        className="nav-link",
                    )
                    for page in pages
                ],
                className="nav",
            ),
        ],
        className="header",
    )


def filters_bar() -> html.Div:
    """The filters every page shares, the "data as of" badge and "Report a data issue"."""

    def labelled(label: str, component: Any, class_name: str = "filter") -> html.Div:
        return html.Div(
            [html.Label(label, className="filter-label"), component], className=class_name
        )

    return html.Div(
        [
            labelled(
                "Dates",
                dcc.DatePickerRange(
                    id="filters-date-range",
                    display_format="D MMM YYYY",
                    updatemode="bothdates",
                    first_day_of_week=1,
                    minimum_nights=0,
                ),
                "filter filter-dates",
            ),
            labelled(
                "Countries",
                dcc.Dropdown(
                    id="filters-country", multi=True, placeholder="All countries", options=[]
                ),
            ),
            labelled(
                "Channels",
                dcc.Dropdown(
                    id="filters-channel", multi=True, placeholder="All channels", options=[]
                ),
            ),
            html.Span(id="shell-as-of", className="badge", title="How fresh the data is"),
            html.A(
                "Report a data issue",
                id="shell-report-issue",
                className="report-link",
                target="_blank",
                rel="noopener noreferrer",
                href=report.repository_url(),
            ),
        ],
        className="filters",
        id="shell-filters",
    )


def register_shell_callbacks(app: Dash, pages: list[dict[str, Any]]) -> None:
    register_filter_sync(app, pages)
    register_address_and_navigation(app, pages)

    @app.callback(
        Output("shell-report-issue", "href"),
        Input("shell-url", "pathname"),
        Input("shell-url", "search"),
        Input("shell-as-of", "children"),
    )
    def report_link(pathname: Any, search: Any, as_of: Any) -> str:
        """The prefilled issue for what is on screen now."""
        return report.issue_link(
            pathname if isinstance(pathname, str) else None,
            search if isinstance(search, str) else None,
            as_of if isinstance(as_of, str) else "",
            latest_test_status(),
        )

    @app.callback(
        Output("shell-noop", "children"),
        Input("shell-noop", "className"),
        prevent_initial_call=True,
    )
    def noop(value: Any) -> Any:
        """Does nothing: the benchmark's anchor for the cost of a callback round trip."""
        return value


def register_filter_sync(app: Dash, pages: list[dict[str, Any]]) -> None:
    """The link, the filter components and the store, kept in step."""
    outputs = {
        "start": Output("filters-date-range", "start_date"),
        "end": Output("filters-date-range", "end_date"),
        "min": Output("filters-date-range", "min_date_allowed"),
        "max": Output("filters-date-range", "max_date_allowed"),
        "country_options": Output("filters-country", "options"),
        "countries": Output("filters-country", "value"),
        "channel_options": Output("filters-channel", "options"),
        "channels": Output("filters-channel", "value"),
        "store": Output(FILTERS_STORE, "data"),
        "as_of": Output("shell-as-of", "children"),
        "banner": Output("shell-banner", "children"),
        "banner_class": Output("shell-banner", "className"),
        "banner_hidden": Output("shell-banner", "hidden"),
        "nav": [Output(nav_id(page), "href") for page in pages],
    }
    inputs = {
        "search": Input("shell-url", "search"),
        "start": Input("filters-date-range", "start_date"),
        "end": Input("filters-date-range", "end_date"),
        "countries": Input("filters-country", "value"),
        "channels": Input("filters-channel", "value"),
        "stored": State(FILTERS_STORE, "data"),
    }

    @app.callback(output=outputs, inputs=inputs)
    def sync_filters(
        search: Any, start: Any, end: Any, countries: Any, channels: Any, stored: Any
    ) -> dict[str, Any]:
        """Link -> filters when the address changes; filters -> store and links otherwise."""
        unchanged = {name: no_update for name in outputs}
        unchanged["nav"] = [no_update] * len(pages)
        if ctx.triggered_id in (None, "shell-url"):
            return from_link(search, stored, pages, unchanged)
        try:
            filters = Filters.from_components(start, end, countries, channels)
        except InvalidFilters as exc:
            return {**unchanged, **banner(f"Those filters do not work: {exc}.", "info")}
        return {
            **unchanged,
            **store_update(filters, stored, pages),
            **banner(None),
        }


def register_address_and_navigation(app: Dash, pages: list[dict[str, Any]]) -> None:
    """In the browser: the address follows the store, and the current page's link is marked."""
    app.clientside_callback(
        """
        function (filters) {
            if (filters && typeof filters.query === "string") {
                window.history.replaceState(
                    window.history.state, "", window.location.pathname + filters.query
                );
            }
            return window.dash_clientside.no_update;
        }
        """,
        Output("shell-noop", "title"),
        Input(FILTERS_STORE, "data"),
    )
    paths = [page["relative_path"] for page in pages]
    app.clientside_callback(
        f"""
        function (pathname) {{
            const paths = {json.dumps(paths)};
            return paths.map(path => path === pathname ? "nav-link active" : "nav-link");
        }}
        """,
        [Output(nav_id(page), "className") for page in pages],
        Input("shell-url", "pathname"),
    )


def from_link(
    search: Any, stored: Any, pages: list[dict[str, Any]], unchanged: dict[str, Any]
) -> dict[str, Any]:
    """Every shell output for a link: filter bounds and options, the filters, the badge."""
    try:
        available = available_dates()
        options = filter_options()
        as_of = data_as_of()
    except DataUnavailable:
        fallback = DateRange(date.today() - timedelta(days=DEFAULT_DAYS - 1), date.today())
        filters, _notes = Filters.from_query(search, fallback)
        return {
            **unchanged,
            **component_values(filters),
            **store_update(filters, stored, pages),
            # each page says why its figures are missing; the badge says it for the shell
            "as_of": "Data unavailable",
            **banner(None),
        }
    notes: list[str] = []
    badge = as_of_badge(as_of, available)
    if available is None:
        today = date.today()
        available = DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
        notes.append("No sales in the marts yet: run the pipeline (`dataops run`) and reload.")
    filters, ignored = Filters.from_query(search, available)
    notes.extend(note[0].upper() + note[1:] + "." for note in ignored)
    country_options = sorted(set(options["country"]) | set(filters.countries))
    channel_options = sorted(set(options["channel"]) | set(filters.channels))
    return {
        **unchanged,
        **component_values(filters),
        "min": available.start.isoformat(),
        "max": available.end.isoformat(),
        "country_options": [{"label": code, "value": code} for code in country_options],
        "channel_options": [
            {"label": figures.channel_label(code), "value": code} for code in channel_options
        ],
        **store_update(filters, stored, pages),
        "as_of": badge,
        **banner(" ".join(notes) if notes else None, "info"),
    }


def as_of_badge(as_of: Any, available: DateRange | None) -> str:
    """'Data as of 24 Nov 2025, 06:10 UTC · sales to 23 Nov 2025': the last completed load,
    and the last day with sales it brought."""
    if as_of is None or available is None:
        return "No data yet"
    loaded = figures.day(as_of)
    if isinstance(as_of, datetime):
        loaded += f", {as_of.astimezone(UTC):%H:%M} UTC" if as_of.tzinfo else f", {as_of:%H:%M}"
    return f"Data as of {loaded} · sales to {figures.day(available.end)}"


def component_values(filters: Filters) -> dict[str, Any]:
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "countries": list(filters.countries),
        "channels": list(filters.channels),
    }


def store_update(filters: Filters, stored: Any, pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The store and the navigation links for these filters; no update when unchanged."""
    value = {**filters.to_store(), "query": filters.to_query()}
    if value == stored:
        return {"store": no_update, "nav": [no_update] * len(pages)}
    return {
        "store": value,
        "nav": [page["relative_path"] + value["query"] for page in pages],
    }


def banner(text: str | None, kind: str = "info") -> dict[str, Any]:
    return {
        "banner": text or "",
        "banner_class": f"banner banner-{kind}",
        "banner_hidden": not text,
    }


def _warm_up(app: Dash, credentials: tuple[str, str] | None) -> None:
    """Let Dash finish its one-time setup before any real request arrives.

    Dash sets itself up on the first request it serves; when a threaded worker receives
    several requests at once, the others can run before that setup has registered the
    script bundles and fail with "not a registered library". Serving the layout once here,
    in-process and without touching the database, settles it.
    """
    headers = {"Authorization": auth.basic_header(*credentials)} if credentials else {}
    response = app.server.test_client().get("/_dash-layout", headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"the dashboard layout did not render: HTTP {response.status_code}")


app = create_app()
server = app.server
