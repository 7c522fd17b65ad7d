"""Arrow conformance: a table read from a file, cast to its declared columns.

A row with bad UTF-8, a value that does not fit its declared type or no value in a key
column is taken out and rejected with its error; the other rows keep every column, declared
columns cast, undeclared ones as they came (bytes as text).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.landing.files import ARROW_ERRORS, Batch, FileRejected, FileTable, decode, reject
from ingestion.schema import describe, kind_of

_NAIVE_TIMESTAMP = r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$"


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
    """Cast one column to its declared type; timestamps without a zone count as UTC, a
    timestamp becomes a date only at midnight (a time of day would be lost), an integer true
    or false only as 1 or 0."""
    if pa.types.is_date(target) and pa.types.is_timestamp(array.type):
        day = pc.cast(array, target)
        if pc.all(pc.equal(pc.cast(day, array.type), array)).as_py() is False:
            raise pa.ArrowInvalid("a time of day")
        return day
    if pa.types.is_boolean(target) and pa.types.is_integer(array.type):
        if pc.all(pc.is_in(array, value_set=pa.array([0, 1], array.type))).as_py() is False:
            raise pa.ArrowInvalid("only 0 and 1 are true or false")
        return pc.cast(array, target)
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


class _Rows:
    """The columns of a table being conformed, and the problems of the rows taken out."""

    def __init__(self, data: pa.Table) -> None:
        self.columns = {
            name: column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
            for name, column in zip(data.column_names, data.columns, strict=True)
        }
        self.length = data.num_rows
        self.kept: list[int] | None = None  # original positions of the kept rows, once any go
        self.problems: dict[int, str] = {}  # original position -> error

    def drop(self, bad: dict[int, str]) -> None:
        """Record problems at current positions and take those rows out of every column."""
        if not bad:
            return
        current = self.kept if self.kept is not None else range(self.length)
        for position, error in bad.items():
            self.problems.setdefault(current[position], error)
        keep = pc.invert(
            pc.is_in(
                pa.array(range(len(current)), pa.int64()),
                value_set=pa.array(sorted(bad), pa.int64()),
            )
        )
        for name in self.columns:
            self.columns[name] = self.columns[name].filter(keep)
        kept = keep.to_pylist()
        self.kept = [position for position, ok in zip(current, kept, strict=True) if ok]
        self.length = len(self.kept)

    def table(self, declared: FileTable) -> pa.Table:
        """The kept rows, with every declared column (null where the file has none)."""
        for name, target in declared.columns.items():
            self.columns.setdefault(name, pa.nulls(self.length, target))
        schema = pa.schema(
            pa.field(name, column.type, nullable=name not in declared.primary_key)
            for name, column in self.columns.items()
        )
        return pa.Table.from_arrays(list(self.columns.values()), schema=schema)


def _bad_text(rows: _Rows) -> None:
    """Rows with bad UTF-8 out (CSV reads every field as bytes), then bytes as text."""
    bad: dict[int, str] = {}
    for name, column in rows.columns.items():
        if pa.types.is_binary(column.type):
            text, positions = _checked(column, _to_text)
            for position in positions:
                bad.setdefault(position, f"{name}: not valid UTF-8")
            if text is not None:
                rows.columns[name] = text
    rows.drop(bad)
    for name, column in rows.columns.items():
        if pa.types.is_binary(column.type):
            rows.columns[name] = _to_text(column)


def _unreadable(rows: _Rows, name: str, target: pa.DataType) -> dict[int, str]:
    """A column of a type its declared kind is not read from (`Kind.reads`): every value is a
    reject, since a cast would guess (int64 as a timestamp: seconds? microseconds?)."""
    column = rows.columns[name]
    rows.columns[name] = pa.nulls(len(column), target)  # the rows with values all go
    found = column.type
    return {
        position: f"{name}: {column[position].as_py()!r} is not {describe(target)}"
        f" (the file's column is {found})"[:500]
        for position in pc.indices_nonzero(pc.is_valid(column)).to_pylist()
    }


def _bad_values(rows: _Rows, table: FileTable) -> None:
    """Rows with a value that does not fit its declared type out, the rest cast."""
    bad: dict[int, str] = {}
    for name, target in table.columns.items():
        column = rows.columns.get(name)
        if column is not None and pa.types.is_dictionary(column.type):
            column = rows.columns[name] = column.dictionary_decode()
        if column is None or column.type.equals(target):
            continue
        if not kind_of(target).reads(column.type):
            for position, error in _unreadable(rows, name, target).items():
                bad.setdefault(position, error)
            continue
        converted, positions = _checked(column, lambda a, t=target: _to_type(a, t))
        for position in positions:
            value = column[position].as_py()
            bad.setdefault(position, f"{name}: {value!r} is not {describe(target)}"[:500])
        if converted is not None:
            rows.columns[name] = converted
    rows.drop(bad)
    for name, target in table.columns.items():
        if name in rows.columns and not rows.columns[name].type.equals(target):
            rows.columns[name] = _to_type(rows.columns[name], target)


def _missing_keys(rows: _Rows, table: FileTable) -> None:
    bad: dict[int, str] = {}
    for name in table.primary_key:
        for position in pc.indices_nonzero(pc.is_null(rows.columns[name])).to_pylist():
            bad.setdefault(position, f"{name}: missing")
    rows.drop(bad)


def _row_texts(data: pa.Table, positions: list[int]) -> list[str]:
    return [
        json.dumps(
            {k: decode(v) if isinstance(v, bytes) else v for k, v in row.items()},
            default=str,
            ensure_ascii=False,
        )
        for row in data.take(positions).to_pylist()
    ]


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
    rows = _Rows(data)
    _bad_text(rows)
    _bad_values(rows, table)
    _missing_keys(rows, table)
    rejects: list[dict[str, Any]] = []
    if rows.problems:
        positions = sorted(rows.problems)
        texts = raw_texts(positions) if raw_texts else _row_texts(data, positions)
        for position, number, text in zip(positions, numbers(positions), texts, strict=True):
            rejects.append(reject(table, origin, number, text, rows.problems[position]))
    conformed = rows.table(table)
    return Batch(conformed if conformed.num_rows else None, rejects)
