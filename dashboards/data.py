"""Every query the dashboard runs: marts only, bound parameters only, results cached.

Rules this module keeps, so no request can reach beyond the marts:

- SQL text is written here, never built from input. Values travel as bound parameters; the
  few identifiers that vary (the marts schema, a breakdown column) come from allowlists in this
  module and are quoted with `psycopg2.sql.Identifier`.
- The connection comes from the project's one resolver (`dataops.core.warehouse`), from the
  `DATABASE_URL` the CLI hands to the server processes: the read-only reporter role when the
  project defines roles. Sessions are read-only and have a statement timeout besides.
- Errors become `DataUnavailable`, whose message is fit for a stakeholder's screen; the
  details go to the server log.

Results are cached per statement and parameters, in-process (one cache per gunicorn
worker). The cache is keyed by a fingerprint of the marts schema, checked at most every
`DASHBOARD_CACHE_CHECK_SECONDS` (default 5): dbt replaces a table on every build, and an
incremental model writes rows, and either changes the fingerprint, which empties the cache.
The same cache keeps each page's whole answer per view (`remembered`), so a view someone has
just looked at skips building its figures too.

The marts schema is `marts` unless `DATAOPS_MARTS_SCHEMA` names another (a pull request's).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import psycopg2
from psycopg2 import sql
from psycopg2.pool import ThreadedConnectionPool

from dashboards.filters import DateRange, Filters
from dataops.core.errors import DataOpsError
from dataops.core.warehouse import resolve

log = logging.getLogger(__name__)

STATEMENT_TIMEOUT_MS = 5000
POOL_KEEP, POOL_MAX = 4, 8
CACHE_ENTRIES = 512

# Allowlists: the only values a request can choose for the parts of a statement that are
# not bound parameters.
GRAINS = {"day": "day", "week": "week", "month": "month"}
BREAKDOWNS = {"country": "country_code", "channel": "channel"}

Row = dict[str, Any]


class DataUnavailable(DataOpsError):
    """The warehouse or a mart cannot be read; the message is shown on the page."""


class WarehouseUnreachable(DataUnavailable):
    """The database does not answer: every page is affected, the shell shows a banner."""


class MartNotBuilt(DataUnavailable):
    """A mart this page reads does not exist yet."""


# -- connections ------------------------------------------------------------------------------

_pool: ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()


def marts_schema() -> str:
    return os.environ.get("DATAOPS_MARTS_SCHEMA", "marts")


def _get_pool() -> ThreadedConnectionPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            conn = resolve(start=False)
            # psycopg2 keeps `minconn` connections and closes any above that when returned:
            # keep one per gunicorn thread (`dataops dashboard` runs 4), allow a few more
            _pool = ThreadedConnectionPool(
                POOL_KEEP,
                POOL_MAX,
                host=conn.host,
                port=conn.port,
                user=conn.user,
                password=conn.password,
                dbname=conn.dbname,
                connect_timeout=3,
                application_name="dataops-dashboard",
                options=(
                    f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                    " -c default_transaction_read_only=on"
                ),
            )
        return _pool


def reset() -> None:
    """Close every connection and empty the cache (after the connection settings change)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.closeall()
        _pool = None
    _cache.clear()


@contextmanager
def _connection() -> Iterator[Any]:
    try:
        pool = _get_pool()
        connection = pool.getconn()
    except psycopg2.Error as exc:
        log.warning("warehouse unreachable: %s", _first_line(exc))
        raise WarehouseUnreachable(UNREACHABLE) from None
    broken = False
    try:
        yield connection
    except psycopg2.OperationalError:
        broken = True
        raise
    finally:
        pool.putconn(connection, close=broken or bool(connection.closed))


UNREACHABLE = (
    "The warehouse cannot be reached right now, so the figures are not shown. "
    "Try again in a minute; if it lasts, tell the data team."
)


def _execute(statement: sql.Composable, params: dict[str, Any]) -> list[Row]:
    """Run one read-only statement; a stale pooled connection is retried once."""
    for attempt in (1, 2):
        try:
            with _connection() as connection:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(statement, params)
                        columns = [column.name for column in cursor.description]
                        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
                    return rows
                finally:
                    if not connection.closed:
                        connection.rollback()
        except psycopg2.OperationalError as exc:
            if attempt == 2 or not _is_connection_lost(exc):
                log.warning("warehouse query failed: %s", _first_line(exc))
                raise WarehouseUnreachable(UNREACHABLE) from None
        except psycopg2.errors.UndefinedTable as exc:
            log.warning("a mart is missing: %s", _first_line(exc))
            raise MartNotBuilt(
                "This page's data has not been built yet. Run the pipeline (`dataops run`) "
                "and reload."
            ) from None
        except psycopg2.errors.QueryCanceled:
            log.warning("a dashboard query ran past %s ms", STATEMENT_TIMEOUT_MS)
            raise DataUnavailable("The warehouse took too long to answer; try again.") from None
        except psycopg2.Error as exc:
            log.warning("a mart cannot be read: %s", _first_line(exc))
            raise DataUnavailable(
                "The marts cannot be read right now; tell the data team if this lasts."
            ) from None
    raise AssertionError("unreachable")


