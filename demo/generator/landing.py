"""The demo shop's daily file drops into the landing folder, one format per source.

Web sessions as Parquet, marketing spend as CSV and product reviews as JSON Lines, one file per
day; monthly sales targets as an Excel sheet on the first day of each month. Every file is
written through a temporary name and renamed, so a crash never leaves half a file behind.
"""

import csv
import json
import math
import os
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from demo.generator.orders import PlacedOrder, Product, expected_order_value_eur
from demo.generator.reference import (
    BROWSING_SESSIONS_PER_ORDER,
    CHANNELS,
    DEVICE_WEIGHTS,
    DEVICES,
    EVERGREEN_CAMPAIGNS,
    HOUR_WEIGHTS,
    KNOWN_VISITOR_SHARE,
    ORDER_CHANNEL_WEIGHTS,
    PAID_CHANNELS,
    RATING_WEIGHTS,
    RETURNED_RATING_WEIGHTS,
    REVIEW_RATE,
    REVIEW_TITLES,
    SEASONAL_CHANNELS,
    TARGET_STRETCH,
    TRAFFIC_CHANNEL_WEIGHTS,
)
from demo.generator.timeline import (
    DAY,
    EPOCH_UNIX_SECONDS,
    Volume,
    day_date,
    iso_timestamp,
    rng_for,
    seasonal_campaign,
)


class Shop(Protocol):
    """What the file drops need of the day's simulation (`demo.generator.shop.Shop`)."""

    conn: sqlite3.Connection
    landing: Path
    seed: int
    volume: Volume

    def take_ids(self, counter: str, count: int = 1) -> int:
        """Reserve `count` consecutive ids and return the first."""
        ...

    def active_products(self) -> list[Product]:
        """The products on sale now, by id."""
        ...


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


def replace_file(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file so a crash never leaves half a file drop behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    os.replace(temporary, path)


def drop_web_sessions(
    shop: Shop, day: int, placed: list[PlacedOrder], known_customers: int
) -> None:
    """One Parquet file of the day's sessions: one converting session per order, browsing."""
    rng = rng_for(shop.seed, day, "sessions")
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
    table = _sessions_table(shop.take_ids("session", len(sessions)), sessions)
    when = day_date(day).isoformat()
    path = shop.landing / "web_sessions" / f"web_sessions_{when}.parquet"
    replace_file(path, lambda target: pq.write_table(table, target, compression="zstd"))


def _sessions_table(first_id: int, sessions: list[tuple]) -> pa.Table:
    """The day's sessions as an Arrow table, ids counted up from `first_id` in start order."""
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
    return table


def drop_marketing_spend(shop: Shop, day: int, placed: list[PlacedOrder]) -> int:
    """One CSV of the day's spend per paid channel and campaign, tracking order volume.

    Returns the number of rows written.
    """
    rng = rng_for(shop.seed, day, "marketing")
    when = day_date(day)
    seasonal = seasonal_campaign(when)
    expected = shop.volume.expected_on(day)
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

    path = shop.landing / "marketing_spend" / f"marketing_spend_{when.isoformat()}.csv"
    replace_file(path, write)
    return len(rows)


def drop_product_reviews(shop: Shop, day: int, delivered: list[tuple[int, int]]) -> None:
    """One JSON Lines file of the day's reviews: some customers review a product on arrival.

    Orders that will be sent back get worse ratings. A review's id is its order line's
    (`order_id * 1000 + line_number`), so each line is reviewed at most once.
    """
    rng = rng_for(shop.seed, day, "reviews")
    lines, customers, returning = _delivered_orders(shop, delivered)
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
    replace_file(shop.landing / "product_reviews" / f"product_reviews_{when}.jsonl", write)


def _delivered_orders(
    shop: Shop, delivered: list[tuple[int, int]]
) -> tuple[dict[int, list[tuple[int, int]]], dict[int, int], set[int]]:
    """For the orders delivered today: their (line, product) pairs, customers, and which of
    them will be returned."""
    order_ids = json.dumps([order_id for order_id, _ in delivered])
    lines: dict[int, list[tuple[int, int]]] = {}
    for order_id, line_number, product_id in shop.conn.execute(
        "select order_id, line_number, product_id from order_items"
        " where order_id in (select value from json_each(?)) order by order_id, line_number",
        (order_ids,),
    ):
        lines.setdefault(order_id, []).append((line_number, product_id))
    customers = dict(
        shop.conn.execute(
            "select order_id, customer_id from orders"
            " where order_id in (select value from json_each(?))",
            (order_ids,),
        ).fetchall()
    )
    returning = {
        order_id
        for (order_id,) in shop.conn.execute(
            "select distinct order_id from order_lifecycle where status = 'returned'"
            " and order_id in (select value from json_each(?))",
            (order_ids,),
        )
    }
    return lines, customers, returning


def drop_sales_targets(shop: Shop, day: int) -> None:
    """An Excel sheet of the month's targets per order channel, on its first day."""
    month = day_date(day)
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    days = range(day, day + (next_month - month).days)
    expected = shop.volume.scale * math.fsum(Volume.weight(shop.seed, d) for d in days)
    total_weight = sum(ORDER_CHANNEL_WEIGHTS)
    order_value = expected_order_value_eur(shop.active_products())
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
    replace_file(shop.landing / "sales_targets" / name, write)
