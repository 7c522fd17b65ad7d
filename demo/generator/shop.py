"""The day-by-day simulation of the demo shop: catalogue, customers, orders and their lifecycle.

`Shop` wraps one open state database and advances the business one day at a time, each day in
its own transaction; the day's file drops are written by `demo.generator.landing`.
"""

import itertools
import json
import math
import random
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from demo.generator import landing
from demo.generator.orders import PlacedOrder, Product, lifecycle, line_items
from demo.generator.reference import (
    CATEGORIES,
    CHANNELS,
    COLOURS,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    CURRENCY_BY_COUNTRY,
    EMAIL_DOMAINS,
    HOUR_WEIGHTS,
    LANGUAGE_BY_COUNTRY,
    MAX_PRODUCTS,
    MIN_ACTIVE_PRODUCTS,
    NAMES_BY_LANGUAGE,
    NEW_CUSTOMER_SHARE,
    ORDER_CHANNEL_WEIGHTS,
    PROFILE_CHANGES_PER_ORDER,
    STYLES,
)
from demo.generator.storage import BATCH_SIZE, ID_COUNTERS, batched_insert
from demo.generator.timeline import DAY, Volume, day_date, iso_timestamp, rng_for, seasonal_campaign


def retail_price_cents(eur: float) -> int:
    """Snap a price to the shop's x.99 price points."""
    return max(5, round(eur)) * 100 - 1


@cache
def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters only, for email local parts built from names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalpha())


