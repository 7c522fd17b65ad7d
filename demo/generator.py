"""Seeded, deterministic generator of the demo retailer "Northwind Threads".

The shop's operational state lives in SQLite (`<state_dir>/shop.sqlite`), the tables the Shop
API serves; marketing spend (CSV), web sessions (Parquet) and product reviews (JSON Lines) are
dropped as one file per day into `<state_dir>/landing`, monthly sales targets (Excel) on the
first day of each month. The business advances one day at a time and every day is committed
on its own, so memory stays flat whatever the scale and a later run continues where the last
one stopped. Randomness is drawn from generators seeded by (seed, day, purpose): a day's output
depends only on the seed, the order volume and the state left by the days before it, never on
how the runs were split.

Orders do not stay still: each order's future status changes (paid, shipped, delivered,
cancelled, returned) are decided when it is placed, parked in the internal `order_lifecycle`
table and applied on the day they happen, up to 30 days later. That is what gives the
downstream pipeline late-arriving updates to handle.
"""

import argparse
import csv
import itertools
import json
import math
import os
import random
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

EPOCH = date(2025, 1, 1)
EPOCH_UNIX_SECONDS = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
DB_FILENAME = "shop.sqlite"
LANDING_DIRNAME = "landing"
SCHEMA_VERSION = 1
BATCH_SIZE = 5_000
PROGRESS_EVERY_DAYS = 30

# --- business parameters -------------------------------------------------------------------

LIFECYCLE_MAX_DAYS = 30
CANCEL_RATE = 0.05
RETURN_RATE = 0.08
NEW_CUSTOMER_SHARE = 0.4  # about one new customer per 2.5 orders once the shop is established
PROFILE_CHANGES_PER_ORDER = 0.012
BROWSING_SESSIONS_PER_ORDER = 5.0  # plus the converting session: about 6 sessions per order
KNOWN_VISITOR_SHARE = 0.3
ANNUAL_GROWTH = 0.35
MIN_ACTIVE_PRODUCTS = 60
MAX_PRODUCTS = 200
REVIEW_RATE = 0.15  # share of delivered orders whose customer reviews one product that day
RATING_WEIGHTS = (3, 5, 12, 35, 45)  # 1..5 stars
RETURNED_RATING_WEIGHTS = (30, 30, 22, 12, 6)  # orders that will be sent back
REVIEW_TITLES = {
    1: ("Disappointed", "Not as described", "Poor quality"),
    2: ("Not great", "Runs small", "Colour is off"),
    3: ("Okay", "Decent for the price", "Mixed feelings"),
    4: ("Good buy", "Nice fit", "Happy with it"),
    5: ("Love it", "Perfect", "Great quality"),
}
TARGET_STRETCH = 1.05  # targets sit a little above the expected volume
# Of a returned order's value, the share refunded on average: a one-line order, or 60 % of the
# others, comes back whole; the rest keep some of their lines.
RETURN_REFUND_SHARE = 0.8

COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "US", "GB", "SE", "PL", "CH")
COUNTRY_WEIGHTS = (28, 14, 8, 8, 8, 12, 11, 4, 4, 3)
CURRENCY_BY_COUNTRY = {
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "US": "USD",
    "GB": "GBP",
    "SE": "SEK",
    "PL": "PLN",
    "CH": "CHF",
}
# Rough fixed list-price rates: the shop reprices its local catalogues rarely, unlike the ECB.
EUR_PRICE_RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "SEK": 11.4, "PLN": 4.35, "CHF": 0.95}

CHANNELS = ("organic_search", "paid_search", "social_ads", "email", "affiliate", "direct")
ORDER_CHANNEL_WEIGHTS = (28, 22, 12, 14, 8, 16)
TRAFFIC_CHANNEL_WEIGHTS = (32, 18, 20, 6, 7, 17)
# channel -> (cost per attributed order in EUR, cost per thousand impressions in EUR, click rate)
PAID_CHANNELS = {
    "paid_search": (14.0, 12.0, 0.045),
    "social_ads": (22.0, 7.0, 0.012),
    "email": (1.5, 0.8, 0.03),
    "affiliate": (9.0, 4.0, 0.008),
}
EVERGREEN_CAMPAIGNS = {
    "paid_search": (("search_brand", 0.35), ("search_generic", 0.65)),
    "social_ads": (("social_prospecting", 0.6), ("social_retargeting", 0.4)),
    "email": (("email_newsletter", 0.7), ("email_abandoned_cart", 0.3)),
    "affiliate": (("affiliate_partners", 1.0),),
}
SEASONAL_CHANNELS = ("paid_search", "social_ads", "email")

DEVICES = ("mobile", "desktop", "tablet")
DEVICE_WEIGHTS = (58, 35, 7)
PAYMENT_METHODS = ("card", "paypal", "klarna", "apple_pay", "bank_transfer")
PAYMENT_METHOD_WEIGHTS = (48, 26, 12, 8, 6)
ITEM_COUNT_WEIGHTS = (44, 28, 16, 8, 4)  # 1..5 line items
QUANTITY_WEIGHTS = (82, 14, 4)  # 1..3 units per line

# Share of orders and visits per UTC hour, 00..23: quiet nights, an evening peak.
HOUR_WEIGHTS = (
    *(0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.55, 0.8, 0.9, 1.0, 1.05),
    *(1.1, 1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.5, 1.6, 1.45, 1.1, 0.65),
)
WEEKDAY_FACTORS = (1.08, 1.0, 0.97, 0.98, 0.93, 0.88, 1.16)  # Monday..Sunday
MONTH_FACTORS = (0.95, 0.8, 0.92, 0.98, 1.0, 0.95, 0.97, 0.85, 1.0, 1.05, 1.25, 1.35)