def _is_connection_lost(exc: psycopg2.OperationalError) -> bool:
    return exc.pgcode is None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- cache ------------------------------------------------------------------------------------


class _Cache:
    """An LRU of query results and page answers, emptied whenever the marts' fingerprint
    changes."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._results: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._checked_at = float("-inf")
        self.hits = 0
        self.misses = 0

    def check_interval(self) -> float:
        return float(os.environ.get("DASHBOARD_CACHE_CHECK_SECONDS", "5"))

    def clear(self) -> None:
        with self._lock:
            self._results.clear()
            self._fingerprint = None
            self._checked_at = float("-inf")

    def revalidate(self) -> None:
        """Compare the marts' fingerprint with the cached one, at most every few seconds."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < self.check_interval():
                return
            self._checked_at = now
        fingerprint = _execute(FINGERPRINT, {"schema": marts_schema()})[0]["fingerprint"]
        with self._lock:
            if fingerprint != self._fingerprint:
                self._results.clear()
                self._fingerprint = fingerprint

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            value = self._results.get(key)
            if value is None:
                self.misses += 1
                return None
            self._results.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._results[key] = value
            self._results.move_to_end(key)
            while len(self._results) > self.entries:
                self._results.popitem(last=False)


# Changes whenever dbt replaces a mart (a new table has a new oid and file) or writes rows
# into one (an incremental model). Statistics counters lag a write by up to a second.
FINGERPRINT = sql.SQL(
    """
    select coalesce(string_agg(
        concat_ws(':', class.oid, class.relfilenode, stats.n_tup_ins, stats.n_tup_upd,
            stats.n_tup_del),
        ',' order by class.oid
    ), '') as fingerprint
    from pg_catalog.pg_class as class
    inner join pg_catalog.pg_namespace as namespace
        on class.relnamespace = namespace.oid
    left join pg_catalog.pg_stat_user_tables as stats
        on class.oid = stats.relid
    where namespace.nspname = %(schema)s
        and class.relkind in ('r', 'p', 'v', 'm')
    """
)

_cache = _Cache(CACHE_ENTRIES)

# `{segment}` in a where clause: every country and channel unless the filters name some.
SEGMENT = """
    and (%(all_countries)s or country_code = any(%(countries)s::text[]))
    and (%(all_channels)s or channel = any(%(channels)s::text[]))
"""


def cache_stats() -> dict[str, int]:
    return {"hits": _cache.hits, "misses": _cache.misses}


def query(template: str, params: dict[str, Any] | None = None, **identifiers: str) -> list[Row]:
    """Rows of one read-only statement, from the cache when the marts have not changed.

    `{marts}` in the template is the marts schema and `{segment}` the country and channel
    conditions (`SEGMENT`); every other `{name}` must be given as a keyword and is quoted as
    an identifier. Callers must not modify the rows they get.
    """
    params = params or {}
    statement = sql.SQL(template).format(
        marts=sql.Identifier(marts_schema()),
        segment=sql.SQL(SEGMENT),
        **{name: sql.Identifier(value) for name, value in identifiers.items()},
    )
    _cache.revalidate()
    key = (template, marts_schema(), tuple(sorted(identifiers.items())), _freeze(params))
    rows = _cache.get(key)
    if rows is None:
        rows = _execute(statement, params)
        _cache.put(key, rows)
    return rows


T = TypeVar("T")


def remembered(build: Callable[..., T], *args: Hashable) -> T:
    """`build(*args)`, computed once per arguments until the marts change, like a query.

    For a page's whole answer (its numbers and figures), so a repeat view costs a lookup.
    The arguments must be hashable and already validated; callers must not modify what they
    get. An exception is not remembered: a view that failed is tried again next time.
    """
    _cache.revalidate()
    key = ("remembered", build.__module__, build.__qualname__, marts_schema(), args)
    value = _cache.get(key)
    if value is None:
        value = build(*args)
        _cache.put(key, value)
    return value


def _freeze(params: dict[str, Any]) -> tuple:
    return tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(params.items())
    )


