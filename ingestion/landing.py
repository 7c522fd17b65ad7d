"""File drops in a landing location: marketing spend (CSV) and web sessions (Parquet).

The location is a local folder or any fsspec URL (`s3://…`, `gs://…`). Files are listed
incrementally by modification time, so each file is read once; a corrected file dropped
again has a newer modification time and its rows replace the earlier ones by primary key.
Files are read straight into Arrow, the fast path into PostgreSQL.
"""

from collections.abc import Callable, Iterator
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from dlt.sources.filesystem import FileItemDict, filesystem


def _read_csv(item: FileItemDict) -> pa.Table:
    with item.open() as handle:
        return pa_csv.read_csv(handle)


def _read_parquet(item: FileItemDict) -> pa.Table:
    with item.open() as handle:
        return pq.read_table(handle)


def _with_required_keys(table: pa.Table, keys: set[str], path: str) -> pa.Table:
    """Mark primary-key columns non-nullable, as dlt's merge hints expect them."""
    missing = keys - set(table.column_names)
    if missing:
        raise ValueError(f"{path}: missing key column(s) {', '.join(sorted(missing))}")
    for key in sorted(keys):
        if table[key].null_count:
            raise ValueError(f"{path}: {table[key].null_count} row(s) without {key}")
    schema = pa.schema(
        [field.with_nullable(False) if field.name in keys else field for field in table.schema]
    )
    return table.cast(schema)


# table -> (file glob, primary key, reader)
FILES: dict[str, tuple[str, str | tuple[str, ...], Callable[[FileItemDict], pa.Table]]] = {
    "marketing_spend": (
        "marketing_spend/*.csv",
        ("spend_date", "channel", "campaign"),
        _read_csv,
    ),
    "web_sessions": ("web_sessions/*.parquet", "session_id", _read_parquet),
}


def _file_table(
    name: str,
    bucket_url: str,
    file_glob: str,
    primary_key: str | tuple[str, ...],
    reader: Callable[[FileItemDict], pa.Table],
) -> Any:
    listing = filesystem(
        bucket_url=bucket_url,
        file_glob=file_glob,
        incremental=dlt.sources.incremental("modification_date"),
    ).with_name(f"{name}_files")

    key_columns = {primary_key} if isinstance(primary_key, str) else set(primary_key)

    @dlt.transformer(name=name, primary_key=primary_key, write_disposition="merge")
    def read_files(items: list[FileItemDict]) -> Iterator[pa.Table]:
        for item in items:
            table = _with_required_keys(reader(item), key_columns, item["relative_path"])
            yield table.append_column(
                "_source_file", pa.array([item["relative_path"]] * table.num_rows, pa.string())
            )

    return listing | read_files


@dlt.source(name="landing")
def landing_source(bucket_url: str = dlt.config.value) -> Any:
    """One table per kind of file drop."""
    return [
        _file_table(name, bucket_url, glob, key, reader)
        for name, (glob, key, reader) in FILES.items()
    ]
