"""Products: the top sellers by net revenue, and return rates by category and product."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import data, figures
from dashboards.components import (
    FILTERS_STORE,
    chart_card,
    csv_download,
    message_area,
    page_header,
)
from dashboards.filters import Filters, InvalidFilters
from dashboards.views import NoData, page_outputs

dash.register_page(
    __name__, path="/products", name="Products", title="Products – Northwind Threads", order=4
)

CHARTS = ("top", "returns", "product-returns")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Products",
                f"The {data.TOP_PRODUCTS} products that brought in the most net revenue, and "
                "the share of units sold that came back.",
            ),
            message_area("products"),
            html.Div(
                [
                    chart_card(
                        f"Top {data.TOP_PRODUCTS} products by net revenue",
                        "products-top-chart",
                        download_id="products-top-download",
                        wide=True,
                    ),
                    chart_card(
                        "Return rate by category",
                        "products-returns-chart",
                        download_id="products-returns-download",
                    ),
                    chart_card(
                        "Return rate of the top products",
                        "products-product-returns-chart",
                        download_id="products-product-returns-download",
                    ),
                ],
                className="cards",
            ),
            dcc.Download(id="products-download"),
        ]
    )


@callback(
    output={
        "figures": [Output(f"products-{chart}-chart", "figure") for chart in CHARTS],
        "message": Output("products-message", "children"),
        "hidden": Output("products-message", "hidden"),
    },
    inputs={"stored": Input(FILTERS_STORE, "data")},
)
def update(stored: Any) -> dict[str, Any]:
    return page_outputs(stored, build, blanks)


def build(filters: Filters) -> dict[str, Any]:
    sales = data.product_sales(filters)
    top, categories = sales["top"], sales["categories"]
    if not top:
        raise NoData("No product sales for these filters")
    return {
        "figures": [
            figures.ranked_bars(top, "product_name", "net_revenue_eur"),
            figures.ranked_bars(
                categories, "category", "return_rate", value_format="percent", color=figures.ACCENT
            ),
            figures.ranked_bars(
                sorted(top, key=lambda row: row["return_rate"] or 0, reverse=True),
                "product_name",
                "return_rate",
                value_format="percent",
                color=figures.ACCENT,
            ),
        ],
    }


def blanks(text: str) -> dict[str, Any]:
    return {"figures": [figures.message(text) for _ in CHARTS]}


@callback(
    Output("products-download", "data"),
    *[Input(f"products-{chart}-download", "n_clicks") for chart in CHARTS],
    State(FILTERS_STORE, "data"),
    prevent_initial_call=True,
)
def download(*args: Any) -> dict[str, Any]:
    try:
        filters = Filters.from_store(args[-1])
        if dash.ctx.triggered_id == "products-returns-download":
            rows = data.product_sales(filters)["categories"]
            return csv_download("return_rates_by_category", filters, rows)
        if dash.ctx.triggered_id in ("products-top-download", "products-product-returns-download"):
            return csv_download("top_products", filters, data.product_sales(filters)["top"])
    except (InvalidFilters, data.DataUnavailable):
        pass
    raise PreventUpdate