# -- filters as SQL ---------------------------------------------------------------------------


def _params(filters: Filters, **extra: Any) -> dict[str, Any]:
    return {
        "start": filters.start,
        "end": filters.end,
        "countries": list(filters.countries),
        "channels": list(filters.channels),
        "all_countries": not filters.countries,
        "all_channels": not filters.channels,
        **extra,
    }


# -- the shell --------------------------------------------------------------------------------


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


# -- overview ---------------------------------------------------------------------------------


def revenue_totals(filters: Filters) -> dict[str, Row]:
    """Totals for the filters' period and for the period of the same length before it."""
    previous = filters.previous()
    rows = query(
        """
        select
            revenue_date >= %(start)s as is_current,
            coalesce(sum(net_revenue_eur), 0) as net_revenue_eur,
            coalesce(sum(order_count), 0) as order_count,
            coalesce(sum(order_count - cancelled_order_count), 0) as kept_order_count,
            coalesce(sum(new_customer_count), 0) as new_customer_count
        from {marts}.rpt_revenue_daily
        where revenue_date between %(previous_start)s and %(end)s
        {segment}
        group by 1
        """,
        _params(filters, previous_start=previous.start),
    )
    empty = {
        "net_revenue_eur": 0,
        "order_count": 0,
        "kept_order_count": 0,
        "new_customer_count": 0,
    }
    by_period = {row["is_current"]: row for row in rows}
    return {"current": by_period.get(True, empty), "previous": by_period.get(False, empty)}


def revenue_by_day(filters: Filters) -> list[Row]:
    return query(
        """
        select
            revenue_date,
            sum(order_count) as order_count,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by revenue_date
        order by revenue_date
        """,
        _params(filters),
    )


def targets_by_month(filters: Filters) -> list[Row]:
    """Monthly revenue targets for every month the period touches (whole shop)."""
    return query(
        """
        select
            target_month,
            target_net_revenue_eur,
            actual_net_revenue_eur,
            attainment
        from {marts}.rpt_targets_monthly
        where target_month between date_trunc('month', %(start)s::date) and %(end)s
        order by target_month
        """,
        _params(filters),
    )


# -- sales ------------------------------------------------------------------------------------


def sales_over_time(filters: Filters, grain: str) -> list[Row]:
    """Orders and revenue per day, week or month (`grain` is a value of `GRAINS`)."""
    if grain not in GRAINS.values():
        raise ValueError(f"unknown grain {grain!r}")
    return query(
        """
        select
            cast(date_trunc(%(grain)s, revenue_date) as date) as period_start,
            sum(order_count) as order_count,
            sum(gross_revenue_eur) as gross_revenue_eur,
            sum(refunded_eur) as refunded_eur,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by 1
        order by 1
        """,
        _params(filters, grain=grain),
    )


def sales_by(filters: Filters, breakdown: str) -> list[Row]:
    """Orders and revenue per country or channel (`breakdown` is a key of `BREAKDOWNS`)."""
    return query(
        """
        select
            {column},
            sum(order_count) as order_count,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by 1
        order by net_revenue_eur desc, 1
        """,
        _params(filters),
        column=BREAKDOWNS[breakdown],
    )


def sales_by_category(filters: Filters) -> list[Row]:
    return query(
        """
        select
            category,
            sum(units_sold) as units_sold,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_category_sales_daily
        where sales_date between %(start)s and %(end)s
        {segment}
        group by category
        order by net_revenue_eur desc, category
        """,
        _params(filters),
    )


# -- customers --------------------------------------------------------------------------------


# The start of a query on the cohorts the period touches: `with cohorts as (…),`. A customer's
# channel here is the channel of the first order.
COHORTS = """
        with

        cohorts as (

            select *
            from {marts}.rpt_customer_cohorts
            where cohort_month between date_trunc('month', %(start)s::date) and %(end)s
                and (%(all_countries)s or country_code = any(%(countries)s::text[]))
                and (%(all_channels)s or first_channel = any(%(channels)s::text[]))

        ),
"""


