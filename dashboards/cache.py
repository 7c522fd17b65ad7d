"""Query results and page answers, kept until the marts change.

Results are cached per statement and parameters, in-process (one cache per gunicorn worker).
The cache is keyed by a fingerprint of the marts schema, checked at most every
`DASHBOARD_CACHE_CHECK_SECONDS` (default 5): dbt replaces a table on every build, and an
incremental model writes rows, and either changes the fingerprint, which empties the cache.
The same cache keeps each page's whole answer per view (`remembered`), so a view someone has
just looked at skips building its figures too.

Compared with Flask-Caching (the cache Dash's documentation uses): it expires entries by age,
whereas this one must empty when dbt rebuilds a mart and never otherwise (a time-to-live
either shows stale figures or throws fresh ones away). With Flask-Caching the fingerprint
check would still be written here, so the small LRU beside it stays too.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from psycopg2 import sql

from dashboards import db
from dashboards.db import Row

CACHE_ENTRIES = 512

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
        """Compare the marts' fingerprint with the cached one, at most every few seconds.

        Only a check that got an answer counts: when the warehouse does not answer, the error
        reaches the caller and the next request checks again, so once an outage is noticed
        no request answers from the cache until the warehouse is back (every view shows the
        outage, rather than some views their cached figures and others the outage).
        """
        started = time.monotonic()
        with self._lock:
            if started - self._checked_at < self.check_interval():
                return
        found = db.execute(FINGERPRINT, {"schema": db.marts_schema()})
        fingerprint = found[0]["fingerprint"]
        with self._lock:
            self._checked_at = max(self._checked_at, started)
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


_cache = _Cache(CACHE_ENTRIES)


def reset() -> None:
    """Close every connection and empty the cache (after the connection settings change)."""
    db.close_pool()
    _cache.clear()


def cache_stats() -> dict[str, int]:
    return {"hits": _cache.hits, "misses": _cache.misses}


def query(template: str, params: dict[str, Any] | None = None, **identifiers: str) -> list[Row]:
    """Rows of one read-only statement, from the cache when the marts have not changed.

    The template is written as `db.compose` reads it. Callers must not modify the rows they
    get.
    """
    params = params or {}
    statement = db.compose(template, **identifiers)
    _cache.revalidate()
    key = (template, db.marts_schema(), tuple(sorted(identifiers.items())), _freeze(params))
    rows = _cache.get(key)
    if rows is None:
        rows = db.execute(statement, params)
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
    key = ("remembered", build.__module__, build.__qualname__, db.marts_schema(), args)
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
