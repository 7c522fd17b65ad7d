"""A JSON page read by Arrow's JSON reader, in the thread that fetches it.

`read_page` reads the page with the model's wire types declared (C++, without the
interpreter lock), so its records never become Python objects unless the page needs the
record-by-record check: then `ArrowPage.as_python` parses its body again with orjson.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.json as pa_json

from ingestion.quarantine import Model
from ingestion.schema import KINDS

CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)


def wire_type(model: Model) -> pa.StructType:
    """A record of `model` as JSON carries it (each kind's `wire` type), a list of records as
    a list of their wire type."""
    fields = []
    for name, spec in model.fields.items():
        kind = KINDS[spec.kind]
        if spec.items is not None:
            fields.append(pa.field(name, pa.list_(wire_type(spec.items))))
        elif kind.wire is not None:
            fields.append(pa.field(name, kind.wire))
    return pa.struct(fields)


def _plain_json(data_type: pa.DataType) -> bool:
    """A type JSON values read as they are: Arrow's reader also turns text that looks like a
    timestamp into one, which the Python path leaves as text."""
    if pa.types.is_list(data_type):
        return _plain_json(data_type.value_type)
    if pa.types.is_struct(data_type):
        return all(_plain_json(field.type) for field in data_type)
    return (
        pa.types.is_null(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_int64(data_type)
        or pa.types.is_float64(data_type)
        or pa.types.is_string(data_type)
    )


@dataclass(frozen=True, slots=True)
class ArrowPage:
    """The records of one JSON page as Arrow read them, with the body, to read them again
    as Python objects if the page needs the record-by-record check."""

    records: pa.StructArray
    body: bytes
    field: str

    def __len__(self) -> int:
        return len(self.records)

    def as_python(self) -> list[Any]:
        return orjson.loads(self.body)[self.field]


def page_schema(model: Model, field: str = "data") -> pa.Schema:
    """What `read_page` declares to Arrow: a page whose `field` lists records of `model`'s
    wire type. Built once per resource, not per page."""
    return pa.schema([pa.field(field, pa.list_(wire_type(model)))])


def _read_json(body: bytes, schema: pa.Schema) -> pa.Table | None:
    """The body as a one-row Arrow table with `schema`'s fields declared; None if Arrow
    cannot read it or it is not valid UTF-8 (which Arrow would pass into text columns)."""
    try:
        body.decode()
        return pa_json.read_json(
            io.BytesIO(body),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=len(body) + 1),
            parse_options=pa_json.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="infer"
            ),
        )
    except (*CONVERSION_ERRORS, UnicodeError):
        return None


def read_page(body: bytes, schema: pa.Schema) -> dict[str, Any] | None:
    """A JSON page, an object whose member named by `schema` (`page_schema`) lists the
    records, read by Arrow: the records as an `ArrowPage` (declared fields as the model's wire
    types), the other members as Python values. None when Arrow cannot read the body as such
    a page or would read a value other than the Python path does (a record that is not an
    object, a value of another type than declared, a repeated key, bytes that are not UTF-8,
    text it takes for a timestamp): the caller then parses the body in Python.
    """
    field = schema.names[0]
    table = _read_json(body, schema)
    if table is None or table.num_rows != 1:
        return None
    if not all(_plain_json(column.type) for column in table.schema):
        return None
    pages = table.column(field).combine_chunks()
    if pages.null_count:
        return None
    payload = {name: table.column(name)[0].as_py() for name in table.column_names if name != field}
    records = pages.flatten()
    payload[field] = ArrowPage(records, body, field) if len(records) else []
    return payload


def record_count(item: list[Any]) -> int:
    """How many records a page or batch holds: Arrow pages count their rows."""
    return sum(len(part) if isinstance(part, ArrowPage) else 1 for part in item)


def as_python(item: list[Any]) -> list[Any]:
    """A page or batch with every Arrow page read again as Python records."""
    records: list[Any] = []
    for part in item:
        if isinstance(part, ArrowPage):
            records.extend(part.as_python())
        else:
            records.append(part)
    return records


def as_struct(item: list[Any]) -> pa.StructArray:
    """A page or batch as one struct array: Arrow pages joined (their types must agree),
    Python records converted."""
    arrow = [isinstance(part, ArrowPage) for part in item]
    if all(arrow):
        return pa.concat_arrays([part.records for part in item])
    return pa.array(as_python(item) if any(arrow) else item)
