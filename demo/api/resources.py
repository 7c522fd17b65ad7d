"""The Shop API's listable resources: one page of a table, oldest change first.

Pagination is keyset on `(updated_at, id)` with an inclusive `updated_since`; orders carry
their line items. Fields are fixed by `demo/README.md`, plus any column added since (drift).
"""

import json
import sqlite3
from dataclasses import dataclass

from demo.api.params import (
    decode_cursor,
    encode_cursor,
    parse_limit,
    parse_updated_since,
    single,
)


@dataclass(frozen=True, slots=True)
class Resource:
    """One listable table: its contract fields, the first being the id."""

    table: str
    fields: tuple[str, ...]
    booleans: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.fields[0]


RESOURCES = {
    "customers": Resource(
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
    "products": Resource(
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
    "orders": Resource(
        "orders",
        ("order_id", "customer_id", "status", "currency", "channel", "ordered_at", "updated_at"),
    ),
    "payments": Resource(
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


def list_resource(
    conn: sqlite3.Connection, name: str, params: dict[str, list[str]]
) -> dict[str, object]:
    """One page of a resource, oldest change first, with the cursor of the next page."""
    resource = RESOURCES[name]
    limit = parse_limit(single(params, "limit"))
    since = parse_updated_since(single(params, "updated_since"))
    cursor_text = single(params, "cursor")
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


def _served_fields(conn: sqlite3.Connection, resource: Resource) -> tuple[str, ...]:
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
