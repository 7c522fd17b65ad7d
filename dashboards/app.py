"""The app shell: header, navigation, and the page container. Pages live in `pages/`.

Nothing here touches the database: pages build their layouts in functions, so importing
the app (gunicorn does, once per worker) is cheap and cannot fail on a down warehouse.
"""

from pathlib import Path

import dash
from dash import Dash, dcc, html

PAGES_FOLDER = Path(__file__).with_name("pages")


def create_app() -> Dash:
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        title="Northwind Threads – Sales",
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = html.Div(
        [
            html.Header(
                [
                    html.H1("Northwind Threads", className="brand"),
                    html.Nav(
                        [
                            dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
                            for page in dash.page_registry.values()
                        ],
                        className="nav",
                    ),
                ],
                className="header",
            ),
            html.Main(dash.page_container, className="content"),
        ],
        className="shell",
    )
    _warm_up(app)
    return app


def _warm_up(app: Dash) -> None:
    """Let Dash finish its one-time setup before any real request arrives.

    Dash sets itself up on the first request it serves; when a threaded worker receives
    several requests at once, the others can run before that setup has registered the
    script bundles and fail with "not a registered library". Serving the layout once here,
    in-process and without touching the database, settles it.
    """
    response = app.server.test_client().get("/_dash-layout")
    if response.status_code != 200:
        raise RuntimeError(f"the dashboard layout did not render: HTTP {response.status_code}")


app = create_app()
server = app.server
