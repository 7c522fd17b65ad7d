"""API pages as Arrow tables: the fast path from a REST API into PostgreSQL.

A page of records that passed their model (`ingestion.quarantine`) becomes one Arrow table,
and one more per nested list: an order's line items become rows of a child table carrying
the order's key and cursor. Arrow tables skip dlt's per-row normalizer and load as files;
for Python dicts that normalizer costs many times the load itself.

Declared fields get the model's types (a value the validator accepted in another form, such
as `"12.5"` for a number, is converted the same way). Fields the model does not declare are
typed by Arrow from their values (text when one page mixes types), so new fields evolve
into raw and a field whose type changes meets dlt's frozen data-type contract. The step sits
before the incremental step, which reads the cursor column of the tables.

`batch_pages` puts the pages of a resource through dlt in batches: dlt's cost per item
(schema checks, the incremental step, writing) is paid once per table it is handed, whatever
its size, so pages of a thousand records are joined before they become Arrow tables. The
next pages are fetched in a thread meanwhile, so the API serves them while a batch converts.

`read_page` reads a JSON page with Arrow's JSON reader (C++, without the interpreter lock)
into an `ArrowPage`, in the thread that fetches it: the records never become Python objects
unless a page needs the record-by-record check, when its body is parsed again with orjson.

"""

from __future__ import annotations

import contextvars
import functools
import inspect
import io
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import dlt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
from dlt.common.configuration.container import Container
from dlt.extract.items_transform import ItemTransform

from ingestion.quarantine import Field, Model, RecordValidator

ARROW_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "text": pa.string(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
DLT_TYPES: dict[str, str] = {
    "integer": "bigint",
    "number": "double",
    "text": "text",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
}
# kinds that arrive as text and are parsed by Arrow; an empty string means no value
_PARSED = frozenset({"date", "timestamp"})
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)


@dataclass(frozen=True)
class Nested:
    """A list field whose elements load into a child table, keyed by the parent's key and
    carrying the parent's cursor (so the incremental step treats both alike)."""

    field: str
    table_name: str
    parent_key: str
    parent_cursor: str


def column_hints(model: Model) -> dict[str, dict[str, Any]]:
    """dlt column hints with the model's data types, so both paths agree on every column."""
    return {
        name: {"data_type": DLT_TYPES[spec.kind]}
        for name, spec in model.fields.items()
        if spec.kind in DLT_TYPES
    }


# the Arrow types Arrow infers for JSON values already of each kind; other values (a bool for
# a number, a float for an integer, a number for text) need the validator's judgement
_INFERRED: dict[str, Callable[[pa.DataType], bool]] = {
    "integer": pa.types.is_int64,
    "number": lambda t: pa.types.is_int64(t) or pa.types.is_float64(t),
    "text": pa.types.is_string,
    "boolean": pa.types.is_boolean,
    "date": pa.types.is_string,
    "timestamp": pa.types.is_string,
}


def wire_type(model: Model) -> pa.StructType:
    """A record of `model` as JSON carries it: dates and timestamps as text, a list of
    records as a list of their wire type."""
    fields = []
    for name, spec in model.fields.items():
        if spec.kind == "list" and spec.items is not None:
            fields.append(pa.field(name, pa.list_(wire_type(spec.items))))
        elif spec.kind in ARROW_TYPES:
            fields.append(
                pa.field(name, pa.string() if spec.kind in _PARSED else ARROW_TYPES[spec.kind])
            )
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


def read_page(body: bytes, schema: pa.Schema) -> dict[str, Any] | None:
    """A JSON page, an object whose member named by `schema` (`page_schema`) lists the
    records, read by Arrow: the records as an `ArrowPage` (declared fields as the model's wire
    types), the other members as Python values. None when Arrow cannot read the body as such
    a page or would read a value other than the Python path does (a record that is not an
    object, a value of another type than declared, a repeated key, bytes that are not UTF-8,
    text it takes for a timestamp): the caller then parses the body in Python.
    """
    field = schema.names[0]
    try:
        body.decode()  # Arrow's reader passes bytes that are not UTF-8 into text columns
        table = pa_json.read_json(
            io.BytesIO(body),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=len(body) + 1),
            parse_options=pa_json.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="infer"
            ),
        )
    except (*_ARROW_ERRORS, UnicodeError):
        return None
    if table.num_rows != 1 or not all(_plain_json(column.type) for column in table.schema):
        return None
    pages = table.column(field).combine_chunks()
    if pages.null_count:
        return None
    payload = {name: table.column(name)[0].as_py() for name in table.column_names if name != field}
    records = pages.flatten()
    payload[field] = ArrowPage(records, body, field) if len(records) else []
    return payload