class Shop:
    """One open state directory: advances the business a day at a time."""

    def __init__(self, conn: sqlite3.Connection, landing: Path, seed: int, volume: Volume) -> None:
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
        landing.drop_web_sessions(self, day, placed, known_customers)
        self.marketing_rows += landing.drop_marketing_spend(self, day, placed)
        landing.drop_product_reviews(self, day, delivered)
        if day_date(day).day == 1:
            landing.drop_sales_targets(self, day)
        self._save_meta(day)
        self.conn.execute("commit")

    # catalogue ------------------------------------------------------------------------------

    def _popularity(self, product_id: int) -> float:
        """A fixed, skewed appetite for each product: a few best sellers, a long tail."""
        return rng_for(self.seed, "catalog", f"popularity:{product_id}").lognormvariate(0.0, 0.9)

    def _new_product(self, rng: random.Random, at: int) -> tuple:
        """A products row launched at `at`, named and priced within its category."""
        product_id = self.take_ids("product")
        category = rng.choice(tuple(CATEGORIES))
        code, items, (lowest, highest) = CATEGORIES[category]
        name = f"{rng.choice(STYLES)} {rng.choice(items)} - {rng.choice(COLOURS)}"
        price = retail_price_cents(rng.uniform(lowest, highest)) / 100
        stamp = iso_timestamp(at)
        sku = f"NT-{code}-{product_id:04d}"
        return (product_id, sku, name, category, price, 1, stamp, stamp)

    def _insert_products(self, rows: Sequence[tuple]) -> None:
        """Insert products rows."""
        batched_insert(self.conn, "insert into products values (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _create_catalog(self) -> None:
        """The range on sale when the story starts, launched over the year before."""
        rng = rng_for(self.seed, "catalog", "initial")
        launched = sorted(rng.randint(-365 * DAY, -DAY) for _ in range(rng.randint(90, 130)))
        self._insert_products([self._new_product(rng, at) for at in launched])

    def _change_catalog(self, day: int) -> None:
        """The nightly catalogue job: a few reprices, launches and discontinuations.

        It runs in the first minute of the day, before any order, so every order of the day
        sees one price per product.
        """
        rng = rng_for(self.seed, day, "catalog")
        at = iso_timestamp(day * DAY + rng.randint(0, 59))
        active = [
            row
            for row in self.conn.execute(
                "select product_id, unit_price_eur from products where is_active = 1"
                " order by product_id"
            )
        ]
        on_sale = seasonal_campaign(day_date(day)) is not None
        if rng.random() < 0.08:
            repriced = rng.sample(active, k=min(len(active), rng.randint(1, 4)))
            updates = []
            for product_id, price in repriced:
                factor = rng.choice((0.75, 0.8, 0.9) if on_sale else (0.9, 1.05, 1.1, 1.15))
                updates.append((retail_price_cents(price * factor) / 100, at, product_id))
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

    def active_products(self) -> list[Product]:
        """The products on sale now, by id."""
        return [
            Product(product_id, round(price * 100), self._popularity(product_id))
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
        """An address built from the customer's name and id, so it stays unique."""
        local = rng.choice(
            (
                f"{ascii_slug(first)}.{ascii_slug(last)}",
                f"{ascii_slug(first)[0]}{ascii_slug(last)}",
                f"{ascii_slug(last)}.{ascii_slug(first)}",
            )
        )
        return f"{local}{customer_id}@{rng.choice(EMAIL_DOMAINS)}"

    def _new_customer(self, rng: random.Random, country: str, created_at: int) -> tuple:
        """A customers row with a name common in the country's language."""
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
        rng = rng_for(self.seed, day, "profiles")
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

    def _place_orders(self, day: int, known_customers: int) -> list[PlacedOrder]:
        """Today's new orders with their customers, line items and future lifecycle."""
        rng = rng_for(self.seed, day, "orders")
        day_start = day * DAY
        count = self.volume.orders_on(day)
        products = self.active_products()
        cumulative_popularity = list(itertools.accumulate(p.popularity for p in products))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        # Orders start after the nightly catalogue job (first minute of the day).
        placed_times = sorted(day_start + hour * 3600 + rng.randint(60, 3599) for hour in hours)
        returning = self._returning_customers(rng, day, len(placed_times), known_customers)
        countries = self._countries_of({c for c in returning if c is not None})

        customer_rows: list[tuple] = []
        order_rows: list[tuple] = []
        item_rows: list[tuple] = []
        lifecycle_rows: list[tuple] = []
        placed: list[PlacedOrder] = []
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
            lines = line_items(rng, products, cumulative_popularity, currency)
            item_rows.extend(
                (order_id, number, product_id, quantity, cents / 100)
                for number, (product_id, quantity, cents) in enumerate(lines, start=1)
            )
            lifecycle_rows.extend(lifecycle(rng, order_id, placed_at, lines, currency))
            placed.append(PlacedOrder(order_id, customer_id, placed_at, channel))

        self._insert_orders(customer_rows, order_rows, item_rows, lifecycle_rows)
        return placed

    @staticmethod
    def _returning_customers(
        rng: random.Random, day: int, count: int, known_customers: int
    ) -> list[int | None]:
        """Who places each of `count` orders: an existing customer's id, or None for a new one.

        New customers dominate the first weeks, then settle at NEW_CUSTOMER_SHARE.
        """
        new_share = NEW_CUSTOMER_SHARE + (1 - NEW_CUSTOMER_SHARE) * math.exp(-day / 30)
        returning: list[int | None] = []
        for _ in range(count):
            if known_customers == 0 or rng.random() < new_share:
                returning.append(None)
            elif rng.random() < 0.5:
                returning.append(rng.randint(1, known_customers))
            else:  # recent customers are likelier to come back
                returning.append(rng.randint(max(1, known_customers * 3 // 4), known_customers))
        return returning

    def _insert_orders(
        self,
        customer_rows: Sequence[tuple],
        order_rows: Sequence[tuple],
        item_rows: Sequence[tuple],
        lifecycle_rows: Sequence[tuple],
    ) -> None:
        """Write the day's new customers, orders, order items and planned status changes."""
        conn = self.conn
        batched_insert(conn, "insert into customers values (?, ?, ?, ?, ?, ?, ?)", customer_rows)
        batched_insert(conn, "insert into orders values (?, ?, ?, ?, ?, ?, ?)", order_rows)
        batched_insert(conn, "insert into order_items values (?, ?, ?, ?, ?)", item_rows)
        batched_insert(
            conn, "insert into order_lifecycle values (?, ?, ?, ?, ?, ?, ?, ?, ?)", lifecycle_rows
        )

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
        batched_insert(
            self.conn,
            "update orders set status = ?, updated_at = ? where order_id = ?",
            status_rows,
        )
        batched_insert(
            self.conn, "insert into payments values (?, ?, ?, ?, ?, ?, ?, ?)", payment_rows
        )
        self.conn.execute("delete from order_lifecycle where event_day = ?", (day,))
        return [
            (order_id, event_at) for order_id, event_at, status, *_ in due if status == "delivered"
        ]

    # bookkeeping ----------------------------------------------------------------------------

    def _save_meta(self, day: int) -> None:
        """Record the id counters and progress, inside the day's transaction."""
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
