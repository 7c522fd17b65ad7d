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
    return app


app = create_app()
server = app.server
