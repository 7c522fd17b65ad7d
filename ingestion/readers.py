"""Readers for landing files: CSV, JSON Lines, Parquet and Excel, streamed into Arrow.

Every reader yields `Batch`es: an Arrow table of the records that conform to the table's
declared columns (cast to the declared types, key columns present), and the records that do
not, as `_rejected_rows` records with their line or row number, raw text and error. Nothing
is dropped silently and memory stays bounded: CSV is cut into blocks at line ends and parsed
by Arrow (a clean block straight into its declared types, a block with a bad line as bytes
and then cast, to find each bad line), Parquet is read one record batch at a time, JSON Lines
and Excel a chunk of records at a time.

Columns a file has beyond the declared ones are kept, so schema drift evolves into raw: as
text from CSV, with the type the format carries otherwise.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ingestion.quarantine import KIND_NAMES, Field, Model, rejected

CSV_BLOCK_BYTES = 16 << 20
# Arrow parses a clean block in pieces this size, one per core
TYPED_PARSE_BYTES = 1 << 20
PARQUET_BATCH_ROWS = 131_072
RECORD_CHUNK = 20_000
ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)
# what a broken file raises from the format libraries: the file becomes one reject
UNREADABLE = (pa.ArrowException, OSError, ValueError, zipfile.BadZipFile, InvalidFileException)

# Arrow type -> the record-model kind used to convert JSON and Excel values
_KINDS: list[tuple[Callable[[pa.DataType], bool], str]] = [
    (pa.types.is_integer, "integer"),
    (pa.types.is_floating, "number"),
    (pa.types.is_decimal, "number"),
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "timestamp"),
    (pa.types.is_string, "text"),
    (pa.types.is_large_string, "text"),
]
_NAIVE_TIMESTAMP = r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$"


def _kind(type_: pa.DataType) -> str:
    for test, kind in _KINDS:
        if test(type_):
            return kind
    raise ValueError(f"no record kind for Arrow type {type_}")


@dataclass(frozen=True)
class FileTable:
    """A kind of file drop: the raw table, a glob under the landing location, the primary
    key and the declared columns with their Arrow types. Any supported format may be dropped.
    """

    name: str
    file_glob: str
    primary_key: tuple[str, ...]
    columns: dict[str, pa.DataType] = field(default_factory=dict)

    @property
    def model(self) -> Model:
        return Model(
            {
                name: Field(_kind(type_), required=name in self.primary_key)
                for name, type_ in self.columns.items()
            }
        )


@dataclass
class Batch:
    """Conforming records as Arrow (None when there are none), and the rejected ones."""

    table: pa.Table | None
    rejects: list[dict[str, Any]]


class FileRejected(Exception):
    """The whole file cannot be read; it becomes one rejected record."""


def _reject(
    table: FileTable, origin: str, number: int | None, raw: str | None, error: str
) -> dict[str, Any]:
    return rejected(table.name, origin, number, raw, error, positional=True)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def _describe(type_: pa.DataType) -> str:
    try:
        return KIND_NAMES[_kind(type_)]
    except ValueError:
        return str(type_)


# -- Arrow conformance ------------------------------------------------------------------------


def _checked(
    array: pa.Array, convert: Callable[[pa.Array], pa.Array]
) -> tuple[pa.Array | None, list[int]]:
    """`convert(array)`, or None and the positions whose values it rejects (by bisection)."""
    try:
        return convert(array), []
    except ARROW_ERRORS:
        pass
    if len(array) <= 16:
        bad = []
        for position in range(len(array)):
            try:
                convert(array.slice(position, 1))
            except ARROW_ERRORS:
                bad.append(position)
        return None, bad
    middle = len(array) // 2
    _, low = _checked(array.slice(0, middle), convert)
    _, high = _checked(array.slice(middle), convert)
    return None, low + [middle + position for position in high]


def _to_type(array: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast one column to its declared type; timestamps without a zone count as UTC."""
    if pa.types.is_timestamp(target) and pa.types.is_string(array.type):
        zoned = pa.timestamp(target.unit, tz="UTC")
        try:
            cast = pc.cast(array, zoned, safe=True)
        except pa.ArrowInvalid:  # some lack a zone: read them as UTC
            array = pc.replace_substring_regex(array, _NAIVE_TIMESTAMP, r"\1T\2Z")
            cast = pc.cast(array, zoned, safe=True)
        return cast if target.tz else pc.cast(cast, target)
    return pc.cast(array, target, safe=True)


