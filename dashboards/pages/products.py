"""Products: the top sellers by net revenue, and return rates by category and product."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards import figures
from dashboards.filters import Filters
from dashboards.queries import products
from dashboards.queries.products import TOP_PRODUCTS
from dashboards.views import Chart, NoData, Page

dash.register_page(
    __name__, path="/products", name="Products", title="Products – Northwind Threads", order=4
)


def build(filters: Filters) -> dict[str, Any]:
    sales = products.product_sales(filters)
    top, categories = sales["top"], sales["categories"]
    if not top:
        raise NoData("No product sales for these filters")
    return {
        "figures": [
            figures.ranked_bars(top, "product_name", "net_revenue_eur"),
            figures.ranked_bars(
                categories,
                "category",
                "return_rate",
                value_format="percent",
                color=figures.ACCENT,
                display=figures.category_label,
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


def top_products(filters: Filters) -> tuple[str, list[dict[str, Any]]]:
    return "top_products", products.product_sales(filters)["top"]


PAGE = Page(
    "products",
    build,
    charts=(
        Chart("top", f"Top {TOP_PRODUCTS} products by net revenue", rows=top_products, wide=True),
        Chart(
            "returns",
            "Return rate by category",
            rows=lambda filters: (
                "return_rates_by_category",
                products.product_sales(filters)["categories"],
            ),
        ),
        Chart("product-returns", "Return rate of the top products", rows=top_products),
    ),
).register()


def layout(**_query: str) -> html.Div:
    return PAGE.layout(
        "Products",
        f"The {TOP_PRODUCTS} products that brought in the most net revenue, and "
        "the share of units sold that came back.",
    )