def cohort_retention(filters: Filters) -> list[Row]:
    """Share of each monthly cohort active N months after its first order.

    Cohorts are the months the period touches; with countries or channels chosen, a cohort
    is the customers of those countries whose first order came through those channels.
    """
    return query(
        COHORTS
        + """

        cohort_sizes as (

            select
                cohort_month,
                sum(cohort_size) as cohort_size
            from cohorts
            where months_since_first_order = 0
            group by cohort_month

        ),

        active_per_month as (

            select
                cohort_month,
                months_since_first_order,
                sum(active_customers) as active_customers,
                sum(net_revenue_eur) as net_revenue_eur
            from cohorts
            group by cohort_month, months_since_first_order

        )

        select
            active_per_month.cohort_month,
            active_per_month.months_since_first_order,
            cohort_sizes.cohort_size,
            active_per_month.active_customers,
            cast(active_per_month.active_customers as numeric)
                / nullif(cohort_sizes.cohort_size, 0)
                as retention_rate,
            active_per_month.net_revenue_eur
        from active_per_month
        inner join cohort_sizes
            on active_per_month.cohort_month = cohort_sizes.cohort_month
        order by 1, 2
        """,
        _params(filters),
    )


def new_and_returning(filters: Filters, grain: str) -> list[Row]:
    """First orders and repeat orders per period."""
    if grain not in GRAINS.values():
        raise ValueError(f"unknown grain {grain!r}")
    return query(
        """
        select
            cast(date_trunc(%(grain)s, revenue_date) as date) as period_start,
            sum(new_customer_count) as first_orders,
            sum(order_count - new_customer_count) as repeat_orders
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        {segment}
        group by 1
        order by 1
        """,
        _params(filters, grain=grain),
    )


def lifetime_value(filters: Filters) -> list[Row]:
    """Per cohort (the month of the first order): its customers, how many of those that have
    reached their second month ordered in it, and their revenue to date, in total and per
    customer. The same cohorts and segments as `cohort_retention`."""
    return query(
        COHORTS
        + """

        per_cohort as (

            select
                cohort_month,
                sum(cohort_size) filter (where months_since_first_order = 0) as customer_count,
                sum(cohort_size) filter (where months_since_first_order = 1)
                    as reached_second_month,
                sum(active_customers) filter (where months_since_first_order = 1)
                    as active_second_month,
                sum(net_revenue_eur) as lifetime_revenue_eur
            from cohorts
            group by cohort_month

        )

        select
            cohort_month,
            customer_count,
            reached_second_month,
            active_second_month,
            lifetime_revenue_eur,
            lifetime_revenue_eur / nullif(customer_count, 0) as average_lifetime_revenue_eur
        from per_cohort
        order by cohort_month
        """,
        _params(filters),
    )


# -- marketing --------------------------------------------------------------------------------


def marketing_by_channel(filters: Filters) -> list[Row]:
    """Spend, reach and results per channel; CAC and ROAS over the whole period.

    Countries do not apply: spend is not booked per country.
    """
    return query(
        """
        select
            channel,
            sum(spend_eur) as spend_eur,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(sessions) as sessions,
            sum(attributed_orders) as attributed_orders,
            sum(new_customers) as new_customers,
            sum(attributed_revenue_eur) as attributed_revenue_eur,
            sum(spend_eur) / nullif(sum(new_customers), 0) as cac_eur,
            sum(attributed_revenue_eur) / nullif(sum(spend_eur), 0) as roas
        from {marts}.rpt_marketing_daily
        where spend_date between %(start)s and %(end)s
            and (%(all_channels)s or channel = any(%(channels)s::text[]))
        group by channel
        order by spend_eur desc, channel
        """,
        _params(filters),
    )


def marketing_over_time(filters: Filters) -> list[Row]:
    """Spend per week and channel."""
    return query(
        """
        select
            cast(date_trunc('week', spend_date) as date) as period_start,
            channel,
            sum(spend_eur) as spend_eur,
            sum(attributed_revenue_eur) as attributed_revenue_eur
        from {marts}.rpt_marketing_daily
        where spend_date between %(start)s and %(end)s
            and (%(all_channels)s or channel = any(%(channels)s::text[]))
        group by 1, 2
        order by 1, 2
        """,
        _params(filters),
    )


# -- products ---------------------------------------------------------------------------------

TOP_PRODUCTS = 15


def product_sales(filters: Filters) -> dict[str, list[Row]]:
    """The best-selling products by net revenue, and every category, with return rates.

    Each comes from the smallest mart that holds its answer; they all sum the same order
    lines, so which one answers never changes a figure.
    """
    categories = sorted(
        _returns_by_category(filters),
        key=lambda row: (-(row["return_rate"] or -1), row["category"]),
    )
    return {"top": _top_products(filters), "categories": categories}