def _to_text(array: pa.Array) -> pa.Array:
    return pc.cast(array, pa.string())


def conform(
    data: pa.Table,
    table: FileTable,
    origin: str,
    numbers: Callable[[list[int]], list[int]],
    raw_texts: Callable[[list[int]], list[str]] | None = None,
) -> Batch:
    """Cast the declared columns; rows with bad UTF-8, a bad value or no key are rejected.

    `numbers` maps row positions in `data` to record numbers in the file and `raw_texts` to
    the records' text (JSON of the row by default); both are called only for rejects.
    """
    for name in table.primary_key:
        if name not in data.column_names:
            raise FileRejected(f"no column {name} (part of the primary key)")
    original = data
    columns = {
        name: column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        for name, column in zip(data.column_names, data.columns, strict=True)
    }
    rows: list[int] | None = None  # original positions of the kept rows, once any is dropped
    problems: dict[int, str] = {}

    def drop(bad: dict[int, str]) -> None:
        """Record problems at current positions and take those rows out of every column."""
        nonlocal rows
        if not bad:
            return
        current = rows if rows is not None else range(len(next(iter(columns.values()))))
        for position, error in bad.items():
            problems.setdefault(current[position], error)
        keep = pc.invert(
            pc.is_in(
                pa.array(range(len(current)), pa.int64()),
                value_set=pa.array(sorted(bad), pa.int64()),
            )
        )
        for name in columns:
            columns[name] = columns[name].filter(keep)
        rows = [position for position, kept in zip(current, keep.to_pylist(), strict=True) if kept]

    # bad UTF-8 (CSV reads every field as bytes)
    bad: dict[int, str] = {}
    for name, column in columns.items():
        if pa.types.is_binary(column.type):
            text, positions = _checked(column, _to_text)
            for position in positions:
                bad.setdefault(position, f"{name}: not valid UTF-8")
            if text is not None:
                columns[name] = text
    drop(bad)
    for name, column in columns.items():
        if pa.types.is_binary(column.type):
            columns[name] = _to_text(column)

    # values that do not fit their declared type
    bad = {}
    for name, target in table.columns.items():
        column = columns.get(name)
        if column is None or column.type.equals(target):
            continue
        converted, positions = _checked(column, lambda a, t=target: _to_type(a, t))
        for position in positions:
            value = column[position].as_py()
            bad.setdefault(position, f"{name}: {value!r} is not {_describe(target)}"[:500])
        if converted is not None:
            columns[name] = converted
    drop(bad)
    for name, target in table.columns.items():
        if name in columns and not columns[name].type.equals(target):
            columns[name] = _to_type(columns[name], target)

    # missing keys
    bad = {}
    for name in table.primary_key:
        for position in pc.indices_nonzero(pc.is_null(columns[name])).to_pylist():
            bad.setdefault(position, f"{name}: missing")
    drop(bad)

    rejects: list[dict[str, Any]] = []
    if problems:
        positions = sorted(problems)
        texts = raw_texts(positions) if raw_texts else _row_texts(original, positions)
        for position, number, text in zip(positions, numbers(positions), texts, strict=True):
            rejects.append(_reject(table, origin, number, text, problems[position]))

    length = len(next(iter(columns.values()))) if columns else 0
    for name, target in table.columns.items():
        columns.setdefault(name, pa.nulls(length, target))
    schema = pa.schema(
        pa.field(name, column.type, nullable=name not in table.primary_key)
        for name, column in columns.items()
    )
    conformed = pa.Table.from_arrays(list(columns.values()), schema=schema)
    return Batch(conformed if conformed.num_rows else None, rejects)


