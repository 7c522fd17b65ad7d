"""'Report a data issue': a link that opens a prefilled issue in the project's own tracker.

The issue carries what a data engineer needs to reproduce what the stakeholder saw: the page,
its filters (the shareable link), the marts behind the page, how fresh the data was, and the
latest test status. Everything in it that a browser sent is rebuilt or fenced: the view is
the canonical query of its well-formed filters (`filters.Link`) in a code span nothing can
close, other text keeps only letters, digits and a few marks, and each value is cut to a
bound, so a crafted link can neither put live markdown in the issue nor make the link long.

The tracker is GitHub's new-issue form of the repository `DATAOPS_REPOSITORY_URL` names, or
else of the clone's `origin` remote when that is a GitHub repository; with neither, there is
no link (the shell hides it).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from dataops.core.paths import REPO_ROOT

log = logging.getLogger(__name__)

REPOSITORY_VARIABLE = "DATAOPS_REPOSITORY_URL"
# owner/name of a GitHub repository in the forms `git remote` shows
_GITHUB_REMOTE = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|ssh://git@github\.com/|git@github\.com:)"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)
# cuts: a view holds at most 2 dates and 100 countries and channels (about 4.5 kB)
MAX_VIEW = 5000
MAX_TEXT = 200

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


def repository_url() -> str | None:
    """The repository issues go to: `DATAOPS_REPOSITORY_URL`, else the `origin` remote's
    GitHub repository, else None."""
    configured = os.environ.get(REPOSITORY_VARIABLE, "").strip()
    if configured:
        return _checked_url(configured)
    return github_repository(REPO_ROOT)


def _checked_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        log.warning("%s is not a repository's web address; no issue link", REPOSITORY_VARIABLE)
        return None
    return url.rstrip("/")


@cache
def github_repository(root: Path) -> str | None:
    """https://github.com/owner/name when the `origin` remote of the clone at `root` is a
    GitHub repository (any of the forms git accepts, credentials dropped), else None."""
    try:
        found = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _GITHUB_REMOTE.match(found.stdout.strip()) if found.returncode == 0 else None
    if match is None:
        return None
    return f"https://github.com/{match['owner']}/{match['name']}"


def code(text: str, limit: int) -> str:
    """`text` as a markdown code span: backticks and control characters dropped (nothing can
    close the span or start a new line), cut to `limit` characters."""
    kept = "".join(c for c in text if c != "`" and c.isprintable())
    return f"`{_cut(kept, limit) or ' '}`"


def plain(text: str, limit: int = MAX_TEXT) -> str:
    """`text` with only letters, digits, spaces and `,:·()–-_` kept, cut to `limit`: what the
    badge and the test status are made of, and nothing a link or markup needs."""
    return _cut("".join(c for c in text if c.isalnum() or c in _PLAIN), limit)


_PLAIN = set(" ,:·()–-_")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def issue_link(repository: str, pathname: str | None, view: str, as_of: str, tests: str) -> str:
    """The new-issue URL, prefilled; `view` is the query string of the view's filters (well
    formed, see `filters.Link.query`); every value is fenced and URL-encoded."""
    page = pathname if pathname in MARTS_BY_PAGE else "/"
    body = "\n".join(
        [
            "**What looks wrong?**",
            "",
            "<!-- describe the number you expected and the one you see -->",
            "",
            "**Where**",
            f"- page: `{page}`",
            f"- view (filters): {code(page + view, MAX_VIEW)}",
            f"- marts: {', '.join(f'`{mart}`' for mart in MARTS_BY_PAGE[page])}",
            f"- data as of: {plain(as_of) or 'unknown'}",
            f"- latest tests: {plain(tests)}",
        ]
    )
    query = urlencode({"title": f"Data issue on {page}", "body": body, "labels": "data-issue"})
    return f"{repository}/issues/new?{query}"
