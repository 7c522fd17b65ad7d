"""'Report a data issue': a link that opens a prefilled issue in the project's repository.

The issue carries what a data engineer needs to reproduce what the stakeholder saw: the page,
its filters (the shareable link), the marts behind the page, how fresh the data was, and the
latest test status. The repository comes from `DATAOPS_REPOSITORY_URL`.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

DEFAULT_REPOSITORY = "https://github.com/example/dataops-retail"

# the marts each page reads (the dashboard's exposures in models/marts say the same)
MARTS_BY_PAGE = {
    "/": ["rpt_kpis_daily", "rpt_revenue_daily", "rpt_targets_monthly"],
    "/sales": ["rpt_revenue_daily", "rpt_category_sales_daily"],
    "/customers": ["rpt_customer_cohorts", "dim_customers"],
    "/marketing": ["rpt_marketing_daily"],
    "/products": [
        "rpt_product_totals_daily",
        "rpt_product_sales_daily",
        "rpt_category_sales_daily",
    ],
    "/health": ["rpt_data_health_sources", "rpt_data_health_runs", "rpt_data_health_row_counts"],
}


def repository_url() -> str:
    return os.environ.get("DATAOPS_REPOSITORY_URL", DEFAULT_REPOSITORY).rstrip("/")


def issue_link(pathname: str | None, search: str | None, as_of: str, tests: str) -> str:
    """The new-issue URL, prefilled; every value is URL-encoded."""
    page = pathname if pathname in MARTS_BY_PAGE else "/"
    view = f"{page}{search or ''}"
    body = "\n".join(
        [
            "**What looks wrong?**",
            "",
            "<!-- describe the number you expected and the one you see -->",
            "",
            "**Where**",
            f"- page: `{page}`",
            f"- view (filters): `{view}`",
            f"- marts: {', '.join(f'`{mart}`' for mart in MARTS_BY_PAGE[page])}",
            f"- data as of: {as_of or 'unknown'}",
            f"- latest tests: {tests}",
        ]
    )
    query = urlencode({"title": f"Data issue on {page}", "body": body, "labels": "data-issue"})
    return f"{repository_url()}/issues/new?{query}"