def _row_texts(data: pa.Table, positions: list[int]) -> list[str]:
    return [
        json.dumps(
            {k: _decode(v) if isinstance(v, bytes) else v for k, v in row.items()},
            default=str,
            ensure_ascii=False,
        )
        for row in data.take(positions).to_pylist()
    ]


# -- CSV --------------------------------------------------------------------------------------


def _csv_blocks(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number of the first line, block of whole lines), after the header line."""
    line = 2
    carry = b""
    while True:
        data = handle.read(CSV_BLOCK_BYTES)
        if not data:
            if carry.strip():
                yield line, carry + b"\n"
            return
        data = carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        block, carry = data[: cut + 1], data[cut + 1 :]
        yield line, block
        line += block.count(b"\n")


def read_csv(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """CSV with a header line and one record per line; fields read as bytes, then cast."""
    header = handle.readline().removeprefix(b"\xef\xbb\xbf")
    if not header.strip():
        return
    header = header if header.endswith(b"\n") else header + b"\n"
    names = pa_csv.read_csv(io.BytesIO(header)).schema.names
    for first_line, block in _csv_blocks(handle):
        yield _csv_block(header, names, first_line, block, table, origin)


def _typed_block(
    header: bytes, names: list[str], block: bytes, table: FileTable
) -> pa.Table | None:
    """The block parsed by Arrow straight into the declared types (undeclared columns as
    text), on every core; None when any line would be rejected: a wrong number of fields, bad
    UTF-8 or a value that is not of its column's type. Such a block takes the careful path,
    which finds each bad line; a clean one is parsed once instead of as bytes and then cast.
    """
    try:
        return pa_csv.read_csv(
            io.BytesIO(header + block),
            read_options=pa_csv.ReadOptions(block_size=TYPED_PARSE_BYTES),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: table.columns.get(name, pa.string()) for name in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except ARROW_ERRORS:
        return None


def _csv_block(
    header: bytes, names: list[str], first_line: int, block: bytes, table: FileTable, origin: str
) -> Batch:
    typed = _typed_block(header, names, block, table)
    # one record a line, none blank: row i is the block's line i
    if typed is not None and typed.num_rows == block.count(b"\n"):
        return conform(
            typed,
            table,
            origin,
            lambda found: [first_line + position for position in found],
            lambda found: _line_texts(block, found),
        )
    return _careful_block(header, names, first_line, block, table, origin)


def _line_texts(block: bytes, positions: list[int]) -> list[str]:
    lines = block.split(b"\n")
    return [_decode(lines[position].removesuffix(b"\r")) for position in positions]


def _careful_block(
    header: bytes, names: list[str], first_line: int, block: bytes, table: FileTable, origin: str
) -> Batch:
    """The block read as bytes, then cast column by column, each bad line rejected alone."""
    invalid: list[Any] = []
    data = pa_csv.read_csv(
        io.BytesIO(header + block),
        read_options=pa_csv.ReadOptions(block_size=len(header) + len(block) + 1),
        parse_options=pa_csv.ParseOptions(
            invalid_row_handler=lambda row: invalid.append(row) or "skip"
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.binary()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    lines: list[tuple[int, bytes]] = []
    kept: list[tuple[int, bytes]] = []
    rejects: list[dict[str, Any]] = []
    skipped: set[int] = set()

    def physical_lines() -> list[tuple[int, bytes]]:
        if not lines:
            lines.extend(
                (first_line + offset, text.removesuffix(b"\r"))
                for offset, text in enumerate(block.split(b"\n")[:-1])
            )
        return lines

    if invalid:
        pending = iter(invalid)
        wanted = next(pending, None)
        for number, text in physical_lines():
            if wanted is not None and _decode(text) == wanted.text:
                skipped.add(number)
                error = f"expected {wanted.expected_columns} fields, found {wanted.actual_columns}"
                rejects.append(_reject(table, origin, number, wanted.text, error))
                wanted = next(pending, None)

    def records() -> list[tuple[int, bytes]]:
        """The lines Arrow parsed into rows, in row order."""
        if not kept:
            kept.extend(
                (n, text) for n, text in physical_lines() if text.strip() and n not in skipped
            )
        return kept

    def numbers(positions: list[int]) -> list[int]:
        return [records()[position][0] for position in positions]

    def raw_texts(positions: list[int]) -> list[str]:
        return [_decode(records()[position][1]) for position in positions]

    batch = conform(data, table, origin, numbers, raw_texts)
    return Batch(batch.table, rejects + batch.rejects)


# -- Parquet ----------------------------------------------------------------------------------


def read_parquet(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """Parquet, one record batch at a time; record numbers count rows from 1."""
    parquet = pq.ParquetFile(handle)
    offset = 0
    for record_batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        data = pa.Table.from_batches([record_batch])
        yield conform(data, table, origin, lambda found, at=offset: [at + p + 1 for p in found])
        offset += data.num_rows


# -- records: JSON Lines and Excel ------------------------------------------------------------


def _record_batch(
    records: Sequence[tuple[int, str, dict[str, Any]]], table: FileTable, origin: str
) -> Batch:
    """Convert parsed records to the declared types; build Arrow from the good ones."""
    model = table.model
    good: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for number, raw, record in records:
        try:
            good.append(model.converted(record))
        except ValueError as exc:
            rejects.append(_reject(table, origin, number, raw, str(exc)))
    if not good:
        return Batch(None, rejects)
    names = list(table.columns)
    for record in good:
        names.extend(name for name in record if name not in table.columns and name not in names)
    columns = []
    fields = []
    for name in names:
        values = [record.get(name) for record in good]
        target = table.columns.get(name)
        try:
            column = pa.array(values, target) if target is not None else pa.array(values)
        except (*ARROW_ERRORS, OverflowError):
            if target is not None:
                raise FileRejected(f"{name}: a value does not fit {target}") from None
            # an undeclared field with mixed types: keep it as JSON text
            column = pa.array(
                [None if v is None else json.dumps(v, default=str) for v in values], pa.string()
            )
        columns.append(column)
        fields.append(pa.field(name, column.type, nullable=name not in table.primary_key))
    return Batch(pa.Table.from_arrays(columns, schema=pa.schema(fields)), rejects)


def read_jsonl(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """JSON Lines: one object per line; blank lines are skipped."""
    chunk: list[tuple[int, str, dict[str, Any]]] = []
    rejects: list[dict[str, Any]] = []
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            rejects.append(
                _reject(table, origin, number, _decode(line.rstrip(b"\r\n")), "not valid UTF-8")
            )
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            rejects.append(_reject(table, origin, number, text, f"invalid JSON: {exc}"))
            continue
        if not isinstance(record, dict):
            rejects.append(_reject(table, origin, number, text, "not a JSON object"))
            continue
        chunk.append((number, text, record))
        if len(chunk) >= RECORD_CHUNK:
            batch = _record_batch(chunk, table, origin)
            yield Batch(batch.table, rejects + batch.rejects)
            chunk, rejects = [], []
    if chunk or rejects:
        batch = _record_batch(chunk, table, origin)
        yield Batch(batch.table, rejects + batch.rejects)


def read_xlsx(handle: IO[bytes], table: FileTable, origin: str) -> Iterator[Batch]:
    """Excel: the first sheet, a header row, then one record per row (row numbers as shown)."""
    workbook = load_workbook(io.BytesIO(handle.read()), read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header: list[str] | None = None
        chunk: list[tuple[int, str, dict[str, Any]]] = []
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
            chunk.append((number, json.dumps(list(values), default=str), record))
            if len(chunk) >= RECORD_CHUNK:
                yield _record_batch(chunk, table, origin)
                chunk = []
        if chunk:
            yield _record_batch(chunk, table, origin)
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
    """Every batch of one file; a file that cannot be read at all is one reject."""
    reader = READERS.get(PurePosixPath(origin).suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(READERS))
        yield Batch(None, [_reject(table, origin, None, None, f"not a {supported} file")])
        return
    read = 0
    try:
        for batch in reader(handle, table, origin):
            read += 1
            yield batch
    except (FileRejected, *UNREADABLE) as exc:
        where = " after the records already loaded" if read else ""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield Batch(None, [_reject(table, origin, None, None, f"unreadable{where}: {message}")])
