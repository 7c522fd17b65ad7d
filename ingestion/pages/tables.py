"""The resource step that turns pages of API records into Arrow tables (`ArrowPages`).

A page of records that passed their model (`ingestion.quarantine`) becomes one Arrow table,
and one more per nested list: an order's line items become rows of a child table carrying
the order's key and cursor. Declared fields get their kind's Arrow type (`ingestion.schema`;
a value the validator accepted in another form, such as `"12.5"` for a number, is converted
the same way). Fields the model does not declare are typed by Arrow from their values (text
when one page mixes types), so new fields evolve into raw and a field whose type changes
meets dlt's frozen data-type contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.pages.reading import CONVERSION_ERRORS, as_python, as_struct, record_count
from ingestion.quarantine import Field, Model, RecordValidator
from ingestion.schema import KINDS


@dataclass(frozen=True)
class Nested:
    """A list field whose elements load into a child table, keyed by the parent's key and
    carrying the parent's cursor (so the incremental step treats both alike)."""

    field: str
    table_name: str
    parent_key: str
    parent_cursor: str


def _columns(model: Model) -> list[tuple[str, Field, pa.DataType]]:
    """The model's fields that load as columns, with their Arrow types."""
    return [
        (name, spec, KINDS[spec.kind].arrow)
        for name, spec in model.fields.items()
        if KINDS[spec.kind].arrow is not None
    ]


class NotStrict(ValueError):
    """A page that needs the record-by-record check."""


# -- the whole page at once, in Arrow ----------------------------------------------------------


def _strict(array: pa.Array, spec: Field) -> pa.Array:
    """An inferred column as its declared kind, or NotStrict if a value is not already of it."""
    kind = KINDS[spec.kind]
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), kind.arrow)
    if not kind.inferred(array.type):
        raise NotStrict(spec.kind)
    if kind.parsed_from_text:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    array = array.cast(kind.arrow)
    if pa.types.is_floating(array.type) and pc.all(pc.is_finite(array)).as_py() is False:
        raise NotStrict("a number is not finite")
    return array


