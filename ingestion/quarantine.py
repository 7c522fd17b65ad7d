"""Quarantine: records that cannot load are kept, with their error, in `_rejected_rows`.

A malformed record (a CSV line with too many fields, an unparsable number or date, bad UTF-8,
an invalid JSON line, an API record failing its resource's model) must neither stop the good
records nor vanish. Each source routes such records into the table `_rejected_rows` of its raw
schema, in the same load package as the good rows, so both commit together:

- `reject_id`: a stable hash of table, origin, position (files) and raw text, so reading
  the same bad record again replaces it;
- `table_name`: the raw table the record was meant for;
- `origin`: the file (relative to the landing location) or the endpoint URL;
- `record_number`: the line (CSV, JSON Lines), sheet row (Excel) or row (Parquet) in the
  file, or the record's position in the run (API);
- `raw_text`: the record as it arrived (undecodable bytes shown as `\\xNN`);
- `error`: why it was rejected;
- `_dlt_load_id`: the load that rejected it.

Every source writes a marker row as well, with the `hard_delete` hint: it is never stored,
but creates the table on the first load (so dbt can always test it) and, for files, deletes
the rejects of a file's earlier version when the file is dropped again, even if the corrected
file has none. After the load the registry compares the rejected share of the run with the
source's `max_rejected_share` and turns the run red above it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import dlt
from dlt.extract.items_transform import ItemTransform

REJECTED_TABLE = "_rejected_rows"
MARKER_FLAG = "_is_marker"

REJECT_COLUMNS: dict[str, dict[str, Any]] = {
    "reject_id": {"data_type": "text", "nullable": False},
    "table_name": {"data_type": "text"},
    "origin": {"data_type": "text"},
    "record_number": {"data_type": "bigint"},
    "raw_text": {"data_type": "text"},
    "error": {"data_type": "text"},
}


def attach(resource: Any, *, replace_by_origin: bool) -> Any:
    """Give `resource` a `_rejected_rows` table variant with its own hints.

    Call it before setting column hints on the resource: a variant starts as a copy of the
    resource's hints. With `replace_by_origin` (files) the rejects are merged on `origin`
    too, so a file loaded again replaces its earlier rejects.
    """
    columns = dict(REJECT_COLUMNS)
    columns[MARKER_FLAG] = {"data_type": "bool", "hard_delete": True}
    if replace_by_origin:
        columns["origin"] = {"data_type": "text", "nullable": False}
    resource.apply_hints(
        table_name=REJECTED_TABLE,
        create_table_variant=True,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key="reject_id",
        merge_key="origin" if replace_by_origin else "",
        columns=columns,
    )
    return resource


def rejected(
    table_name: str,
    origin: str,
    record_number: int | None,
    raw_text: str | None,
    error: str,
    *,
    positional: bool,
) -> dict[str, Any]:
    """One `_rejected_rows` record; `positional` ids tell apart equal lines of one file."""
    position = str(record_number) if positional else ""
    digest = hashlib.sha1(
        "\x1f".join((table_name, origin, position, raw_text or "")).encode(),
        usedforsecurity=False,
    ).hexdigest()
    return {
        "reject_id": digest,
        "table_name": table_name,
        "origin": origin,
        "record_number": record_number,
        "raw_text": raw_text,
        "error": error,
    }


def marker(table_name: str, origin: str) -> dict[str, Any]:
    """A row that is never stored: it creates `_rejected_rows` and, where rejects are merged
    on `origin`, deletes the earlier rejects of `origin`."""
    row = rejected(table_name, origin, None, None, "marker", positional=False)
    row["reject_id"] = "marker:" + row["reject_id"]
    row[MARKER_FLAG] = True
    return row


def route(rows: list[dict[str, Any]]) -> Any:
    """Send reject rows to `_rejected_rows` from inside a resource."""
    return dlt.mark.with_table_name(rows, REJECTED_TABLE)


def raw_json(record: object) -> str:
    return json.dumps(record, default=str, ensure_ascii=False, separators=(",", ":"))


# -- value checks -----------------------------------------------------------------------------

_SPACED_ZONE = re.compile(r"(?<=\d) (?=\d{2}:?\d{2}$)")


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
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


CONVERTERS: dict[str, Callable[[object], Any]] = {
    "integer": _integer,
    "number": _number,
    "text": _text,
    "boolean": _boolean,
    "date": _date,
    "timestamp": _timestamp,
    "list": _records,
}
KIND_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "text": "text",
    "boolean": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "timestamp": "an ISO-8601 timestamp",
    "list": "a list",
}


def _is_timestamp_text(value: object) -> bool:
    if type(value) is not str:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_text(value: object) -> bool:
    if type(value) is not str:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# Cheap tests that a value already is of a kind (the common case); others are converted.
_ALREADY: dict[str, Callable[[object], bool]] = {
    "integer": lambda value: type(value) is int,
    "number": lambda value: type(value) is float or type(value) is int,
    "text": lambda value: type(value) is str,
    "boolean": lambda value: type(value) is bool,
    "date": _is_date_text,
    "timestamp": _is_timestamp_text,
    "list": lambda value: False,
}


@dataclass(frozen=True)
class Field:
    """One declared field of a record: its kind and whether it must be present."""

    kind: str
    required: bool = False
    items: Model | None = None  # for kind "list": the model of each element

    def convert(self, value: object) -> Any:
        return CONVERTERS[self.kind](value)


@dataclass(frozen=True)
class Model:
    """The fields a record must satisfy; fields not named here pass unchecked (schema drift)."""

    fields: Mapping[str, Field] = field(default_factory=dict)

    @cached_property
    def _checks(self) -> tuple[tuple[str, Field, Callable[[object], bool]], ...]:
        return tuple((name, spec, _ALREADY[spec.kind]) for name, spec in self.fields.items())

    def error(self, record: object) -> str | None:
        """Why `record` fails the model, or None. Checks only; the record is not changed.

        Values already of their kind pass on a cheap test (the common case, and the fast
        one); anything else is converted to find out.
        """
        if type(record) is not dict:
            return f"expected an object, got {type(record).__name__}"
        get = record.get
        for name, spec, already in self._checks:
            value = get(name)
            if value is None or value == "":
                if spec.required:
                    return f"{name}: missing"
                continue
            if already(value):
                continue
            try:
                self._convert(name, spec, value)
            except ValueError as exc:
                return str(exc)
        return None

    def converted(self, record: object) -> dict[str, Any]:
        """The record with every declared field converted to its kind; ValueError says why not."""
        if not isinstance(record, dict):
            raise ValueError(f"expected an object, got {type(record).__name__}")
        result = dict(record)
        for name, spec in self.fields.items():
            value = record.get(name)
            if value is None or value == "":
                if spec.required:
                    raise ValueError(f"{name}: missing")
                result[name] = None
            else:
                result[name] = self._convert(name, spec, value)
        return result

    @staticmethod
    def _convert(name: str, spec: Field, value: object) -> Any:
        try:
            converted = spec.convert(value)
        except (ValueError, TypeError, OverflowError):
            raise ValueError(f"{name}: {value!r} is not {KIND_NAMES[spec.kind]}"[:500]) from None
        if spec.items is not None:
            for index, element in enumerate(converted, start=1):
                problem = spec.items.error(element)
                if problem:
                    raise ValueError(f"{name}[{index}].{problem}")
        return converted


class RecordValidator(ItemTransform[Any]):
    """A resource step that splits each page into good records and rejects.

    It sits right after the resource's generator, before the incremental cursor sees the
    records, so a record with a broken cursor value can never move the cursor. Good records
    pass on as the same page; rejects go to `_rejected_rows`.
    """

    def __init__(self, table_name: str, origin: str, model: Model) -> None:
        super().__init__(lambda item: item)
        self.table_name = table_name
        self.origin = origin
        self.model = model
        self.seen = 0

    def passed(self, count: int) -> Iterable[Any]:
        """Count `count` records that were checked in bulk and all passed."""
        if self.seen == 0:
            yield route([marker(self.table_name, self.origin)])
        self.seen += count

    def __call__(self, item: Any, meta: Any = None) -> Iterable[Any]:
        if self.seen == 0:
            yield route([marker(self.table_name, self.origin)])
        records = item if isinstance(item, list) else [item]
        good: list[Any] = []
        rejects: list[dict[str, Any]] = []
        for record in records:
            self.seen += 1
            problem = self.model.error(record)
            if problem is None:
                good.append(record)
            else:
                rejects.append(
                    rejected(
                        self.table_name,
                        self.origin,
                        self.seen,
                        raw_json(record),
                        problem,
                        positional=False,
                    )
                )
        if good:
            yield good
        if rejects:
            yield route(rejects)


def validate(resource: Any, origin: str, model: Model) -> Any:
    """Put a `RecordValidator` on `resource` right after its generator."""
    attach(resource, replace_by_origin=False)
    resource.add_step(RecordValidator(resource.table_name, origin, model), insert_at=1)
    return resource
