"""CSV files: a header line and one record per line, read in blocks of whole lines.

A clean block is parsed by Arrow straight into its declared types, on every core. A block
with a bad line (a wrong number of fields, bad UTF-8, a value not of its column's type, a
quote that is never closed) takes the careful path: read as bytes, then cast column by
column, which finds each bad line.

A field that opens a quote and never closes it would make Arrow read every following line of
the block into that field; the careful path counts the rows Arrow made against the lines, and
when they differ it finds the lines with an unclosed quote, rejects each, and reads the block
again without them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cached_property
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from ingestion.landing.conform import conform
from ingestion.landing.files import ARROW_ERRORS, BOM, Batch, FileTable, decode, reject

CSV_BLOCK_BYTES = 16 << 20
# Arrow parses a clean block in pieces this size, one per core
TYPED_PARSE_BYTES = 1 << 20


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
    header = handle.readline().removeprefix(BOM)
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
    lines = block.count(b"\n")
    if typed is not None and typed.num_rows == lines:
        batch = conform(
            typed,
            table,
            origin,
            lambda found: [first_line + position for position in found],
            lambda found: _line_texts(block, found),
        )
        return Batch(batch.table, batch.rejects, seen=lines)
    return _careful_block(header, names, first_line, block, table, origin)


def _line_texts(block: bytes, positions: list[int]) -> list[str]:
    lines = block.split(b"\n")
    return [decode(lines[position].removesuffix(b"\r")) for position in positions]


class _BlockLines:
    """The lines of a block by line number, worked out only when a reject needs them."""

    def __init__(self, block: bytes, first_line: int) -> None:
        self.block = block
        self.first_line = first_line
        self.skipped: set[int] = set()  # lines Arrow skipped as invalid rows

    @cached_property
    def physical(self) -> list[tuple[int, bytes]]:
        return [
            (self.first_line + offset, text.removesuffix(b"\r"))
            for offset, text in enumerate(self.block.split(b"\n")[:-1])
        ]

    @cached_property
    def seen(self) -> int:
        """The lines that are records: every line but the empty ones, which Arrow skips."""
        return sum(1 for _, text in self.physical if text)

    def unclosed(self) -> list[tuple[int, bytes]]:
        """The lines with a quoted field that never ends on its line."""
        return [(n, text) for n, text in self.physical if b'"' in text and _open_quote(text)]

    def without(self, numbers: set[int]) -> bytes:
        """The block with these lines emptied (still there, so every line keeps its number)."""
        return b"".join(b"\n" if n in numbers else text + b"\n" for n, text in self.physical)

    @cached_property
    def records(self) -> list[tuple[int, bytes]]:
        """The lines Arrow parsed into rows, in row order (call after `skipped` is known)."""
        return [(n, text) for n, text in self.physical if text.strip() and n not in self.skipped]

    def numbers(self, positions: list[int]) -> list[int]:
        return [self.records[position][0] for position in positions]

    def raw_texts(self, positions: list[int]) -> list[str]:
        return [decode(self.records[position][1]) for position in positions]


def _open_quote(line: bytes) -> bool:
    """Whether a line ends inside a quoted field. As Arrow reads CSV, a quote opens a quoted
    field only at the start of a field, and two quotes inside one stand for one quote."""
    quoted = False
    at_start = True
    position = 0
    while position < len(line):
        char = line[position : position + 1]
        if quoted:
            if char == b'"':
                if line[position + 1 : position + 2] == b'"':
                    position += 1
                else:
                    quoted = False
        elif char == b",":
            at_start = True
            position += 1
            continue
        elif char == b'"' and at_start:
            quoted = True
        at_start = False
        position += 1
    return quoted


def _invalid_rows(
    invalid: list[Any], lines: _BlockLines, table: FileTable, origin: str
) -> list[dict[str, Any]]:
    """Rejects for the rows Arrow skipped (a wrong number of fields), found by their text."""
    rejects: list[dict[str, Any]] = []
    pending = iter(invalid)
    wanted = next(pending, None)
    for number, text in lines.physical:
        if wanted is not None and decode(text) == wanted.text:
            lines.skipped.add(number)
            error = f"expected {wanted.expected_columns} fields, found {wanted.actual_columns}"
            rejects.append(reject(table, origin, number, wanted.text, error))
            wanted = next(pending, None)
    return rejects


def _as_bytes(header: bytes, names: list[str], block: bytes) -> tuple[pa.Table, list[Any]]:
    """The block's rows with every field as bytes, and the rows Arrow skipped as invalid."""
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
    return data, invalid


def _careful_block(
    header: bytes, names: list[str], first_line: int, block: bytes, table: FileTable, origin: str
) -> Batch:
    """The block read as bytes, then cast column by column, each bad line rejected alone."""
    data, invalid = _as_bytes(header, names, block)
    lines = _BlockLines(block, first_line)
    seen = lines.seen
    rejects: list[dict[str, Any]] = []
    if data.num_rows + len(invalid) != seen:
        # a quote left open swallowed the lines after it: reject those lines, read the rest
        unclosed = lines.unclosed()
        for number, text in unclosed:
            rejects.append(reject(table, origin, number, decode(text), "unclosed quote"))
        if unclosed:
            lines = _BlockLines(lines.without({n for n, _ in unclosed}), first_line)
            data, invalid = _as_bytes(header, names, lines.block)
    if invalid:
        rejects.extend(_invalid_rows(invalid, lines, table, origin))
    batch = conform(data, table, origin, lines.numbers, lines.raw_texts)
    rejects.extend(batch.rejects)
    rejects.sort(key=lambda row: row["record_number"])
    return Batch(batch.table, rejects, seen=seen)