def _strict_table(
    struct: pa.StructArray, model: Model, first: dict[str, pa.Array], skip: str = ""
) -> pa.Table:
    """`first`'s columns, the declared fields as their kinds, then the undeclared ones."""
    present = {field.name for field in struct.type}
    fields = [pa.field(name, array.type, nullable=False) for name, array in first.items()]
    arrays = list(first.values())
    for name, spec, arrow in _columns(model):
        column = struct.field(name) if name in present else pa.nulls(len(struct))
        arrays.append(_strict(column, spec))
        fields.append(pa.field(name, arrow, nullable=not spec.required))
    for field in struct.type:
        if field.name not in model.fields and field.name != skip and field.name not in first:
            arrays.append(struct.field(field.name))
            fields.append(pa.field(field.name, field.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    if not _complete(table, model):
        raise NotStrict("a required field is missing")
    return table


def _complete(table: pa.Table, model: Model) -> bool:
    """Every required field of the model has a value in every row."""
    return all(
        table.column(name).null_count == 0 for name, spec, _ in _columns(model) if spec.required
    )


# -- record by record, after the validator -----------------------------------------------------


def _declared(values: list[Any], spec: Field) -> pa.Array:
    """The values of records the validator passed, as their declared kind."""
    kind = KINDS[spec.kind]
    try:
        if kind.parsed_from_text:
            return pa.array([value or None for value in values], kind.wire).cast(kind.arrow)
        return pa.array(values, kind.arrow)
    except CONVERSION_ERRORS:
        # forms the validator accepted by converting them: convert them the same way
        return pa.array(
            [None if value is None or value == "" else spec.convert(value) for value in values],
            kind.arrow,
        )


def _undeclared(values: list[Any]) -> pa.Array:
    """A field the model does not name, typed by Arrow; values of mixed types become text."""
    try:
        return pa.array(values)
    except CONVERSION_ERRORS:
        return pa.array(
            [
                None if value is None else value if isinstance(value, str) else json.dumps(value)
                for value in values
            ],
            pa.string(),
        )


def _table(
    records: list[dict[str, Any]], model: Model, first: dict[str, pa.Array], skip: str = ""
) -> pa.Table:
    """`first`'s columns (never null), the declared fields (never null when required), then
    any undeclared ones."""
    fields = [pa.field(name, array.type, nullable=False) for name, array in first.items()]
    arrays = list(first.values())
    for name, spec, arrow in _columns(model):
        arrays.append(_declared([record.get(name) for record in records], spec))
        fields.append(pa.field(name, arrow, nullable=not spec.required))
    undeclared: dict[str, None] = {}
    declared = model.fields.keys()
    for record in records:
        if not declared >= record.keys():
            undeclared.update(dict.fromkeys(k for k in record if k not in declared))
    for name in undeclared:
        if name != skip and name not in first:
            arrays.append(_undeclared([record.get(name) for record in records]))
            fields.append(pa.field(name, arrays[-1].type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


class ArrowPages:
    """A resource step that checks each page against its model and turns it into Arrow tables.

    The whole page is first converted strictly, column by column: values already of their
    declared kind, required ones present. That is the common case, and it needs no look at
    single records. A page that does not convert goes through `validator` record by record:
    rejects are routed to `_rejected_rows`, the good records converted as the validator
    accepted them. Items routed to another table pass through untouched.
    """

    def __init__(
        self, model: Model, validator: RecordValidator, nested: Nested | None = None
    ) -> None:
        self.model = model
        self.validator = validator
        self.nested = nested
        self.child = model.fields[nested.field].items if nested else None

    def __call__(self, item: Any, meta: Any = None) -> Iterable[Any]:
        if meta is not None or not isinstance(item, list) or not item:
            yield item
            return
        try:
            tables: tuple[pa.Table, pa.Table | None] | None = self._strict(as_struct(item))
        except (NotStrict, *CONVERSION_ERRORS):
            tables = None
        if tables is not None:
            yield from self.validator.passed(record_count(item))
            yield from self._emit(*tables)
            return
        for checked in self.validator(as_python(item)):
            if isinstance(checked, list):
                yield from self._emit(*self._arrow(checked))
            else:
                yield checked

    def _emit(self, parent: pa.Table, children: pa.Table | None) -> Iterable[Any]:
        yield parent
        if children is not None and children.num_rows and self.nested:
            yield dlt.mark.with_table_name(children, self.nested.table_name)

    def _strict(self, struct: pa.Array) -> tuple[pa.Table, pa.Table | None]:
        """The page converted in Arrow (C++) alone: every record an object, every declared
        value already of its kind; NotStrict (or an Arrow error) otherwise."""
        if not pa.types.is_struct(struct.type) or struct.null_count:
            raise NotStrict("not a page of objects")
        nested = self.nested
        if nested is None or self.child is None:
            return _strict_table(struct, self.model, {}), None
        parent = _strict_table(struct, self.model, {}, skip=nested.field)
        items, owners = self._strict_lines(struct)
        if items is None:
            return parent, None
        first = {
            nested.parent_key: parent.column(nested.parent_key).take(owners).combine_chunks(),
            nested.parent_cursor: parent.column(nested.parent_cursor).take(owners).combine_chunks(),
        }
        return parent, _strict_table(items, self.child, first)

    def _strict_lines(self, struct: pa.StructArray) -> tuple[pa.Array | None, pa.Array | None]:
        """The nested list's elements as one struct array and the row each belongs to; None
        when no record has any."""
        assert self.nested is not None
        field = self.nested.field
        if all(column.name != field for column in struct.type):
            return None, None
        lines = struct.field(field)
        if pa.types.is_null(lines.type):
            return None, None
        if not pa.types.is_list(lines.type):
            raise NotStrict(f"{field} is not a list")
        items = pc.list_flatten(lines)
        if pa.types.is_null(items.type):
            return None, None
        if not pa.types.is_struct(items.type) or items.null_count:
            raise NotStrict(f"{field} holds something other than objects")
        return items, pc.list_parent_indices(lines)

    def _arrow(self, records: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table | None]:
        nested = self.nested
        if nested is None or self.child is None:
            return _table(records, self.model, {}), None
        parent = _table(records, self.model, {}, skip=nested.field)
        lines = [(record, line) for record in records for line in record.get(nested.field) or ()]
        first = {
            nested.parent_key: _declared(
                [record[nested.parent_key] for record, _ in lines],
                self.model.fields[nested.parent_key],
            ),
            nested.parent_cursor: _declared(
                [record.get(nested.parent_cursor) for record, _ in lines],
                self.model.fields[nested.parent_cursor],
            ),
        }
        children = _table([line for _, line in lines], self.child, first)
        return parent, children
