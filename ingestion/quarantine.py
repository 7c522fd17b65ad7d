"""Quarantine: the record models (`Field`, `Model`) that decide which records cannot load,
and `_rejected_rows`, where such records are kept with their error.

The models are written here rather than taken from pydantic v2 or pandera, both compared on
a 20,000-record Shop API page (docs/benchmarks.md, "Record validation"): with the same
accepted values and the same reject messages, pydantic took 2.1-2.3 times as long (1.3-1.5
with its strict types in Rust tried first), since its own coercions accept other values
(`True` as an integer, `"yes"` as true) and each kind's check had to be ours anyway; pandera
was slower even with pandas' coercions, which are not the same, and took 500 times as long
on a page with rejects.

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
file has none. After the load the runner compares the rejected share of the run with the
source's `max_rejected_share` and turns the run red above it; a file rejected whole (one
that cannot be read, or whose records do not add up to the rows loaded plus the rejected)
turns the run red whatever the share (`whole_files`), since how many records it held is
often unknown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import dlt

from ingestion.schema import KINDS

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


def whole_files(pipeline: Any, load_ids: list[str]) -> list[tuple[str, str]]:
    """(origin, error) of each file these loads rejected whole: its reject has no record
    number."""
    if not load_ids or REJECTED_TABLE not in pipeline.default_schema.tables:
        return []
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(REJECTED_TABLE)
        rows = client.execute_sql(
            f"select origin, error from {table}"  # noqa: S608
            " where record_number is null and _dlt_load_id = any(%s) order by origin",
            list(load_ids),
        )
    return [(origin, error) for origin, error in rows or []]


def route(rows: list[dict[str, Any]]) -> Any:
    """Send reject rows to `_rejected_rows` from inside a resource."""
    return dlt.mark.with_table_name(rows, REJECTED_TABLE)


def raw_json(record: object) -> str:
    return json.dumps(record, default=str, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Field:
    """One declared field of a record: its kind (a name in `ingestion.schema.KINDS`) and
    whether it must be present."""

    kind: str
    required: bool = False
    items: Model | None = None  # for kind "list": the model of each element

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; choose from {', '.join(KINDS)}")

    def convert(self, value: object) -> Any:
        return KINDS[self.kind].convert(value)


@dataclass(frozen=True)
class Model:
    """The fields a record must satisfy; fields not named here pass unchecked (schema drift)."""

    fields: Mapping[str, Field] = field(default_factory=dict)

    @cached_property
    def _checks(self) -> tuple[tuple[str, Field, Callable[[object], bool]], ...]:
        return tuple((name, spec, KINDS[spec.kind].already) for name, spec in self.fields.items())

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
            description = KINDS[spec.kind].description
            raise ValueError(f"{name}: {value!r} is not {description}"[:500]) from None
        if spec.items is not None:
            for index, element in enumerate(converted, start=1):
                problem = spec.items.error(element)
                if problem:
                    raise ValueError(f"{name}[{index}].{problem}")
        return converted


def column_hints(model: Model) -> dict[str, dict[str, Any]]:
    """dlt column hints with the model's data types, so every path agrees on every column."""
    return {
        name: {"data_type": KINDS[spec.kind].dlt}
        for name, spec in model.fields.items()
        if KINDS[spec.kind].dlt is not None
    }


class RecordValidator:
    """A resource step that splits each page into good records and rejects.

    It sits right after the resource's generator, before the incremental cursor sees the
    records, so a record with a broken cursor value can never move the cursor. Good records
    pass on as the same page; rejects go to `_rejected_rows`.
    """

    def __init__(self, table_name: str, origin: str, model: Model) -> None:
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