# category -> (SKU code, items, (lowest, highest) list price in EUR)
CATEGORIES = {
    "tops": ("TOP", ("T-Shirt", "Shirt", "Blouse", "Sweater", "Hoodie", "Polo"), (15, 79)),
    "bottoms": ("BTM", ("Jeans", "Chinos", "Shorts", "Trousers", "Skirt", "Joggers"), (25, 99)),
    "dresses": ("DRS", ("Midi Dress", "Maxi Dress", "Wrap Dress", "Shirt Dress"), (35, 149)),
    "outerwear": ("OUT", ("Parka", "Rain Jacket", "Wool Coat", "Denim Jacket", "Gilet"), (59, 249)),
    "shoes": ("SHO", ("Sneakers", "Loafers", "Ankle Boots", "Sandals", "Espadrilles"), (39, 179)),
    "accessories": ("ACC", ("Scarf", "Beanie", "Belt", "Tote Bag", "Cap", "Socks 3-Pack"), (9, 59)),
}
STYLES = (
    "Classic",
    "Relaxed",
    "Slim",
    "Organic Cotton",
    "Linen",
    "Merino",
    "Recycled",
    "Heritage",
    "Everyday",
    "Coastal",
)
COLOURS = ("Black", "Navy", "Sand", "Olive", "White", "Rust", "Grey", "Sky Blue", "Burgundy")

