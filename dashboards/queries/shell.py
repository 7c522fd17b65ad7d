"""What the app shell reads on every page: the dates with sales, the filter options, how fresh
the data is, and the latest run's tests for "Report a data issue"."""

from __future__ import annotations

from datetime import datetime

from dashboards import db
from dashboards.cache import query
from dashboards.db import MartNotBuilt
from dashboards.filters import DateRange


def available_dates() -> DateRange | None:
    """The first and last day with sales, or None while the marts are empty."""
    rows = query(
        "select min(revenue_date) as start, max(revenue_date) as end from {marts}.rpt_revenue_daily"
    )
    if not rows or rows[0]["start"] is None:
        return None
    return DateRange(rows[0]["start"], rows[0]["end"])


def filter_options() -> dict[str, list[str]]:
    """The countries and channels that appear in the sales mart, for the dropdowns."""
    rows = query(
        """
        select 'country' as kind, country_code as code
        from {marts}.rpt_revenue_daily
        group by country_code
        union all
        select 'channel' as kind, channel as code
        from {marts}.rpt_revenue_daily
        group by channel
        order by kind, code
        """
    )
    options: dict[str, list[str]] = {"country": [], "channel": []}
    for row in rows:
        options[row["kind"]].append(row["code"])
    return options


def data_as_of() -> datetime | None:
    """When the last completed load reached the warehouse: how fresh the figures are.

    Read from `rpt_source_freshness`, the mart that carries dlt's load metadata (completed
    loads only); on a warehouse built before that mart existed, the newest order change
    that reached the order facts stands in.
    """
    try:
        rows = query("select max(last_loaded_at) as as_of from {marts}.rpt_source_freshness")
    except MartNotBuilt:
        rows = query("select max(updated_at) as as_of from {marts}.fct_orders")
    return rows[0]["as_of"] if rows else None


def latest_test_status() -> str:
    """'12 passed, 0 failed (run …)' for the latest run, for issue reports.

    Run history is recorded after the build that empties the cache, so it is read afresh.
    """
    try:
        rows = db.read(
            "select run_id, tests_passed, tests_failed from {marts}.rpt_data_health_runs"
            " order by started_at desc limit 1"
        )
    except db.DataUnavailable:
        return "unknown"
    if not rows:
        return "no run recorded"
    row = rows[0]
    return f"{row['tests_passed']} passed, {row['tests_failed']} failed (run {row['run_id']})"
