"""'Report a data issue': a link that opens a prefilled issue in the project's repository.

The issue carries what a data engineer needs to reproduce what the stakeholder saw: the page,
its filters (the shareable link), the marts behind the page, how fresh the data was, and the
latest test status. The repository comes from `DATAOPS_REPOSITORY_URL`.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

DEFAULT_REPOSITORY = "https://github.com/example/dataops-retail"

# What the shell reads on every page: the dates and filter options, the "data as of" badge
# (the order facts stand in on a warehouse built before the freshness mart) and the latest
# run's tests for this link.
SHELL_MARTS = ["rpt_revenue_daily", "rpt_source_freshness", "fct_orders", "rpt_data_health_runs"]


def _with_shell(*marts: str) -> list[str]:
    return [*marts, *(mart for mart in SHELL_MARTS if mart not in marts)]


# The marts behind each page: its own queries' and the shell's. The dashboard's exposures in
# the dbt project say the same, and tests/python/dashboards/test_marts_by_page.py keeps both
# in step with the SQL in dashboards/queries/.
MARTS_BY_PAGE = {
    "/": _with_shell("rpt_revenue_daily", "rpt_targets_monthly"),
    "/sales": _with_shell("rpt_revenue_daily", "rpt_category_sales_daily"),
    "/customers": _with_shell("rpt_customer_cohorts", "rpt_revenue_daily"),
    "/marketing": _with_shell("rpt_marketing_daily"),
    "/products": _with_shell(
        "rpt_product_totals_daily", "rpt_product_sales_daily", "rpt_category_sales_daily"
    ),
    "/health": _with_shell(
        "rpt_data_health_sources", "rpt_data_health_runs", "rpt_data_health_row_counts"
    ),
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
