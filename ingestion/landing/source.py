"""File drops in a landing location: CSV, JSON Lines, Parquet and Excel files, one table each.

The kinds of drop are declared in `ingestion.landing.tables`.

The location is a local folder or any fsspec URL (`s3://…`, `gs://…`). Files are listed
incrementally by modification time, so each file is read once. Files whose names start with a
dot are ignored, so a writer can upload under a temporary name and rename.

Files stream into Arrow (see `ingestion.landing.readers`) and load as Parquet through ADBC straight
into the raw table: the tables are append-only, with no staging copy and no merge, because
that is the fast path into PostgreSQL. Each row carries `_source_file` and `_dlt_load_id`,
and every file read adds one row to `_loaded_files` (table, file, modification time, rows
loaded, rows rejected, load) in the same load. So raw keeps every version of a file, and
staging keeps, per file, only the rows of its newest completed load: a corrected file
dropped again replaces every row of its earlier version, even when it has no rows at all.

Records that do not fit a table's declared columns go to `raw_landing._rejected_rows` with
file, line and error; they are merged on the file, so a corrected file replaces those in raw.
"""

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict, filesystem

from ingestion import quarantine
from ingestion.landing.files import UNREADABLE, Batch, FileTable, reject
from ingestion.landing.readers import read_file
from ingestion.landing.tables import FILES

SOURCE_FILE = "_source_file"
LOADED_FILES = "_loaded_files"
LOADED_FILE_COLUMNS: dict[str, dict[str, Any]] = {
    "table_name": {"data_type": "text", "nullable": False},
    "source_file": {"data_type": "text", "nullable": False},
    "modified_at": {"data_type": "timestamp"},
    "row_count": {"data_type": "bigint", "nullable": False},
    "rejected_count": {"data_type": "bigint", "nullable": False},
    # a file rejected whole (unreadable part way, or records that do not add up) after some of
    # its rows loaded: staging keeps none of them (macros/dlt.sql, landing_current_rows)
    "rejected_whole": {"data_type": "bool"},
}
FROZEN_TYPES = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def _batches(item: FileItemDict, table: FileTable) -> Iterator[Batch]:
    """The file's batches; a file that cannot even be opened is one reject."""
    origin = item["relative_path"]
    try:
        handle = item.open()
    except UNREADABLE as exc:
        yield Batch(None, [reject(table, origin, None, None, f"cannot open: {exc}")])
        return
    with handle:
        yield from read_file(handle, table, origin)


def _with_source_file(data: pa.Table, origin: str) -> pa.Table:
    """The rows with the file they came from, dictionary-encoded: one copy of the name."""
    # 32-bit indices: dlt unifies the dictionaries of every file in one buffer into one,
    # and a day's drops easily pass the 128 names 8-bit indices could address
    zeros = pa.Array.from_buffers(
        pa.int32(), data.num_rows, [None, pa.py_buffer(bytes(4 * data.num_rows))]
    )
    names = pa.DictionaryArray.from_arrays(zeros, pa.array([origin], pa.string()))
    return data.append_column(pa.field(SOURCE_FILE, names.type, nullable=False), names)


def _file_items(item: FileItemDict, table: FileTable) -> Iterator[Any]:
    """What one file loads: a marker for its rejects, its rows, its rejects, and its row of
    `_loaded_files`, all in the same load."""
    origin = item["relative_path"]
    yield quarantine.route([quarantine.marker(table.name, origin)])
    loaded = rejected = 0
    whole = False
    for batch in _batches(item, table):
        if batch.table is not None:
            loaded += batch.table.num_rows
            yield _with_source_file(batch.table, origin)
        if batch.rejects:
            rejected += len(batch.rejects)
            whole = whole or any(row["record_number"] is None for row in batch.rejects)
            yield quarantine.route(batch.rejects)
    record = {
        "table_name": table.name,
        "source_file": origin,
        "modified_at": item["modification_date"],
        "row_count": loaded,
        "rejected_count": rejected,
        "rejected_whole": whole,
    }
    yield dlt.mark.with_table_name([record], LOADED_FILES)


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

    # Appended, never merged: a file's earlier versions stay in raw and staging reads the
    # newest completed one (see `_loaded_files`). A key repeated in another file loads twice
    # and fails the staging model's unique test, rather than vanishing.
    @dlt.transformer(name=table.name, write_disposition="append")
    def read_files(items: list[FileItemDict]) -> Iterator[Any]:
        for item in items:
            yield from _file_items(item, table)

    resource = listing | read_files
    quarantine.attach(resource, replace_by_origin=True)
    resource.apply_hints(
        table_name=LOADED_FILES,
        create_table_variant=True,
        write_disposition="append",
        primary_key="",
        merge_key="",
        columns=LOADED_FILE_COLUMNS,
    )
    return resource


@dlt.source(name="landing", schema_contract=FROZEN_TYPES)
def landing_source(bucket_url: str = dlt.config.value) -> Any:
    """One table per kind of file drop, `_loaded_files` and `_rejected_rows`."""
    return [_file_table(table, bucket_url) for table in FILES]
