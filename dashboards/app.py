"""The app shell: header, navigation, the shared filters, and the page container.

Pages live in `pages/`, one module each. The shell owns the filters every page shares (date
range, countries, channels): it reads them from the link's query string, keeps them in the
`filters-store` that every page callback takes as input, and writes them back to the address
bar and the navigation links, so any view can be shared as a link (`dashboards/sync.py`).
It also holds "Report a data issue" (`dashboards/report.py`) and, in front of every callback,
the request checks of `dashboards/guard.py`.

Nothing here touches the database at import: pages build their layouts in functions and
fill them in callbacks, so importing the app (gunicorn does, once per worker) is cheap and
cannot fail on a down warehouse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dash
import plotly.io
from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import auth, guard, report, sync
from dashboards.components import FILTERS_STORE
from dashboards.filters import Link
from dashboards.queries.shell import latest_test_status
from dashboards.sync import nav_id

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
    guard.install(app)
    _warm_up(app, credentials)
    return app


def shell(pages: list[dict[str, Any]]) -> html.Div:
    return html.Div(
        [
            dcc.Location(id="shell-url", refresh="callback-nav"),
            dcc.Store(id=FILTERS_STORE),
            dcc.Interval(id=sync.RETRY_ID, interval=sync.RETRY_SECONDS * 1000, disabled=True),
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
            report_issue_link(),
        ],
        className="filters",
        id="shell-filters",
    )


def report_issue_link() -> html.A:
    """The link to a prefilled issue, hidden when no repository is configured (see
    `report.repository_url`); the callback below fills in the view."""
    repository = report.repository_url()
    return html.A(
        "Report a data issue",
        id="shell-report-issue",
        className="report-link",
        target="_blank",
        rel="noopener noreferrer",
        href=repository or "",
        hidden=repository is None,
    )


def register_shell_callbacks(app: Dash, pages: list[dict[str, Any]]) -> None:
    sync.register(app, pages)
    register_address_and_navigation(app, pages)

    @app.callback(
        Output("shell-report-issue", "href"),
        Input("shell-url", "pathname"),
        Input(FILTERS_STORE, "data"),
        Input("shell-as-of", "children"),
    )
    def report_link(pathname: Any, stored: Any, as_of: Any) -> str:
        """The prefilled issue for the view on screen now: the store holds it, while the
        address the browser shows is rewritten in place and never reaches the server."""
        repository = report.repository_url()
        if repository is None:
            raise PreventUpdate
        view = stored.get("query") if isinstance(stored, dict) else None
        return report.issue_link(
            repository,
            pathname if isinstance(pathname, str) else None,
            Link.parse(view if isinstance(view, str) else "").query(),
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
