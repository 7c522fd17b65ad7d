"""The products page: the best sellers, and return rates by category and product.

Each answer comes from the smallest mart that holds it; they all sum the same order lines,
so which one answers never changes a figure.
"""

from __future__ import annotations

from dashboards.cache import query
from dashboards.db import Row, bind
from dashboards.filters import Filters

TOP_PRODUCTS = 15


def product_sales(filters: Filters) -> dict[str, list[Row]]:
    """The best-selling products by net revenue, and every category, with return rates."""
    categories = sorted(
        _returns_by_category(filters),
        key=lambda row: (-(row["return_rate"] or -1), row["category"]),
    )
    return {"top": _top_products(filters), "categories": categories}


# What each product or category sold and how much of it came back, summed over a product mart.
SOLD_AND_RETURNED = """
            sum(units_sold) as units_sold,
            sum(units_returned) as units_returned,
            sum(net_revenue_eur) as net_revenue_eur,
            cast(sum(units_returned) as numeric) / nullif(sum(units_sold), 0) as return_rate
"""
PER_PRODUCT = (
    """
        select
            product_id,
            product_name,
            category,
"""
    + SOLD_AND_RETURNED
)
BEST_SELLERS_FIRST = """
        group by product_id, product_name, category
        order by net_revenue_eur desc, product_id
        limit %(limit)s
"""


def _top_products(filters: Filters) -> list[Row]:
    """Without country or channel filters, from the totals per product and day; with either,
    from the product rollup, which is stored and indexed by country, channel and day."""
    if not (filters.countries or filters.channels):
        template = (
            PER_PRODUCT
            + """
        from {marts}.rpt_product_totals_daily
        where sales_date between %(start)s and %(end)s
"""
        )
    else:
        template = (
            PER_PRODUCT
            + """
        from {marts}.rpt_product_sales_daily
        where sales_date between %(start)s and %(end)s
            {segment}
"""
        )
    return query(template + BEST_SELLERS_FIRST, bind(filters, limit=TOP_PRODUCTS))


def _returns_by_category(filters: Filters) -> list[Row]:
    return query(
        """
        select
            category,
"""
        + SOLD_AND_RETURNED
        + """
        from {marts}.rpt_category_sales_daily
        where sales_date between %(start)s and %(end)s
            {segment}
        group by category
        """,
        bind(filters),
    )
