"""Readers for landing files: CSV, JSON Lines, Parquet and Excel, streamed into Arrow.

Every reader yields `Batch`es: an Arrow table of the records that conform to the table's
declared columns (cast to the declared types, key columns present), and the records that do
not, as `_rejected_rows` records with their line or row number, raw text and error. Nothing
is dropped silently and memory stays bounded: CSV is cut into blocks at line ends and parsed
by Arrow (`ingestion.landing.csv_reader`), Parquet is read one record batch at a time, JSON
Lines and Excel a chunk of records at a time.

Columns a file has beyond the declared ones are kept, so schema drift evolves into raw: as
text from CSV, with the type the format carries otherwise.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import load_workbook

from dataops.core.errors import first_line
from ingestion.landing.conform import conform
from ingestion.landing.csv_reader import read_csv
from ingestion.landing.files import (
    ARROW_ERRORS,
    BOM,
    UNREADABLE,
    Batch,
    FileRejected,
    FileTable,
    decode,
    reject,
)

PARQUET_BATCH_ROWS = 131_072
RECORD_CHUNK = 20_000

# (record number, raw text, record) of a JSON Lines line or an Excel row
Record = tuple[int, str, dict[str, Any]]


# -- Parquet ----------------------------------------------------------------------------------


def read_parquet(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """Parquet, one record batch at a time; record numbers count rows from 1. The rows seen
    are the file's own count (its metadata), not the batches'."""
    parquet = pq.ParquetFile(handle)
    yield Batch(None, [], seen=parquet.metadata.num_rows)
    offset = 0
    for record_batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        data = pa.Table.from_batches([record_batch])
        yield conform(data, table, origin, lambda found, at=offset: [at + p + 1 for p in found])
        offset += data.num_rows


# -- records: JSON Lines and Excel ------------------------------------------------------------


def _column(name: str, values: list[Any], target: pa.DataType | None) -> pa.Array:
    """A declared column as its type (FileRejected if a converted value does not fit), an
    undeclared one as Arrow types it (JSON text when its values mix types)."""
    try:
        return pa.array(values, target) if target is not None else pa.array(values)
    except (*ARROW_ERRORS, OverflowError):
        if target is not None:
            raise FileRejected(f"{name}: a value does not fit {target}") from None
        return pa.array(
            [None if v is None else json.dumps(v, default=str) for v in values], pa.string()
        )


def _record_batch(records: Sequence[Record], table: FileTable, origin: str) -> Batch:
    """Convert parsed records to the declared types; build Arrow from the good ones."""
    model = table.model
    good: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for number, raw, record in records:
        try:
            good.append(model.converted(record))
        except ValueError as exc:
            rejects.append(reject(table, origin, number, raw, str(exc)))
    if not good:
        return Batch(None, rejects)
    names = list(table.columns)
    for record in good:
        names.extend(name for name in record if name not in table.columns and name not in names)
    columns = [
        _column(name, [record.get(name) for record in good], table.columns.get(name))
        for name in names
    ]
    fields = [
        pa.field(name, column.type, nullable=name not in table.primary_key)
        for name, column in zip(names, columns, strict=True)
    ]
    return Batch(pa.Table.from_arrays(columns, schema=pa.schema(fields)), rejects)


def _jsonl_record(
    number: int, line: bytes, table: FileTable, origin: str
) -> Record | dict[str, Any]:
    """One line as a record, or the reject it makes (bad UTF-8, bad JSON, not an object)."""
    try:
        text = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return reject(table, origin, number, decode(line.rstrip(b"\r\n")), "not valid UTF-8")
    try:
        record = json.loads(text)
    except ValueError as exc:
        return reject(table, origin, number, text, f"invalid JSON: {exc}")
    if not isinstance(record, dict):
        return reject(table, origin, number, text, "not a JSON object")
    return number, text, record


def read_jsonl(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """JSON Lines: one object per line; blank lines are skipped, a UTF-8 byte order mark at
    the start of the file too."""
    chunk: list[Record] = []
    rejects: list[dict[str, Any]] = []
    seen = 0
    for number, line in enumerate(handle, start=1):
        if number == 1:
            line = line.removeprefix(BOM)
        if not line.strip():
            continue
        seen += 1
        parsed = _jsonl_record(number, line, table, origin)
        if isinstance(parsed, dict):
            rejects.append(parsed)
            continue
        chunk.append(parsed)
        if len(chunk) >= RECORD_CHUNK:
            batch = _record_batch(chunk, table, origin)
            yield Batch(batch.table, rejects + batch.rejects, seen=seen)
            chunk, rejects, seen = [], [], 0
    if chunk or rejects:
        batch = _record_batch(chunk, table, origin)
        yield Batch(batch.table, rejects + batch.rejects, seen=seen)


def _sheet_records(rows: Iterator[tuple[Any, ...]]) -> Iterator[Record]:
    """The records of a sheet's rows: the first non-empty row names the columns."""
    header: list[str] | None = None
    for number, values in enumerate(rows, start=1):
        if all(value is None for value in values):
            continue
        if header is None:
            header = ["" if value is None else str(value).strip() for value in values]
            continue
        record = {
            name: value
            for name, value in zip(header, values, strict=False)
            if name and value is not None
        }
        yield number, json.dumps(list(values), default=str), record


def _counted(batch: Batch, seen: int) -> Batch:
    return Batch(batch.table, batch.rejects, seen=seen)


def read_xlsx(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """Excel: the first sheet, a header row, then one record per row (row numbers as shown)."""
    workbook = load_workbook(io.BytesIO(handle.read()), read_only=True, data_only=True)
    try:
        chunk: list[Record] = []
        for record in _sheet_records(workbook.worksheets[0].iter_rows(values_only=True)):
            chunk.append(record)
            if len(chunk) >= RECORD_CHUNK:
                yield _counted(_record_batch(chunk, table, origin), len(chunk))
                chunk = []
        if chunk:
            yield _counted(_record_batch(chunk, table, origin), len(chunk))
    finally:
        workbook.close()


READERS: dict[str, Callable[[IO[bytes], FileTable, str], Iterator[Batch]]] = {
    ".csv": read_csv,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".parquet": read_parquet,
    ".xlsx": read_xlsx,
}


def read_file(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """Every batch of one file; a file that cannot be read at all is one reject.

    The records the reader saw must each be loaded or rejected: a file whose counts do not
    add up is rejected whole too, with the counts, so no record can go missing unnoticed.
    """
    reader = READERS.get(PurePosixPath(origin).suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(READERS))
        yield Batch(None, [reject(table, origin, None, None, f"not a {supported} file")])
        return
    seen = loaded = rejected = 0
    try:
        for batch in reader(handle, table, origin):
            seen += batch.seen
            loaded += batch.loaded
            rejected += len(batch.rejects)
            yield batch
    except (FileRejected, *UNREADABLE) as exc:
        where = " after the records already loaded" if loaded else ""
        message = f"unreadable{where}: {first_line(exc)}"
        yield Batch(None, [reject(table, origin, None, None, message)])
        return
    if seen != loaded + rejected:
        message = (
            f"records do not add up: {seen} read, {loaded} loaded, {rejected} rejected;"
            " the file is rejected whole"
        )
        yield Batch(None, [reject(table, origin, None, None, message)])