def _records(item: list[Any]) -> int:
    """How many records a page or batch holds: Arrow pages count their rows."""
    return sum(len(part) if isinstance(part, ArrowPage) else 1 for part in item)


def _as_python(item: list[Any]) -> list[Any]:
    """A page or batch with every Arrow page read again as Python records."""
    records: list[Any] = []
    for part in item:
        if isinstance(part, ArrowPage):
            records.extend(part.as_python())
        else:
            records.append(part)
    return records


def _struct(item: list[Any]) -> pa.StructArray:
    """A page or batch as one struct array: Arrow pages joined (their types must agree),
    Python records converted."""
    arrow = [isinstance(part, ArrowPage) for part in item]
    if all(arrow):
        return pa.concat_arrays([part.records for part in item])
    return pa.array(_as_python(item) if any(arrow) else item)


class NotStrict(ValueError):
    """A page that needs the record-by-record check."""


def _strict(array: pa.Array, spec: Field) -> pa.Array:
    """An inferred column as its declared kind, or NotStrict if a value is not already of it."""
    target = ARROW_TYPES[spec.kind]
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), target)
    if not _INFERRED[spec.kind](array.type):
        raise NotStrict(spec.kind)
    if spec.kind in _PARSED:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    array = array.cast(target)
    if spec.kind == "number" and pc.all(pc.is_finite(array)).as_py() is False:
        raise NotStrict("a number is not finite")
    return array


