"""File drops in a landing location: CSV, JSON Lines, Parquet and Excel files, one table each.

The location is a local folder or any fsspec URL (`s3://…`, `gs://…`). Files are listed
incrementally by modification time, so each file is read once; a corrected file dropped
again (a newer modification time) replaces every row of its earlier version: the tables are
merged with delete-insert on `_source_file` as well as on the primary key, so rows missing
from the corrected file disappear too. Files whose names start with a dot are ignored, so a
writer can upload under a temporary name and rename.

Files stream into Arrow (see `ingestion.readers`) and load as Parquet through ADBC, the fast
path into PostgreSQL. Records that do not fit a table's declared columns go to
`raw_landing._rejected_rows` with file, line and error; a corrected file replaces those too.
"""

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict, filesystem

from ingestion import quarantine
from ingestion.readers import UNREADABLE, Batch, FileTable, read_file

SOURCE_FILE = "_source_file"
FROZEN_TYPES = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}

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


def _batches(item: FileItemDict, table: FileTable) -> Iterator[Batch]:
    """The file's batches; a file that cannot even be opened is one reject."""
    origin = item["relative_path"]
    try:
        handle = item.open()
    except UNREADABLE as exc:
        error = f"cannot open: {exc}"
        yield Batch(
            None, [quarantine.rejected(table.name, origin, None, None, error, positional=True)]
        )
        return
    with handle:
        yield from read_file(handle, table, origin)


def _file_table(table: FileTable, bucket_url: str) -> Any:
    listing = filesystem(
        bucket_url=bucket_url,
        file_glob=table.file_glob,
        incremental=dlt.sources.incremental("modification_date"),
    ).with_name(f"{table.name}_files")
    # before the cursor sees them: a temporary file must not move it
    listing.add_filter(
        lambda item: not PurePosixPath(item["relative_path"]).name.startswith("."), insert_at=1
    )

    # Merged on the file alone: a primary-key merge too would make the delete an OR-join
    # that cannot be hashed, slower with every row in raw. A key repeated in another file
    # loads twice and fails the staging model's unique test, rather than vanishing.
    @dlt.transformer(
        name=table.name,
        merge_key=SOURCE_FILE,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    )
    def read_files(items: list[FileItemDict]) -> Iterator[Any]:
        for item in items:
            origin = item["relative_path"]
            yield quarantine.route([quarantine.marker(table.name, origin)])
            for batch in _batches(item, table):
                if batch.table is not None:
                    yield batch.table.append_column(
                        pa.field(SOURCE_FILE, pa.string(), nullable=False),
                        pa.repeat(origin, batch.table.num_rows),
                    )
                if batch.rejects:
                    yield quarantine.route(batch.rejects)

    return quarantine.attach(listing | read_files, replace_by_origin=True)


@dlt.source(name="landing", schema_contract=FROZEN_TYPES)
def landing_source(bucket_url: str = dlt.config.value) -> Any:
    """One table per kind of file drop, and `_rejected_rows`."""
    return [_file_table(table, bucket_url) for table in FILES]
