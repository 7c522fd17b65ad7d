"""The demo shop's SQLite state: its schema, opening it safely and batched writes.

The state database holds both what the Shop API serves (customers, products, orders, order
items, payments) and the generator's own bookkeeping: `meta` (seed, volume, id counters, days
done) and `order_lifecycle` (status changes decided in advance, applied on their day).
"""

import sqlite3
from collections.abc import Sequence
from pathlib import Path

DB_FILENAME = "shop.sqlite"
LANDING_DIRNAME = "landing"
SCHEMA_VERSION = 1
BATCH_SIZE = 5_000

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


def batched_insert(conn: sqlite3.Connection, sql: str, rows: Sequence[tuple]) -> None:
    """executemany in fixed-size batches, so no statement binds an unbounded list."""
    for start in range(0, len(rows), BATCH_SIZE):
        conn.executemany(sql, rows[start : start + BATCH_SIZE])


def open_state(db_path: Path, seed: int, orders: int) -> tuple[sqlite3.Connection, int]:
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