NAMES_BY_LANGUAGE = {
    "de": (
        ("Anna", "Lena", "Laura", "Julia", "Sophie", "Emma", "Mia", "Lukas", "Jonas", "Felix"),
        ("Leon", "Paul", "Niklas", "Tobias", "Hannah"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
        ("Hoffmann", "Koch", "Keller", "Brunner"),
    ),
    "fr": (
        ("Camille", "Léa", "Manon", "Chloé", "Inès", "Lucas", "Hugo", "Louis", "Jules"),
        ("Gabriel", "Élise"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy"),
        ("Moreau", "Laurent"),
    ),
    "nl": (
        ("Daan", "Sem", "Lars", "Bram", "Noah", "Tess", "Sanne", "Fleur", "Julia"),
        ("Emma",),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit"),
        ("Meijer",),
    ),
    "es": (
        ("Lucía", "Sofía", "Martina", "María", "Carmen", "Pablo", "Hugo", "Alejandro"),
        ("Daniel", "Javier"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez"),
        ("Pérez",),
    ),
    "it": (
        ("Giulia", "Chiara", "Francesca", "Sara", "Giorgia", "Marco", "Luca", "Matteo"),
        ("Alessandro", "Andrea"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
        (),
    ),
    "en": (
        ("Olivia", "Emily", "Sophia", "Charlotte", "Amelia", "Ava", "James", "Oliver"),
        ("William", "Jack", "Harry", "Ethan"),
        ("Smith", "Johnson", "Brown", "Taylor", "Williams", "Davies", "Wilson", "Evans"),
        ("Miller", "Clark"),
    ),
    "sv": (
        ("Elsa", "Maja", "Alice", "Astrid", "Ella", "Erik", "Oscar", "William", "Hugo"),
        ("Liam",),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"),
        ("Olsson",),
    ),
    "pl": (
        ("Zuzanna", "Julia", "Maja", "Hanna", "Oliwia", "Jakub", "Kacper", "Antoni"),
        ("Szymon", "Jan"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński"),
        ("Lewandowski",),
    ),
}
LANGUAGE_BY_COUNTRY = {
    "DE": "de",
    "CH": "de",
    "FR": "fr",
    "NL": "nl",
    "ES": "es",
    "IT": "it",
    "US": "en",
    "GB": "en",
    "SE": "sv",
    "PL": "pl",
}
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

SESSION_SCHEMA = pa.schema(
    [
        ("session_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("channel", pa.string()),
        ("device", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("pageviews", pa.int32()),
        ("order_id", pa.int64()),
    ]
)
MARKETING_COLUMNS = ("spend_date", "channel", "campaign", "spend_eur", "impressions", "clicks")
TARGET_COLUMNS = ("target_month", "channel", "target_orders", "target_revenue_eur")

SCHEMA_SQL = """
create table if not exists meta (
    key text primary key,
    value text not null
);
create table if not exists customers (
    customer_id integer primary key,
    first_name text not null,
    last_name text not null,
    email text not null,
    country_code text not null,
    created_at text not null,
    updated_at text not null
);
create index if not exists customers_by_updated on customers (updated_at, customer_id);
create table if not exists products (
    product_id integer primary key,
    sku text not null unique,
    product_name text not null,
    category text not null,
    unit_price_eur real not null,
    is_active integer not null,
    created_at text not null,
    updated_at text not null
);
create index if not exists products_by_updated on products (updated_at, product_id);
create table if not exists orders (
    order_id integer primary key,
    customer_id integer not null,
    status text not null,
    currency text not null,
    channel text not null,
    ordered_at text not null,
    updated_at text not null
);
create index if not exists orders_by_updated on orders (updated_at, order_id);
create table if not exists order_items (
    order_id integer not null,
    line_number integer not null,
    product_id integer not null,
    quantity integer not null,
    unit_price real not null,
    primary key (order_id, line_number)
) without rowid;
create table if not exists payments (
    payment_id integer primary key,
    order_id integer not null,
    payment_type text not null,
    payment_method text not null,
    amount real not null,
    currency text not null,
    created_at text not null,
    updated_at text not null
);
create index if not exists payments_by_updated on payments (updated_at, payment_id);
create table if not exists order_lifecycle (
    order_id integer not null,
    step integer not null,
    event_day integer not null,
    event_at integer not null,
    status text not null,
    payment_type text,
    payment_method text,
    amount_cents integer,
    currency text not null,
    primary key (order_id, step)
) without rowid;
create index if not exists order_lifecycle_by_day on order_lifecycle (event_day);
"""

ID_COUNTERS = ("customer", "product", "order", "payment", "session")


# --- small helpers ---------------------------------------------------------------------------


def _rng(seed: int, day: int | str, purpose: str) -> random.Random:
    """A generator private to one (seed, day, purpose), so streams never shift each other."""
    return random.Random(f"northwind:{seed}:{day}:{purpose}")


@cache
def day_date(day: int) -> date:
    """The calendar date of a day number (day 0 is 2025-01-01)."""
    return EPOCH + timedelta(days=day)


def iso_timestamp(seconds: int) -> str:
    """ISO-8601 UTC text of a time given in seconds since 2025-01-01 (sorts like the time)."""
    day, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{day_date(day).isoformat()}T{hours:02d}:{minutes:02d}:{secs:02d}Z"


def _black_friday(year: int) -> date:
    """The last Friday of November."""
    last = date(year, 11, 30)
    return last - timedelta(days=(last.weekday() - 4) % 7)


def _event_factor(day: date) -> float:
    """Demand multiplier for the retail calendar's peaks and troughs."""
    black_friday = _black_friday(day.year)
    if black_friday <= day <= black_friday + timedelta(days=3):
        return 2.1 if day == black_friday else 1.6
    if date(day.year, 12, 24) <= day <= date(day.year, 12, 26):
        return 0.55
    return 1.0


def _seasonal_campaign(day: date) -> str | None:
    """The promotion running on a date, if any; it gets its own marketing campaign."""
    black_friday = _black_friday(day.year)
    if black_friday - timedelta(days=7) <= day <= black_friday + timedelta(days=3):
        return f"black_friday_{day.year}"
    if day.month == 12 and day.day <= 22:
        return f"holiday_gifting_{day.year}"
    if day.month == 1:
        return f"winter_sale_{day.year}"
    if day.month == 7:
        return f"summer_sale_{day.year}"
    return None


def _retail_price_cents(eur: float) -> int:
    """Snap a price to the shop's x.99 price points."""
    return max(5, round(eur)) * 100 - 1


@cache
def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters only, for email local parts built from names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalpha())


def _batched_insert(conn: sqlite3.Connection, sql: str, rows: Sequence[tuple]) -> None:
    """executemany in fixed-size batches, so no statement binds an unbounded list."""
    for start in range(0, len(rows), BATCH_SIZE):
        conn.executemany(sql, rows[start : start + BATCH_SIZE])


def _replace_file(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file so a crash never leaves half a file drop behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    os.replace(temporary, path)


# --- order volume ----------------------------------------------------------------------------


class _Volume:
    """Orders per day: weekly and yearly seasonality, mild growth and daily noise.

    Day weights are normalised over the first 365 days, so those days add up to exactly the
    requested number of orders; later days continue at the same scale. Counts come from
    rounding the cumulative sum, so fractions carry over instead of being lost every day.
    """

    def __init__(self, seed: int, orders: int, days: int) -> None:
        self.weights = [self._weight(seed, day) for day in range(max(days, 365))]
        self.scale = orders / math.fsum(self.weights[:365])
        self.cumulative = list(itertools.accumulate(self.weights, initial=0.0))

    @staticmethod
    def _weight(seed: int, day: int) -> float:
        when = day_date(day)
        seasonal = WEEKDAY_FACTORS[when.weekday()] * MONTH_FACTORS[when.month - 1]
        growth = 1.0 + ANNUAL_GROWTH * day / 365
        noise = _rng(seed, day, "volume").uniform(0.88, 1.12)
        return seasonal * _event_factor(when) * growth * noise

    def orders_on(self, day: int) -> int:
        until_end = round(self.scale * self.cumulative[day + 1])
        return until_end - round(self.scale * self.cumulative[day])

    def expected_on(self, day: int) -> float:
        return self.scale * self.weights[day]


# --- the shop --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PlacedOrder:
    """What the day's web sessions and marketing need to know about an order placed that day."""

    order_id: int
    customer_id: int
    placed_at: int
    channel: str


@dataclass(frozen=True, slots=True)
class _Product:
    product_id: int
    price_cents: int
    popularity: float


def _weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(weights)


def _expected_order_value_eur(products: Sequence[_Product]) -> float:
    """What an order brings in net, on average, with today's catalogue: its lines and units
    (the weights of `_line_items`) at the popularity-weighted list price, less what
    cancellations and returns refund."""
    lines = _weighted_mean(range(1, len(ITEM_COUNT_WEIGHTS) + 1), ITEM_COUNT_WEIGHTS)
    units = _weighted_mean(range(1, len(QUANTITY_WEIGHTS) + 1), QUANTITY_WEIGHTS)
    price_eur = _weighted_mean(
        [p.price_cents / 100 for p in products], [p.popularity for p in products]
    )
    kept = 1 - CANCEL_RATE - RETURN_RATE * RETURN_REFUND_SHARE
    return lines * units * price_eur * kept


class _Shop:
    """One open state directory: advances the business a day at a time."""

    def __init__(self, conn: sqlite3.Connection, landing: Path, seed: int, volume: _Volume) -> None:
        self.conn = conn
        self.landing = landing
        self.seed = seed
        self.volume = volume
        meta = dict(conn.execute("select key, value from meta").fetchall())
        self.next_id = {name: int(meta[f"next_{name}_id"]) for name in ID_COUNTERS}
        self.marketing_rows = int(meta["marketing_rows"])

    def take_ids(self, counter: str, count: int = 1) -> int:
        """Reserve `count` consecutive ids and return the first."""
        first = self.next_id[counter]
        self.next_id[counter] = first + count
        return first

    def run_day(self, day: int) -> None:
        """Generate and commit one day; nothing of it is visible until it is complete."""
        self.conn.execute("begin")
        if day == 0:
            self._create_catalog()
        else:
            self._change_catalog(day)
        known_customers = self.next_id["customer"] - 1
        placed = self._place_orders(day, known_customers)
        delivered = self._apply_lifecycle(day)
        self._change_profiles(day, known_customers, {order.customer_id for order in placed})
        self._drop_web_sessions(day, placed, known_customers)
        self._drop_marketing_spend(day, placed)
        self._drop_product_reviews(day, delivered)
        if day_date(day).day == 1:
            self._drop_sales_targets(day)
        self._save_meta(day)
        self.conn.execute("commit")

    # catalogue ------------------------------------------------------------------------------

    def _popularity(self, product_id: int) -> float:
        """A fixed, skewed appetite for each product: a few best sellers, a long tail."""
        return _rng(self.seed, "catalog", f"popularity:{product_id}").lognormvariate(0.0, 0.9)

    def _new_product(self, rng: random.Random, at: int) -> tuple:
        product_id = self.take_ids("product")
        category = rng.choice(tuple(CATEGORIES))
        code, items, (lowest, highest) = CATEGORIES[category]
        name = f"{rng.choice(STYLES)} {rng.choice(items)} - {rng.choice(COLOURS)}"
        price = _retail_price_cents(rng.uniform(lowest, highest)) / 100
        stamp = iso_timestamp(at)
        sku = f"NT-{code}-{product_id:04d}"
        return (product_id, sku, name, category, price, 1, stamp, stamp)

    def _insert_products(self, rows: Sequence[tuple]) -> None:
        _batched_insert(self.conn, "insert into products values (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _create_catalog(self) -> None:
        """The range on sale when the story starts, launched over the year before."""
        rng = _rng(self.seed, "catalog", "initial")
        launched = sorted(rng.randint(-365 * DAY, -DAY) for _ in range(rng.randint(90, 130)))
        self._insert_products([self._new_product(rng, at) for at in launched])

    def _change_catalog(self, day: int) -> None:
        """The nightly catalogue job: a few reprices, launches and discontinuations.

        It runs in the first minute of the day, before any order, so every order of the day
        sees one price per product.
        """
        rng = _rng(self.seed, day, "catalog")
        at = iso_timestamp(day * DAY + rng.randint(0, 59))
        active = [
            row
            for row in self.conn.execute(
                "select product_id, unit_price_eur from products where is_active = 1"
                " order by product_id"
            )
        ]
        on_sale = _seasonal_campaign(day_date(day)) is not None
        if rng.random() < 0.08:
            repriced = rng.sample(active, k=min(len(active), rng.randint(1, 4)))
            updates = []
            for product_id, price in repriced:
                factor = rng.choice((0.75, 0.8, 0.9) if on_sale else (0.9, 1.05, 1.1, 1.15))
                updates.append((_retail_price_cents(price * factor) / 100, at, product_id))
            self.conn.executemany(
                "update products set unit_price_eur = ?, updated_at = ? where product_id = ?",
                updates,
            )
        total = self.next_id["product"] - 1
        if total < MAX_PRODUCTS and rng.random() < 0.05:
            count = min(MAX_PRODUCTS - total, rng.randint(1, 3))
            self._insert_products([self._new_product(rng, day * DAY + 60) for _ in range(count)])
        if len(active) > MIN_ACTIVE_PRODUCTS and rng.random() < 0.02:
            product_id = rng.choice(active)[0]
            self.conn.execute(
                "update products set is_active = 0, updated_at = ? where product_id = ?",
                (at, product_id),
            )

    def _active_products(self) -> list[_Product]:
        return [
            _Product(product_id, round(price * 100), self._popularity(product_id))
            for product_id, price in self.conn.execute(
                "select product_id, unit_price_eur from products where is_active = 1"
                " order by product_id"
            )
        ]

    # customers ------------------------------------------------------------------------------

    def _countries_of(self, customer_ids: Iterable[int]) -> dict[int, str]:
        """Current country of each customer, in one query per batch of ids."""
        ids = sorted(customer_ids)
        countries: dict[int, str] = {}
        for start in range(0, len(ids), BATCH_SIZE):
            batch = json.dumps(ids[start : start + BATCH_SIZE])
            countries.update(
                self.conn.execute(
                    "select customer_id, country_code from customers"
                    " where customer_id in (select value from json_each(?))",
                    (batch,),
                ).fetchall()
            )
        return countries

    @staticmethod
    def _email(rng: random.Random, first: str, last: str, customer_id: int) -> str:
        local = rng.choice(
            (
                f"{_ascii_slug(first)}.{_ascii_slug(last)}",
                f"{_ascii_slug(first)[0]}{_ascii_slug(last)}",
                f"{_ascii_slug(last)}.{_ascii_slug(first)}",
            )
        )
        return f"{local}{customer_id}@{rng.choice(EMAIL_DOMAINS)}"

    def _new_customer(self, rng: random.Random, country: str, created_at: int) -> tuple:
        customer_id = self.take_ids("customer")
        first_names, more_first, last_names, more_last = NAMES_BY_LANGUAGE[
            LANGUAGE_BY_COUNTRY[country]
        ]
        first = rng.choice(first_names + more_first)
        last = rng.choice(last_names + more_last)
        stamp = iso_timestamp(created_at)
        email = self._email(rng, first, last, customer_id)
        return (customer_id, first, last, email, country, stamp, stamp)

    def _change_profiles(self, day: int, known_customers: int, ordering: set[int]) -> None:
        """A few existing customers change their email or move country.

        Customers who ordered today are left alone, so every order's currency matches the
        country its customer had when ordering.
        """
        rng = _rng(self.seed, day, "profiles")
        expected = self.volume.expected_on(day) * PROFILE_CHANGES_PER_ORDER
        count = int(expected) + (rng.random() < expected % 1)
        if known_customers == 0 or count == 0:
            return
        chosen = {rng.randint(1, known_customers) for _ in range(count)} - ordering
        rows = self.conn.execute(
            "select customer_id, first_name, last_name, email, country_code from customers"
            " where customer_id in (select value from json_each(?)) order by customer_id",
            (json.dumps(sorted(chosen)),),
        ).fetchall()
        updates = []
        for customer_id, first, last, email, country in rows:
            if rng.random() < 0.7:
                email = self._email(rng, first, last, customer_id)
            else:
                country = rng.choice([code for code in COUNTRIES if code != country])
            at = iso_timestamp(day * DAY + rng.randint(0, DAY - 1))
            updates.append((email, country, at, customer_id))
        self.conn.executemany(
            "update customers set email = ?, country_code = ?, updated_at = ?"
            " where customer_id = ?",
            updates,
        )

    # orders ---------------------------------------------------------------------------------

    def _place_orders(self, day: int, known_customers: int) -> list[_PlacedOrder]:
        """Today's new orders with their customers, line items and future lifecycle."""
        rng = _rng(self.seed, day, "orders")
        day_start = day * DAY
        count = self.volume.orders_on(day)
        products = self._active_products()
        cumulative_popularity = list(itertools.accumulate(p.popularity for p in products))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        # Orders start after the nightly catalogue job (first minute of the day).
        placed_times = sorted(day_start + hour * 3600 + rng.randint(60, 3599) for hour in hours)

        new_share = NEW_CUSTOMER_SHARE + (1 - NEW_CUSTOMER_SHARE) * math.exp(-day / 30)
        returning: list[int | None] = []
        for _ in placed_times:
            if known_customers == 0 or rng.random() < new_share:
                returning.append(None)
            elif rng.random() < 0.5:
                returning.append(rng.randint(1, known_customers))
            else:  # recent customers are likelier to come back
                returning.append(rng.randint(max(1, known_customers * 3 // 4), known_customers))
        countries = self._countries_of({c for c in returning if c is not None})

        customer_rows: list[tuple] = []
        order_rows: list[tuple] = []
        item_rows: list[tuple] = []
        lifecycle_rows: list[tuple] = []
        placed: list[_PlacedOrder] = []
        for placed_at, customer_id in zip(placed_times, returning, strict=True):
            if customer_id is None:
                country = rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0]
                created_at = max(day_start, placed_at - rng.randint(60, 1200))
                customer_rows.append(self._new_customer(rng, country, created_at))
                customer_id = customer_rows[-1][0]
            else:
                country = countries[customer_id]
            currency = CURRENCY_BY_COUNTRY[country]
            order_id = self.take_ids("order")
            channel = rng.choices(CHANNELS, weights=ORDER_CHANNEL_WEIGHTS)[0]
            stamp = iso_timestamp(placed_at)
            order_rows.append((order_id, customer_id, "placed", currency, channel, stamp, stamp))
            lines = self._line_items(rng, products, cumulative_popularity, currency)
            item_rows.extend(
                (order_id, number, product_id, quantity, cents / 100)
                for number, (product_id, quantity, cents) in enumerate(lines, start=1)
            )
            lifecycle_rows.extend(self._lifecycle(rng, order_id, placed_at, lines, currency))
            placed.append(_PlacedOrder(order_id, customer_id, placed_at, channel))

        conn = self.conn
        _batched_insert(conn, "insert into customers values (?, ?, ?, ?, ?, ?, ?)", customer_rows)
        _batched_insert(conn, "insert into orders values (?, ?, ?, ?, ?, ?, ?)", order_rows)
        _batched_insert(conn, "insert into order_items values (?, ?, ?, ?, ?)", item_rows)
        _batched_insert(
            conn, "insert into order_lifecycle values (?, ?, ?, ?, ?, ?, ?, ?, ?)", lifecycle_rows
        )
        return placed

    @staticmethod
    def _line_items(
        rng: random.Random,
        products: list[_Product],
        cumulative_popularity: list[float],
        currency: str,
    ) -> list[tuple[int, int, int]]:
        """1-5 distinct products as (product_id, quantity, unit price in local cents)."""
        wanted = min(len(products), rng.choices(range(1, 6), weights=ITEM_COUNT_WEIGHTS)[0])
        picked: dict[int, _Product] = {}
        while len(picked) < wanted:
            product = rng.choices(products, cum_weights=cumulative_popularity)[0]
            picked.setdefault(product.product_id, product)
        rate = EUR_PRICE_RATES[currency]
        return [
            (
                product.product_id,
                rng.choices((1, 2, 3), weights=QUANTITY_WEIGHTS)[0],
                round(product.price_cents * rate),
            )
            for product in picked.values()
        ]

    @staticmethod
    def _lifecycle(
        rng: random.Random,
        order_id: int,
        placed_at: int,
        lines: list[tuple[int, int, int]],
        currency: str,
    ) -> list[tuple]:
        """Decide every future status change of a new order, each at most 30 days out."""
        total = sum(quantity * cents for _, quantity, cents in lines)
        method = rng.choices(PAYMENT_METHODS, weights=PAYMENT_METHOD_WEIGHTS)[0]
        if method == "bank_transfer":
            paid_at = placed_at + rng.randint(6 * 3600, 4 * DAY)
        else:
            paid_at = placed_at + rng.randint(20, 1800)
        deadline = placed_at + LIFECYCLE_MAX_DAYS * DAY
        # (at, status, payment type, amount in cents)
        events: list[tuple[int, str, str | None, int | None]] = []
        outcome = rng.random()
        if outcome < CANCEL_RATE:
            if method == "bank_transfer" or rng.random() < 0.4:  # cancelled before paying
                cancel_at = placed_at + rng.randint(3600, 5 * DAY)
                if method == "bank_transfer":
                    cancel_at = max(cancel_at, paid_at)  # the transfer never arrived
                events.append((cancel_at, "cancelled", None, None))
            else:  # paid, then cancelled before shipping: refunded in full
                events.append((paid_at, "paid", "payment", total))
                cancel_at = paid_at + rng.randint(600, 2 * DAY)
                events.append((cancel_at, "cancelled", "refund", total))
        else:
            shipped_at = paid_at + rng.randint(4 * 3600, 3 * DAY)
            delivered_at = shipped_at + rng.randint(DAY, 6 * DAY)
            events.append((paid_at, "paid", "payment", total))
            events.append((shipped_at, "shipped", None, None))
            events.append((delivered_at, "delivered", None, None))
            if outcome < CANCEL_RATE + RETURN_RATE:
                returned_at = min(delivered_at + rng.randint(DAY, 14 * DAY), deadline)
                if len(lines) == 1 or rng.random() < 0.6:
                    refund = total
                else:  # some of the items came back
                    kept = rng.sample(lines, k=rng.randint(1, len(lines) - 1))
                    refund = total - sum(quantity * cents for _, quantity, cents in kept)
                events.append((returned_at, "returned", "refund", refund))
        return [
            (
                order_id,
                step,
                at // DAY,
                at,
                status,
                payment_type,
                method if payment_type else None,
                amount,
                currency,
            )
            for step, (at, status, payment_type, amount) in enumerate(events, start=1)
        ]

    def _apply_lifecycle(self, day: int) -> list[tuple[int, int]]:
        """Apply every status change due today, in time order, and record its payment.

        Returns the orders delivered today as (order_id, delivered at).
        """
        due = self.conn.execute(
            "select order_id, event_at, status, payment_type, payment_method, amount_cents,"
            " currency from order_lifecycle where event_day = ? order by event_at, order_id, step",
            (day,),
        ).fetchall()
        status_rows = []
        payment_rows = []
        for order_id, event_at, status, payment_type, method, amount_cents, currency in due:
            stamp = iso_timestamp(event_at)
            status_rows.append((status, stamp, order_id))
            if payment_type is not None:
                payment_id = self.take_ids("payment")
                payment_rows.append(
                    (
                        payment_id,
                        order_id,
                        payment_type,
                        method,
                        amount_cents / 100,
                        currency,
                        stamp,
                        stamp,
                    )
                )
        _batched_insert(
            self.conn,
            "update orders set status = ?, updated_at = ? where order_id = ?",
            status_rows,
        )
        _batched_insert(
            self.conn, "insert into payments values (?, ?, ?, ?, ?, ?, ?, ?)", payment_rows
        )
        self.conn.execute("delete from order_lifecycle where event_day = ?", (day,))
        return [
            (order_id, event_at) for order_id, event_at, status, *_ in due if status == "delivered"
        ]

    # file drops -----------------------------------------------------------------------------

    def _drop_web_sessions(
        self, day: int, placed: list[_PlacedOrder], known_customers: int
    ) -> None:
        """One Parquet file of the day's sessions: one converting session per order, browsing."""
        rng = _rng(self.seed, day, "sessions")
        day_start = day * DAY
        # (started_at, customer_id, channel, device, pageviews, order_id)
        sessions: list[tuple[int, int | None, str, str, int, int | None]] = []
        for order in placed:
            started_at = max(day_start, order.placed_at - rng.randint(120, 2400))
            device = rng.choices(DEVICES, weights=DEVICE_WEIGHTS)[0]
            sessions.append(
                (
                    started_at,
                    order.customer_id,
                    order.channel,
                    device,
                    rng.randint(3, 25),
                    order.order_id,
                )
            )
        expected_browsing = max(len(placed), 1) * BROWSING_SESSIONS_PER_ORDER
        browsing = round(expected_browsing * rng.uniform(0.9, 1.1))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=browsing)
        channels = rng.choices(CHANNELS, weights=TRAFFIC_CHANNEL_WEIGHTS, k=browsing)
        devices = rng.choices(DEVICES, weights=DEVICE_WEIGHTS, k=browsing)
        for hour, channel, device in zip(hours, channels, devices, strict=True):
            known = known_customers > 0 and rng.random() < KNOWN_VISITOR_SHARE
            customer_id = rng.randint(1, known_customers) if known else None
            pageviews = min(40, 1 + int(rng.expovariate(1 / 3)))
            started_at = day_start + hour * 3600 + rng.randint(0, 3599)
            sessions.append((started_at, customer_id, channel, device, pageviews, None))
        sessions.sort(key=lambda session: session[0])

        first_id = self.take_ids("session", len(sessions))
        started, customers, channel_col, device_col, pageviews_col, orders = (
            zip(*sessions, strict=True) if sessions else ((),) * 6
        )
        table = pa.table(
            [
                pa.array(range(first_id, first_id + len(sessions)), pa.int64()),
                pa.array(customers, pa.int64()),
                pa.array(channel_col, pa.string()),
                pa.array(device_col, pa.string()),
                pa.array(
                    [(EPOCH_UNIX_SECONDS + s) * 1_000_000 for s in started],
                    pa.timestamp("us", tz="UTC"),
                ),
                pa.array(pageviews_col, pa.int32()),
                pa.array(orders, pa.int64()),
            ],
            schema=SESSION_SCHEMA,
        )
        when = day_date(day).isoformat()
        path = self.landing / "web_sessions" / f"web_sessions_{when}.parquet"
        _replace_file(path, lambda target: pq.write_table(table, target, compression="zstd"))

    def _drop_marketing_spend(self, day: int, placed: list[_PlacedOrder]) -> None:
        """One CSV of the day's spend per paid channel and campaign, tracking order volume."""
        rng = _rng(self.seed, day, "marketing")
        when = day_date(day)
        seasonal = _seasonal_campaign(when)
        expected = self.volume.expected_on(day)
        share = dict(zip(CHANNELS, ORDER_CHANNEL_WEIGHTS, strict=True))
        share_total = sum(ORDER_CHANNEL_WEIGHTS)
        rows = []
        for channel, (cost_per_order, cpm, click_rate) in PAID_CHANNELS.items():
            actual = sum(1 for order in placed if order.channel == channel)
            attributed = 0.6 * expected * share[channel] / share_total + 0.4 * actual
            spend = cost_per_order * attributed * rng.uniform(0.9, 1.1)
            campaigns = list(EVERGREEN_CAMPAIGNS[channel])
            if seasonal and channel in SEASONAL_CHANNELS:
                spend *= 1.3
                campaigns = [(name, weight * 0.7) for name, weight in campaigns]
                prefix = channel.split("_")[0] if channel != "paid_search" else "search"
                campaigns.append((f"{prefix}_{seasonal}", 0.3))
            for campaign, weight in campaigns:
                campaign_spend = round(spend * weight * rng.uniform(0.92, 1.08), 2)
                impressions = round(campaign_spend / cpm * 1000 * rng.uniform(0.9, 1.1))
                clicks = round(impressions * click_rate * rng.uniform(0.85, 1.15))
                rows.append(
                    (
                        when.isoformat(),
                        channel,
                        campaign,
                        f"{campaign_spend:.2f}",
                        impressions,
                        clicks,
                    )
                )
        rows.sort()

        def write(target: Path) -> None:
            with target.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(MARKETING_COLUMNS)
                writer.writerows(rows)

        path = self.landing / "marketing_spend" / f"marketing_spend_{when.isoformat()}.csv"
        _replace_file(path, write)
        self.marketing_rows += len(rows)

    def _drop_product_reviews(self, day: int, delivered: list[tuple[int, int]]) -> None:
        """One JSON Lines file of the day's reviews: some customers review a product on arrival.

        Orders that will be sent back get worse ratings. A review's id is its order line's
        (`order_id * 1000 + line_number`), so each line is reviewed at most once.
        """
        rng = _rng(self.seed, day, "reviews")
        order_ids = json.dumps([order_id for order_id, _ in delivered])
        lines: dict[int, list[tuple[int, int]]] = {}
        for order_id, line_number, product_id in self.conn.execute(
            "select order_id, line_number, product_id from order_items"
            " where order_id in (select value from json_each(?)) order by order_id, line_number",
            (order_ids,),
        ):
            lines.setdefault(order_id, []).append((line_number, product_id))
        customers = dict(
            self.conn.execute(
                "select order_id, customer_id from orders"
                " where order_id in (select value from json_each(?))",
                (order_ids,),
            ).fetchall()
        )
        returning = {
            order_id
            for (order_id,) in self.conn.execute(
                "select distinct order_id from order_lifecycle where status = 'returned'"
                " and order_id in (select value from json_each(?))",
                (order_ids,),
            )
        }
        day_end = (day + 1) * DAY - 1
        reviews = []
        for order_id, delivered_at in delivered:
            if rng.random() >= REVIEW_RATE:
                continue
            line_number, product_id = rng.choice(lines[order_id])
            weights = RETURNED_RATING_WEIGHTS if order_id in returning else RATING_WEIGHTS
            rating = rng.choices(range(1, 6), weights=weights)[0]
            reviewed_at = min(delivered_at + rng.randint(600, 8 * 3600), day_end)
            reviews.append(
                {
                    "review_id": order_id * 1000 + line_number,
                    "order_id": order_id,
                    "product_id": product_id,
                    "customer_id": customers[order_id],
                    "rating": rating,
                    "title": rng.choice(REVIEW_TITLES[rating]),
                    "reviewed_at": iso_timestamp(reviewed_at),
                }
            )
        reviews.sort(key=lambda review: (review["reviewed_at"], review["review_id"]))

        def write(target: Path) -> None:
            with target.open("w", encoding="utf-8", newline="\n") as handle:
                for review in reviews:
                    handle.write(json.dumps(review, ensure_ascii=False) + "\n")

        when = day_date(day).isoformat()
        _replace_file(self.landing / "product_reviews" / f"product_reviews_{when}.jsonl", write)

    def _drop_sales_targets(self, day: int) -> None:
        """An Excel sheet of the month's targets per order channel, on its first day."""
        month = day_date(day)
        next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days = range(day, day + (next_month - month).days)
        expected = self.volume.scale * math.fsum(_Volume._weight(self.seed, d) for d in days)
        total_weight = sum(ORDER_CHANNEL_WEIGHTS)
        order_value = _expected_order_value_eur(self._active_products())
        rows = []
        for channel, weight in zip(CHANNELS, ORDER_CHANNEL_WEIGHTS, strict=True):
            orders = round(expected * weight / total_weight * TARGET_STRETCH)
            rows.append((month, channel, orders, round(orders * order_value, 2)))

        def write(target: Path) -> None:
            workbook = Workbook(write_only=True)
            workbook.properties.creator = "demo generator"
            workbook.properties.created = datetime(month.year, month.month, 1)
            sheet = workbook.create_sheet("targets")
            sheet.append(TARGET_COLUMNS)
            for row in rows:
                sheet.append(row)
            workbook.save(target)

        name = f"sales_targets_{month:%Y-%m}.xlsx"
        _replace_file(self.landing / "sales_targets" / name, write)

    # bookkeeping ----------------------------------------------------------------------------

    def _save_meta(self, day: int) -> None:
        values = {f"next_{name}_id": self.next_id[name] for name in ID_COUNTERS}
        values |= {
            "days_generated": day + 1,
            "last_day": day_date(day).isoformat(),
            "marketing_rows": self.marketing_rows,
        }
        self.conn.executemany(
            "insert or replace into meta (key, value) values (?, ?)",
            [(key, str(value)) for key, value in values.items()],
        )


# --- public API ------------------------------------------------------------------------------


def _open_state(db_path: Path, seed: int, orders: int) -> tuple[sqlite3.Connection, int]:
    """Open (or create) the state database; refuse one made with other settings."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = off")
    has_meta = conn.execute(
        "select 1 from sqlite_master where type = 'table' and name = 'meta'"
    ).fetchone()
    if has_meta:
        meta = dict(conn.execute("select key, value from meta").fetchall())
        if int(meta.get("schema_version", 0)) != SCHEMA_VERSION:
            conn.close()
            raise ValueError(
                f"{db_path} has state schema version {meta.get('schema_version')}, "
                f"this generator writes {SCHEMA_VERSION}; delete the state dir and regenerate"
            )
        stored = (int(meta["seed"]), int(meta["orders"]))
        if stored != (seed, orders):
            conn.close()
            raise ValueError(
                f"{db_path} was generated with seed={stored[0]}, orders={stored[1]}; "
                f"got seed={seed}, orders={orders} (use another state dir or delete it)"
            )
        return conn, int(meta["days_generated"])
    conn.execute("begin")
    for statement in SCHEMA_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    initial = {
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "orders": orders,
        "days_generated": 0,
        "last_day": "",
        "marketing_rows": 0,
    } | {f"next_{name}_id": 1 for name in ID_COUNTERS}
    conn.executemany(
        "insert into meta (key, value) values (?, ?)",
        [(key, str(value)) for key, value in initial.items()],
    )
    conn.execute("commit")
    return conn, 0


def generate(
    state_dir: Path,
    *,
    days: int = 365,
    orders: int = 20_000,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Bring the demo shop in `state_dir` up to `days` days, generating only the missing ones.

    Returns a summary: days generated by this call, total days, the last business date and
    row counts per entity. Raises ValueError (one-line message) for non-positive arguments,
    a state made with another seed or order volume, or fewer days than already generated.
    """
    if days < 1 or orders < 1:
        raise ValueError(f"days and orders must be positive, got days={days}, orders={orders}")
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    db_path = state_dir / DB_FILENAME
    conn, done = _open_state(db_path, seed, orders)
    try:
        if days < done:
            raise ValueError(
                f"{db_path} already holds {done} days; cannot go back to {days} "
                "(the business only moves forward)"
            )
        shop = _Shop(conn, state_dir / LANDING_DIRNAME, seed, _Volume(seed, orders, days))
        for day in range(done, days):
            shop.run_day(day)
            generated = day + 1 - done
            if progress and (generated % PROGRESS_EVERY_DAYS == 0 or day == days - 1):
                progress(
                    f"{day_date(day).isoformat()}: day {day + 1}/{days}, "
                    f"{shop.next_id['order'] - 1:,} orders"
                )
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
            for table in ("customers", "products", "orders", "order_items", "payments")
        }
        counts["web_sessions"] = shop.next_id["session"] - 1
        counts["marketing_spend"] = shop.marketing_rows
    finally:
        conn.close()
    return {
        "state_dir": str(state_dir),
        "days_generated": days - done,
        "days_total": days,
        "last_day": day_date(days - 1).isoformat(),
        "counts": counts,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m demo.generator`: generate or advance the demo shop from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".local/demo"))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        summary = generate(
            args.state_dir,
            days=args.days,
            orders=args.orders,
            seed=args.seed,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
