"""The demo Shop API over a real socket: auth, pagination, filters, errors and FX rates."""

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from demo.api import LINE_ITEM_FIELDS, encode_cursor, serve_in_thread
from demo.generator import DB_FILENAME, generate

AUTH = {"Authorization": "Bearer demo-token"}
FIELDS = {
    "customers": {
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "country_code",
        "created_at",
        "updated_at",
    },
    "products": {
        "product_id",
        "sku",
        "product_name",
        "category",
        "unit_price_eur",
        "is_active",
        "created_at",
        "updated_at",
    },
    "orders": {
        "order_id",
        "customer_id",
        "status",
        "currency",
        "channel",
        "ordered_at",
        "updated_at",
        "line_items",
    },
    "payments": {
        "payment_id",
        "order_id",
        "payment_type",
        "payment_method",
        "amount",
        "currency",
        "created_at",
        "updated_at",
    },
}
KEYS = {
    "customers": "customer_id",
    "products": "product_id",
    "orders": "order_id",
    "payments": "payment_id",
}


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state_dir = tmp_path_factory.mktemp("shop")
    generate(state_dir, days=45, orders=6_000)
    return state_dir


@pytest.fixture(scope="module")
def base_url(state_dir: Path) -> Iterator[str]:
    with serve_in_thread(state_dir) as url:
        yield url


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def db_rows(state_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(state_dir / DB_FILENAME) as conn:
        return conn.execute(sql, params).fetchall()


def fetch_all(http: requests.Session, url: str, **params: object) -> list[dict]:
    """Follow next_cursor to the end, checking each page's ordering on the way."""
    rows: list[dict] = []
    cursor = None
    while True:
        response = http.get(url, params={**params, "cursor": cursor}, headers=AUTH, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()
        rows.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_health(http: requests.Session, base_url: str) -> None:
    assert http.get(f"{base_url}/health", timeout=10).json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "demo-token"}],
)
def test_shop_endpoints_require_the_bearer_token(
    http: requests.Session, base_url: str, headers: dict[str, str]
) -> None:
    response = http.get(f"{base_url}/api/v1/orders", headers=headers, timeout=10)

    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.parametrize("resource", sorted(FIELDS))
def test_pagination_returns_every_row_exactly_once(
    http: requests.Session, base_url: str, state_dir: Path, resource: str
) -> None:
    key = KEYS[resource]
    rows = fetch_all(http, f"{base_url}/api/v1/{resource}", limit=97)
    ids = [row[key] for row in rows]
    expected = {row[0] for row in db_rows(state_dir, f"select {key} from {resource}")}

    assert len(ids) == len(set(ids)), "a row was served twice"
    assert set(ids) == expected
    assert [(row["updated_at"], row[key]) for row in rows] == sorted(
        (row["updated_at"], row[key]) for row in rows
    )
    assert {frozenset(row) for row in rows} == {frozenset(FIELDS[resource])}


def test_default_page_is_500_rows(http: requests.Session, base_url: str) -> None:
    page = http.get(f"{base_url}/api/v1/orders", headers=AUTH, timeout=10).json()

    assert len(page["data"]) == 500
    assert page["next_cursor"] is not None


def test_orders_embed_their_line_items(
    http: requests.Session, base_url: str, state_dir: Path
) -> None:
    orders = fetch_all(http, f"{base_url}/api/v1/orders", limit=1000)
    served = {
        (order["order_id"], *(item[field] for field in LINE_ITEM_FIELDS))
        for order in orders
        for item in order["line_items"]
    }
    stored = set(
        db_rows(
            state_dir,
            "select order_id, line_number, product_id, quantity, unit_price from order_items",
        )
    )

    assert served == stored
    assert all(order["line_items"] for order in orders)


def test_updated_since_is_inclusive(http: requests.Session, base_url: str, state_dir: Path) -> None:
    (boundary,) = db_rows(
        state_dir,
        "select updated_at from orders order by updated_at"
        " limit 1 offset (select count(*) / 2 from orders)",
    )[0]
    served = fetch_all(http, f"{base_url}/api/v1/orders", updated_since=boundary, limit=250)
    expected = {
        row[0]
        for row in db_rows(
            state_dir, "select order_id from orders where updated_at >= ?", (boundary,)
        )
    }

    assert {order["order_id"] for order in served} == expected
    assert min(order["updated_at"] for order in served) == boundary


def test_updated_since_accepts_offsets_and_dates(
    http: requests.Session, base_url: str, state_dir: Path
) -> None:
    url = f"{base_url}/api/v1/payments"
    expected = {
        row[0]
        for row in db_rows(
            state_dir,
            "select payment_id from payments where updated_at >= '2025-02-01T00:00:00Z'",
        )
    }

    for since in ("2025-02-01", "2025-02-01T01:00:00+01:00", "2025-01-31T23:59:59.5Z"):
        served = fetch_all(http, url, updated_since=since, limit=1000)
        assert {payment["payment_id"] for payment in served} == expected, since


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/orders?limit=0", 400),
        ("/api/v1/orders?limit=1001", 400),
        ("/api/v1/orders?limit=ten", 400),
        ("/api/v1/orders?updated_since=yesterday", 400),
        ("/api/v1/orders?updated_since=2025-02-30", 400),
        ("/api/v1/orders?cursor=not-a-cursor", 400),
        ("/api/v1/orders?cursor=" + encode_cursor("customers", "2025-01-01T00:00:00Z", 1), 400),
        ("/api/v1/refunds", 404),
        ("/api/v2/orders", 404),
        ("/frankfurter/2025-02-30..", 400),
        ("/frankfurter/2025-03-01..2025-02-01", 400),
        ("/frankfurter/latest?symbols=XYZ", 400),
    ],
)
def test_bad_requests_get_a_json_error(
    http: requests.Session, base_url: str, path: str, status: int
) -> None:
    response = http.get(f"{base_url}{path}", headers=AUTH, timeout=10)

    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_frankfurter_range_has_business_days_only(http: requests.Session, base_url: str) -> None:
    body = http.get(
        f"{base_url}/frankfurter/2025-01-01..2025-01-31",
        params={"symbols": "USD,GBP,CHF"},
        timeout=10,
    ).json()
    days = [date.fromisoformat(day) for day in body["rates"]]

    assert {key for key in body if key != "rates"} == {"amount", "base", "start_date", "end_date"}
    assert (body["amount"], body["base"]) == (1.0, "EUR")
    assert (body["start_date"], body["end_date"]) == ("2025-01-02", "2025-01-31")
    assert days == sorted(days)
    assert len(days) == 22
    assert all(day.weekday() < 5 for day in days)
    assert date(2025, 1, 1) not in days  # New Year's Day: no fixing
    assert {frozenset(rates) for rates in body["rates"].values()} == {
        frozenset({"USD", "GBP", "CHF"})
    }


def test_frankfurter_open_range_and_latest(http: requests.Session, base_url: str) -> None:
    latest = http.get(f"{base_url}/frankfurter/latest", timeout=10).json()
    open_range = http.get(f"{base_url}/frankfurter/2025-06-01..", timeout=10).json()

    assert set(latest) == {"amount", "base", "date", "rates"}
    assert {"USD", "GBP", "SEK", "PLN", "CHF"} <= set(latest["rates"])
    assert open_range["end_date"] == latest["date"]
    assert open_range["rates"][latest["date"]] == latest["rates"]
    # Currencies the ECB stopped quoting are left out rather than served as N/A.
    assert "HRK" not in latest["rates"]
