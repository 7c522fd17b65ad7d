"""The column kinds a source may declare, each written once: its Arrow type, its dlt data type,
how JSON carries it, and how a Python value is checked and converted to it.

Every other module reads this table: the record models (`ingestion.quarantine`), the Arrow
step of API pages (`ingestion.pages`), the landing readers (`ingestion.landing`) and the
column hints handed to dlt. Adding a kind is one entry in `KINDS`.

A value is checked in two steps. `already` is a cheap test that a value already is of the
kind (the common case, and the fast one); anything else goes through `convert`, which returns
the value as the kind or raises `ValueError`. Messages name the kind with `description`.
The checks are written here rather than left to pydantic's or pandera's coercions, which
accept other values and were slower on a Shop API page (`ingestion.quarantine` says more).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

# -- converters: a Python value as the kind, or ValueError -------------------------------------

_SPACED_ZONE = re.compile(r"(?<=\d) (?=\d{2}:?\d{2}$)")
_INTEGER_TEXT = re.compile(r"[+-]?\d{1,18}")


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value)
    raise ValueError


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())
    else:
        raise ValueError
    if not math.isfinite(number):
        raise ValueError
    return number


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # as JSON and Arrow write it
        return "true" if value else "false"
    if isinstance(value, bool | int | float):
        return str(value)
    raise ValueError


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError


def _date(value: object) -> date:
    if isinstance(value, datetime):
        if value.timetz().replace(tzinfo=None) != datetime.min.time():
            raise ValueError  # a time of day: a date would drop it
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError


def _timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(_SPACED_ZONE.sub("+", value.strip()))
    else:
        raise ValueError
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _records(value: object) -> list[Any]:
    if isinstance(value, list):
        return value
    raise ValueError


# -- cheap tests that a value already is of a kind ---------------------------------------------


def _text_parsed_by(parse: Callable[[str], object]) -> Callable[[object], bool]:
    """A cheap test that a value is text `parse` reads as it is (no stripping, no zone fix)."""

    def test(value: object) -> bool:
        if type(value) is not str:
            return False
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return test


def _never(value: object) -> bool:
    return False


# -- the vocabulary ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One column kind.

    `arrow` is the type a column of the kind loads as (None: no column, as for a list of
    records, which loads as a child table) and `dlt` the data type dlt's hints give it. `wire`
    is the Arrow type JSON carries it in (text for dates and timestamps, which Arrow then
    parses), and `inferred` tells which Arrow types Arrow's JSON reader infers for values
    already of the kind; `holds` tells which Arrow types a file column declared as the kind may
    have (an `int32` column is an integer too). `reads` tells which Arrow types a file may
    carry the kind in: values that are cast to it keeping their meaning (text that parses, an
    integer as a number). Any other type is rejected value by value, never guessed: an int64
    column declared a timestamp could be seconds, milliseconds or days since 1970.
    """

    name: str
    description: str
    convert: Callable[[object], Any]
    already: Callable[[object], bool]
    arrow: pa.DataType | None = None
    dlt: str | None = None
    wire: pa.DataType | None = None
    inferred: Callable[[pa.DataType], bool] = _never
    holds: Callable[[pa.DataType], bool] = _never
    reads: Callable[[pa.DataType], bool] = _never

    @property
    def is_column(self) -> bool:
        """Whether the kind loads as a column of its own (a list of records does not)."""
        return self.arrow is not None

    @property
    def parsed_from_text(self) -> bool:
        """Whether JSON carries the kind as text that Arrow parses (an empty text: no value)."""
        return self.arrow is not None and pa.types.is_string(self.wire) and self.wire != self.arrow


def _is_number_type(data_type: pa.DataType) -> bool:
    return pa.types.is_floating(data_type) or pa.types.is_decimal(data_type)


def _is_text_type(data_type: pa.DataType) -> bool:
    return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)


def _reads(*tests: Callable[[pa.DataType], bool]) -> Callable[[pa.DataType], bool]:
    """A type test for `Kind.reads`: text (parsed), a column of no values, or these types."""
    return lambda t: _is_text_type(t) or pa.types.is_null(t) or any(test(t) for test in tests)


def _is_numeric_type(data_type: pa.DataType) -> bool:
    return pa.types.is_integer(data_type) or _is_number_type(data_type)


_KINDS = (
    Kind(
        name="integer",
        description="an integer",
        convert=_integer,
        already=lambda value: type(value) is int,
        arrow=pa.int64(),
        dlt="bigint",
        wire=pa.int64(),
        inferred=pa.types.is_int64,
        holds=pa.types.is_integer,
        reads=_reads(_is_numeric_type),  # a fraction fails the safe cast
    ),
    Kind(
        name="number",
        description="a number",
        convert=_number,
        already=lambda value: type(value) is float or type(value) is int,
        arrow=pa.float64(),
        dlt="double",
        wire=pa.float64(),
        # JSON numbers without a fraction read as integers
        inferred=lambda t: pa.types.is_int64(t) or pa.types.is_float64(t),
        holds=_is_number_type,
        reads=_reads(_is_numeric_type),
    ),
    Kind(
        name="text",
        description="text",
        convert=_text,
        already=lambda value: type(value) is str,
        arrow=pa.string(),
        dlt="text",
        wire=pa.string(),
        inferred=pa.types.is_string,
        holds=_is_text_type,
        reads=_reads(_is_numeric_type, pa.types.is_boolean),
    ),
    Kind(
        name="boolean",
        description="true or false",
        convert=_boolean,
        already=lambda value: type(value) is bool,
        arrow=pa.bool_(),
        dlt="bool",
        wire=pa.bool_(),
        inferred=pa.types.is_boolean,
        holds=pa.types.is_boolean,
        reads=_reads(pa.types.is_boolean, pa.types.is_integer),  # 0 and 1 only
    ),
    Kind(
        name="date",
        description="a date (YYYY-MM-DD)",
        convert=_date,
        already=_text_parsed_by(date.fromisoformat),
        arrow=pa.date32(),
        dlt="date",
        wire=pa.string(),
        inferred=pa.types.is_string,
        holds=pa.types.is_date,
        reads=_reads(pa.types.is_date, pa.types.is_timestamp),  # midnight only
    ),
    Kind(
        name="timestamp",
        description="an ISO-8601 timestamp",
        convert=_timestamp,
        already=_text_parsed_by(datetime.fromisoformat),
        arrow=pa.timestamp("us", tz="UTC"),
        dlt="timestamp",
        wire=pa.string(),
        inferred=pa.types.is_string,
        holds=pa.types.is_timestamp,
        reads=_reads(pa.types.is_timestamp),
    ),
    # a list of records: checked element by element against the field's own model, loaded
    # as a child table rather than a column
    Kind(name="list", description="a list", convert=_records, already=_never),
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}


def kind_of(data_type: pa.DataType) -> Kind:
    """The kind a file column of this Arrow type holds; ValueError when none does."""
    for kind in _KINDS:
        if kind.holds(data_type):
            return kind
    raise ValueError(f"no record kind for Arrow type {data_type}")


def describe(data_type: pa.DataType) -> str:
    """How a reject message names an Arrow type: as its kind, else as Arrow writes it."""
    try:
        return kind_of(data_type).description
    except ValueError:
        return str(data_type)
