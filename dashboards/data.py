"""Every query the dashboard runs: marts only, bound parameters only.

The connection comes from the project's one resolver (`dataops.warehouse`); the CLI passes
it to the server processes as `DATABASE_URL`. The marts schema is `marts` unless
`DATAOPS_MARTS_SCHEMA` names another (a pull request's schema, say).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg2 import sql
from psycopg2.pool import ThreadedConnectionPool

from dataops.errors import DataOpsError
from dataops.warehouse import resolve

_pool: ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()


class DataUnavailable(DataOpsError):
    """The warehouse or a mart cannot be read."""


def marts_schema() -> str:
    return os.environ.get("DATAOPS_MARTS_SCHEMA", "marts")


def _get_pool() -> ThreadedConnectionPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            conn = resolve(start=False)
            _pool = ThreadedConnectionPool(
                1,
                8,
                host=conn.host,
                port=conn.port,
                user=conn.user,
                password=conn.password,
                dbname=conn.dbname,
                connect_timeout=3,
                application_name="dataops-dashboard",
                options="-c statement_timeout=5000 -c default_transaction_read_only=on",
            )
        return _pool


def query(template: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run one read-only statement; `{marts}` in the template is the marts schema."""
    import psycopg2

    statement = sql.SQL(template).format(marts=sql.Identifier(marts_schema()))
    try:
        pool = _get_pool()
        connection = pool.getconn()
    except psycopg2.Error as exc:
        raise DataUnavailable(f"the warehouse cannot be reached: {_first_line(exc)}") from None
    broken = False
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or {})
            columns = [column.name for column in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        connection.rollback()
        return rows
    except psycopg2.OperationalError as exc:
        broken = True
        raise DataUnavailable(f"the warehouse cannot be reached: {_first_line(exc)}") from None
    except psycopg2.Error as exc:
        connection.rollback()
        raise DataUnavailable(f"the marts cannot be read: {_first_line(exc)}") from None
    finally:
        pool.putconn(connection, close=broken)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date


def available_dates() -> DateRange | None:
    rows = query(
        "select min(revenue_date) as start, max(revenue_date) as end from {marts}.rpt_revenue_daily"
    )
    if not rows or rows[0]["start"] is None:
        return None
    return DateRange(rows[0]["start"], rows[0]["end"])


def revenue_by_day(start: date, end: date) -> list[dict[str, Any]]:
    return query(
        """
        select
            revenue_date,
            sum(order_count) as order_count,
            sum(net_revenue_eur) as net_revenue_eur
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        group by revenue_date
        order by revenue_date
        """,
        {"start": start, "end": end},
    )


def kpis(start: date, end: date) -> dict[str, Any]:
    rows = query(
        """
        select
            coalesce(sum(net_revenue_eur), 0) as net_revenue_eur,
            coalesce(sum(order_count), 0) as order_count,
            coalesce(sum(order_count - cancelled_order_count), 0) as kept_order_count,
            coalesce(sum(new_customer_count), 0) as new_customer_count
        from {marts}.rpt_revenue_daily
        where revenue_date between %(start)s and %(end)s
        """,
        {"start": start, "end": end},
    )
    return rows[0]
