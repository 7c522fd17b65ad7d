"""The kinds of file drop the landing source reads: one raw table each.

Adding a table is one `FileTable` here: the table, a glob under the landing location, the
primary key, and the declared columns with their Arrow types (kinds in `ingestion.schema`).
"""

from __future__ import annotations

import pyarrow as pa

from ingestion.landing.files import FileTable

FILES: tuple[FileTable, ...] = (
    FileTable(
        "marketing_spend",
        "marketing_spend/*",
        ("spend_date", "channel", "campaign"),
        {
            "spend_date": pa.date32(),
            "channel": pa.string(),
            "campaign": pa.string(),
            "spend_eur": pa.float64(),
            "impressions": pa.int64(),
            "clicks": pa.int64(),
        },
    ),
    FileTable(
        "web_sessions",
        "web_sessions/*",
        ("session_id",),
        {
            "session_id": pa.int64(),
            "customer_id": pa.int64(),
            "channel": pa.string(),
            "device": pa.string(),
            "started_at": pa.timestamp("us", tz="UTC"),
            "pageviews": pa.int32(),
            "order_id": pa.int64(),
        },
    ),
    FileTable(
        "product_reviews",
        "product_reviews/*",
        ("review_id",),
        {
            "review_id": pa.int64(),
            "order_id": pa.int64(),
            "product_id": pa.int64(),
            "customer_id": pa.int64(),
            "rating": pa.int32(),
            "title": pa.string(),
            "reviewed_at": pa.timestamp("us", tz="UTC"),
        },
    ),
    FileTable(
        "sales_targets",
        "sales_targets/*",
        ("target_month", "channel"),
        {
            "target_month": pa.date32(),
            "channel": pa.string(),
            "target_orders": pa.int64(),
            "target_revenue_eur": pa.float64(),
        },
    ),
)