def _strict_table(
    struct: pa.StructArray, model: Model, first: dict[str, pa.Array], skip: str = ""
) -> pa.Table:
    """`first`'s columns, the declared fields as their kinds, then the undeclared ones."""
    present = {field.name for field in struct.type}
    fields = [pa.field(name, array.type, nullable=False) for name, array in first.items()]
    arrays = list(first.values())
    for name, spec in model.fields.items():
        if spec.kind in ARROW_TYPES:
            column = struct.field(name) if name in present else pa.nulls(len(struct))
            arrays.append(_strict(column, spec))
            fields.append(pa.field(name, ARROW_TYPES[spec.kind], nullable=not spec.required))
    for field in struct.type:
        if field.name not in model.fields and field.name != skip and field.name not in first:
            arrays.append(struct.field(field.name))
            fields.append(pa.field(field.name, field.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    if not _complete(table, model):
        raise NotStrict("a required field is missing")
    return table


def _declared_parse(values: list[Any], kind: str) -> pa.Array:
    if kind in _PARSED:
        return pa.array([value or None for value in values], pa.string()).cast(ARROW_TYPES[kind])
    return pa.array(values, ARROW_TYPES[kind])


def _complete(table: pa.Table, model: Model) -> bool:
    """Every required field of the model has a value in every row."""
    return all(
        table.column(name).null_count == 0
        for name, spec in model.fields.items()
        if spec.required and spec.kind in ARROW_TYPES
    )


def _declared(values: list[Any], spec: Field) -> pa.Array:
    """The values of records the validator passed, as their declared kind."""
    kind = spec.kind
    try:
        return _declared_parse(values, kind)
    except _ARROW_ERRORS:
        # forms the validator accepted by converting them: convert them the same way
        return pa.array(
            [None if value is None or value == "" else spec.convert(value) for value in values],
            ARROW_TYPES[kind],
        )


def _undeclared(values: list[Any]) -> pa.Array:
    """A field the model does not name, typed by Arrow; values of mixed types become text."""
    try:
        return pa.array(values)
    except _ARROW_ERRORS:
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
    for name, spec in model.fields.items():
        if spec.kind in ARROW_TYPES:
            arrays.append(_declared([record.get(name) for record in records], spec))
            fields.append(pa.field(name, ARROW_TYPES[spec.kind], nullable=not spec.required))
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


class ArrowPages(ItemTransform[Any]):
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
        super().__init__(lambda item: item)
        self.model = model
        self.validator = validator
        self.nested = nested
        self.child = model.fields[nested.field].items if nested else None

    def __call__(self, item: Any, meta: Any = None) -> Iterable[Any]:
        if meta is not None or not isinstance(item, list) or not item:
            yield item
            return
        try:
            tables: tuple[pa.Table, pa.Table | None] | None = self._strict(_struct(item))
        except (NotStrict, *_ARROW_ERRORS):
            tables = None
        if tables is not None:
            yield from self.validator.passed(_records(item))
            yield from self._emit(*tables)
            return
        for checked in self.validator(_as_python(item)):
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
        if all(field.name != nested.field for field in struct.type):
            return parent, None
        lines = struct.field(nested.field)
        if pa.types.is_null(lines.type):
            return parent, None
        if not pa.types.is_list(lines.type):
            raise NotStrict(f"{nested.field} is not a list")
        items = pc.list_flatten(lines)
        if pa.types.is_null(items.type):
            return parent, None
        if not pa.types.is_struct(items.type) or items.null_count:
            raise NotStrict(f"{nested.field} holds something other than objects")
        owners = pc.list_parent_indices(lines)
        first = {
            nested.parent_key: parent.column(nested.parent_key).take(owners).combine_chunks(),
            nested.parent_cursor: parent.column(nested.parent_cursor).take(owners).combine_chunks(),
        }
        return parent, _strict_table(items, self.child, first)

    def _lines(self, records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Any]]:
        assert self.nested is not None
        field = self.nested.field
        return [(record, line) for record in records for line in record.get(field) or ()]

    def _arrow(self, records: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table | None]:
        nested = self.nested
        if nested is None or self.child is None:
            return _table(records, self.model, {}), None
        parent = _table(records, self.model, {}, skip=nested.field)
        lines = self._lines(records)
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


_DONE = object()


def _prefetched(pages: Iterator[Any], depth: int) -> Iterator[Any]:
    """`pages`, read in a thread of their own up to `depth` pages ahead; the thread's
    exception is raised here. Closing this generator stops the thread after its page."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    failed: list[BaseException] = []
    finished = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
            finished.set()
        except BaseException as error:  # handed to the consumer, which raises it
            failed.append(error)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
            put(_DONE)

    # dlt keys its thread-affine contexts (config, the pipeline) by this prefix
    thread = threading.Thread(
        target=contextvars.copy_context().run,
        args=(produce,),
        name=Container.thread_pool_prefix() + "pages",
        daemon=True,
    )
    thread.start()
    try:
        while True:
            try:
                item = ahead.get(timeout=1.0)
            except queue.Empty:
                if thread.is_alive():
                    continue
                item = _DONE  # the thread ended without a word: `failed` says why
            if item is not _DONE:
                yield item
                continue
            thread.join()
            if failed:
                raise failed[0]
            if not finished.is_set():
                raise RuntimeError("the thread reading the pages stopped before the last page")
            return
    finally:
        stop.set()
        thread.join()


def _batches(pages: Iterable[Any], min_rows: int) -> Iterator[Any]:
    """Consecutive pages (lists of records or of `ArrowPage`s) joined into lists of at least
    `min_rows` records, the last one shorter; anything that is not a list passes on by itself,
    in order."""
    batch: list[Any] = []
    rows = 0
    for page in pages:
        if not isinstance(page, list):
            if batch:
                yield batch
                batch, rows = [], 0
            yield page
            continue
        batch.extend(page)
        rows += _records(page)
        if rows >= min_rows:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def batch_pages(resource: Any, min_rows: int, prefetch: int = 2) -> Any:
    """Feed `resource`'s steps batches of at least `min_rows` records, joined from the pages
    its generator yields, fetched up to `prefetch` pages ahead in a thread (none with 0).

    Call it on a resource already bound to its arguments (as `rest_api_resources` returns
    them): its generator is then a callable without parameters, wrapped here the way dlt's
    own `parallelize` wraps it.
    """
    make_pages = resource._pipe.gen
    min_rows, prefetch = int(min_rows), int(prefetch)
    if not callable(make_pages) or inspect.signature(make_pages).parameters:
        raise TypeError(f"{resource.name}: the resource's generator is not bound to its data")

    @functools.wraps(make_pages)
    def batched() -> Iterator[Any]:
        pages = make_pages()
        if prefetch:
            pages = _prefetched(iter(pages), prefetch)
        return _batches(pages, min_rows)

    batched.__signature__ = inspect.Signature()  # type: ignore[attr-defined]
    resource._pipe.replace_gen(batched)
    return resource
