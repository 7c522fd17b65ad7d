"""How the dashboard reaches the warehouse: marts only, bound parameters only, read-only.

Rules this module keeps, so no request can reach beyond the marts:

- SQL text is written in `dashboards.queries`, never built from input. Values travel as bound
  parameters; the few identifiers that vary (the marts schema, a breakdown column) come from
  allowlists (`GRAINS`, `BREAKDOWNS`, or a module's own constants) and are quoted with
  `psycopg2.sql.Identifier` by `compose`.
- The connection comes from the project's one resolver (`dataops.core.warehouse`), from the
  `DATABASE_URL` the CLI hands to the server processes: the read-only reporter role when the
  project defines roles. Sessions are read-only and have a statement timeout besides.
- Errors become `DataUnavailable`, whose message is fit for a stakeholder's screen; the
  details go to the server log.

The marts schema is `marts` unless `DATAOPS_MARTS_SCHEMA` names another (a pull request's).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.pool import ThreadedConnectionPool

from dashboards.filters import Filters
from dataops.core.errors import DataOpsError, first_line
from dataops.core.warehouse import resolve

log = logging.getLogger(__name__)

STATEMENT_TIMEOUT_MS = 5000
POOL_KEEP, POOL_MAX = 4, 8

# Allowlists: the only values a request can choose for the parts of a statement that are
# not bound parameters.
GRAINS = {"day": "day", "week": "week", "month": "month"}
BREAKDOWNS = {"country": "country_code", "channel": "channel"}

Row = dict[str, Any]
# A way to run a statement template: `read` on the dashboard's pool, `cached` through its
# cache, or `reader(...)` on a caller's own connection.
Reader = Callable[..., list[Row]]


class DataUnavailable(DataOpsError):
    """The warehouse or a mart cannot be read; the message is shown on the page."""


class WarehouseUnreachable(DataUnavailable):
    """The database does not answer: every page is affected, the shell shows a banner."""


class MartNotBuilt(DataUnavailable):
    """A mart this page reads does not exist yet."""


UNREACHABLE = (
    "The warehouse cannot be reached right now, so the figures are not shown. "
    "Try again in a minute; if it lasts, tell the data team."
)


def marts_schema() -> str:
    return os.environ.get("DATAOPS_MARTS_SCHEMA", "marts")


# -- statements -------------------------------------------------------------------------------

# `{segment}` in a where clause: every country and channel unless the filters name some.
SEGMENT = """
    and (%(all_countries)s or country_code = any(%(countries)s::text[]))
    and (%(all_channels)s or channel = any(%(channels)s::text[]))
"""


def compose(template: str, schema: str | None = None, **identifiers: str) -> sql.Composed:
    """A statement from its template: `{marts}` is the marts schema (or `schema`), `{segment}`
    the country and channel conditions (`SEGMENT`), and every other `{name}` an identifier
    given as a keyword, quoted."""
    return sql.SQL(template).format(
        marts=sql.Identifier(schema or marts_schema()),
        segment=sql.SQL(SEGMENT),
        **{name: sql.Identifier(value) for name, value in identifiers.items()},
    )


def bind(filters: Filters, **extra: Any) -> dict[str, Any]:
    """The bound parameters of a view: its dates, and the countries and channels `{segment}`
    and the cohort conditions test."""
    return {
        "start": filters.start,
        "end": filters.end,
        "countries": list(filters.countries),
        "channels": list(filters.channels),
        "all_countries": not filters.countries,
        "all_channels": not filters.channels,
        **extra,
    }


def fetch(connection: Any, statement: sql.Composable, params: dict[str, Any]) -> list[Row]:
    """The rows of one statement on an open connection, each a dict by column name."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def checked_grain(grain: str) -> str:
    """`grain` if it is one of `GRAINS`' values (a date_trunc unit), else ValueError."""
    if grain not in GRAINS.values():
        raise ValueError(f"unknown grain {grain!r}")
    return grain


def reader(connection: Any, schema: str) -> Reader:
    """Templates run on a connection of the caller's (a command's own session) with `{marts}`
    as `schema`, uncached, errors as psycopg2 raises them."""

    def read_on(
        template: str, params: dict[str, Any] | None = None, **identifiers: str
    ) -> list[Row]:
        return fetch(connection, compose(template, schema, **identifiers), params or {})

    return read_on


# -- the pool ---------------------------------------------------------------------------------

_pool: ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()


def _get_pool() -> ThreadedConnectionPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            settings = resolve(start=False)
            # psycopg2 keeps `minconn` connections and closes any above that when returned:
            # keep one per gunicorn thread (`dataops dashboard` runs 4), allow a few more
            _pool = ThreadedConnectionPool(
                POOL_KEEP,
                POOL_MAX,
                settings.url(),
                connect_timeout=3,
                application_name="dataops-dashboard",
                options=(
                    f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                    " -c default_transaction_read_only=on"
                ),
            )
        return _pool


def close_pool() -> None:
    """Close every pooled connection (the next statement opens new ones)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.closeall()
        _pool = None


@contextmanager
def _pooled() -> Iterator[Any]:
    try:
        pool = _get_pool()
        connection = pool.getconn()
    except psycopg2.Error as exc:
        log.warning("warehouse unreachable: %s", first_line(exc))
        raise WarehouseUnreachable(UNREACHABLE) from None
    broken = False
    try:
        yield connection
    except psycopg2.OperationalError:
        broken = True
        raise
    finally:
        pool.putconn(connection, close=broken or bool(connection.closed))


def execute(statement: sql.Composable, params: dict[str, Any]) -> list[Row]:
    """Run one read-only statement on the pool; a stale pooled connection is retried once."""
    for attempt in (1, 2):
        try:
            with _pooled() as connection:
                try:
                    return fetch(connection, statement, params)
                finally:
                    if not connection.closed:
                        connection.rollback()
        except psycopg2.OperationalError as exc:
            if attempt == 2 or not _is_connection_lost(exc):
                log.warning("warehouse query failed: %s", first_line(exc))
                raise WarehouseUnreachable(UNREACHABLE) from None
        except psycopg2.errors.UndefinedTable as exc:
            log.warning("a mart is missing: %s", first_line(exc))
            raise MartNotBuilt(
                "This page's data has not been built yet. Run the pipeline (`dataops run`) "
                "and reload."
            ) from None
        except psycopg2.errors.QueryCanceled:
            log.warning("a dashboard query ran past %s ms", STATEMENT_TIMEOUT_MS)
            raise DataUnavailable("The warehouse took too long to answer; try again.") from None
        except psycopg2.Error as exc:
            log.warning("a mart cannot be read: %s", first_line(exc))
            raise DataUnavailable(
                "The marts cannot be read right now; tell the data team if this lasts."
            ) from None
    raise AssertionError("unreachable")


def read(template: str, params: dict[str, Any] | None = None, **identifiers: str) -> list[Row]:
    """Rows of one statement template on the pool, uncached (see `cache.cached` otherwise)."""
    return execute(compose(template, **identifiers), params or {})


def _is_connection_lost(exc: psycopg2.OperationalError) -> bool:
    return exc.pgcode is None