def _top_products(filters: Filters) -> list[Row]:
    """Without country or channel filters, from the totals per product and day; with either,
    from the product rollup, which is stored and indexed by country, channel and day."""
    if not (filters.countries or filters.channels):
        return query(
            """
            select
                product_id,
                product_name,
                category,
                sum(units_sold) as units_sold,
                sum(units_returned) as units_returned,
                sum(net_revenue_eur) as net_revenue_eur,
                cast(sum(units_returned) as numeric) / nullif(sum(units_sold), 0) as return_rate
            from {marts}.rpt_product_totals_daily
            where sales_date between %(start)s and %(end)s
            group by product_id, product_name, category
            order by net_revenue_eur desc, product_id
            limit %(limit)s
            """,
            _params(filters, limit=TOP_PRODUCTS),
        )
    return query(
        """
        select
            product_id,
            product_name,
            category,
            sum(units_sold) as units_sold,
            sum(units_returned) as units_returned,
            sum(net_revenue_eur) as net_revenue_eur,
            cast(sum(units_returned) as numeric) / nullif(sum(units_sold), 0) as return_rate
        from {marts}.rpt_product_sales_daily
        where sales_date between %(start)s and %(end)s
            {segment}
        group by product_id, product_name, category
        order by net_revenue_eur desc, product_id
        limit %(limit)s
        """,
        _params(filters, limit=TOP_PRODUCTS),
    )


def _returns_by_category(filters: Filters) -> list[Row]:
    return query(
        """
        select
            category,
            sum(units_sold) as units_sold,
            sum(units_returned) as units_returned,
            sum(net_revenue_eur) as net_revenue_eur,
            cast(sum(units_returned) as numeric) / nullif(sum(units_sold), 0) as return_rate
        from {marts}.rpt_category_sales_daily
        where sales_date between %(start)s and %(end)s
            {segment}
        group by category
        """,
        _params(filters),
    )


# -- data health ------------------------------------------------------------------------------


# The reporting marts and the column that says which day a row is about.
DATED_MARTS = {
    "rpt_revenue_daily": "revenue_date",
    "rpt_product_sales_daily": "sales_date",
    "rpt_product_totals_daily": "sales_date",
    "rpt_category_sales_daily": "sales_date",
    "rpt_marketing_daily": "spend_date",
    "rpt_customer_cohorts": "cohort_month",
    "rpt_targets_monthly": "target_month",
}


def mart_freshness() -> list[Row]:
    """The latest day each reporting mart covers; None for a mart that is not built."""
    rows: list[Row] = []
    for mart, column in DATED_MARTS.items():
        try:
            found = query(
                "select max({column}) as latest_day, count(*) as row_count from {marts}.{mart}",
                column=column,
                mart=mart,
            )
        except MartNotBuilt:
            found = [{"latest_day": None, "row_count": None}]
        rows.append({"mart": mart, **found[0]})
    return rows


# -- data health ------------------------------------------------------------------------------

HEALTH_RUNS_SHOWN = 60


def _uncached(template: str, params: dict[str, Any] | None = None) -> list[Row]:
    """The run-history marts are views recorded after each build, so they skip the cache."""
    statement = sql.SQL(template).format(marts=sql.Identifier(marts_schema()))
    return _execute(statement, params or {})


def health() -> dict[str, list[Row]]:
    """Sources' freshness, the latest runs, and the latest row-count check of each table."""
    return {
        "sources": _uncached(
            "select source_name, table_name, freshness_status, age_hours, warn_after_hours,"
            " error_after_hours, last_successful_load_at from {marts}.rpt_data_health_sources"
            " order by source_name, table_name"
        ),
        "runs": _uncached(
            "select * from (select run_id, started_at, run_status, tests_passed, tests_failed,"
            " rows_loaded, rows_rejected, build_duration_s"
            " from {marts}.rpt_data_health_runs order by started_at desc limit %(limit)s)"
            " as recent order by started_at",
            {"limit": HEALTH_RUNS_SHOWN},
        ),
        "row_counts": _uncached(
            "select source_name, table_name, rows_loaded, median_previous_7, deviation_ratio,"
            " is_anomaly from (select checks.*, row_number() over (partition by source_name,"
            " table_name order by started_at desc) as recency"
            " from {marts}.rpt_data_health_row_counts as checks) as ranked"
            " where recency = 1 order by is_anomaly desc, source_name, table_name"
        ),
    }


def latest_test_status() -> str:
    """'12 passed, 0 failed (run …)' for the latest run, for issue reports."""
    try:
        rows = _uncached(
            "select run_id, tests_passed, tests_failed from {marts}.rpt_data_health_runs"
            " order by started_at desc limit 1"
        )
    except DataUnavailable:
        return "unknown"
    if not rows:
        return "no run recorded"
    row = rows[0]
    return f"{row['tests_passed']} passed, {row['tests_failed']} failed (run {row['run_id']})"
