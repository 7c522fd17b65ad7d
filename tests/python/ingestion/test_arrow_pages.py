"""The Arrow step of API sources (`ingestion.pages`): what each page becomes, without a load.

The whole-page conversion must agree with the record-by-record check: a value it would
coerce where the model does not (a float for an integer, a bool for a number) must send
the page to the validator, where the record is rejected, never truncated. A page read by
Arrow's JSON reader (`read_page`) must become the same tables as the same page read into
Python objects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import dlt
import orjson
import pyarrow as pa
import pytest
import requests
from support.ingest import DemoShop

from demo.api import DEFAULT_TOKEN
from ingestion.pages import ArrowPage, ArrowPages, Nested, batch_pages, page_schema, read_page
from ingestion.pages.batching import _batches, _prefetched
from ingestion.quarantine import Field, Model, RecordValidator
from ingestion.shop import MODELS

# what `dlt.mark.with_table_name` wraps an item routed to another table in
ROUTED = type(dlt.mark.with_table_name([], "probe"))

LINE = Model({"line_number": Field("integer", required=True), "unit_price": Field("number")})
ORDER = Model(
    {
        "order_id": Field("integer", required=True),
        "status": Field("text"),
        "updated_at": Field("timestamp", required=True),
        "line_items": Field("list", items=LINE),
    }
)
NESTED = Nested("line_items", "order_line_items", "order_id", "updated_at")


def run(page: list[Any]) -> tuple[list[pa.Table], dict[str, list[Any]], int]:
    """(tables of the page itself, items routed to other tables by name, records checked)."""
    validator = RecordValidator("orders", "http://api/orders", ORDER)
    step = ArrowPages(ORDER, validator, NESTED)
    own: list[pa.Table] = []
    routed: dict[str, list[Any]] = {}
    for item in step(page):
        if isinstance(item, ROUTED):
            routed.setdefault(item.meta.table_name, []).append(item.data)
        else:
            own.append(item)
    return own, routed, validator.seen


def order(order_id: int, **changes: Any) -> dict[str, Any]:
    record = {
        "order_id": order_id,
        "status": "paid",
        "updated_at": "2025-03-01T10:00:00Z",
        "line_items": [
            {"line_number": 1, "unit_price": 9.5},
            {"line_number": 2, "unit_price": 12},
        ],
    }
    record.update(changes)
    return record


def rejects(routed: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [
        row for rows in routed.get("_rejected_rows", []) for row in rows if "_is_marker" not in row
    ]


def test_a_clean_page_becomes_typed_tables_with_lines_keyed_by_their_order() -> None:
    own, routed, seen = run([order(1), order(2, line_items=[])])

    (orders,) = own
    assert orders.column("order_id").to_pylist() == [1, 2]
    assert orders.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert "line_items" not in orders.schema.names
    (lines,) = routed["order_line_items"]
    assert lines.column("order_id").to_pylist() == [1, 1]
    assert lines.column("unit_price").to_pylist() == [9.5, 12.0]
    assert lines.schema.field("unit_price").type == pa.float64()
    assert rejects(routed) == []
    assert seen == 2


def test_values_arrow_would_coerce_are_rejected_by_the_model_not_truncated() -> None:
    bad_line = [{"line_number": 1.5, "unit_price": 3.0}]
    own, routed, _ = run([order(1), order(2, line_items=bad_line), order(3, status=7)])

    (orders,) = own
    assert orders.column("order_id").to_pylist() == [1, 3]
    assert orders.column("status").to_pylist() == ["paid", "7"]  # text the model accepts
    errors = {row["error"] for row in rejects(routed)}
    assert errors == {"line_items[1].line_number: 1.5 is not an integer"}
    (lines,) = routed["order_line_items"]
    assert lines.column("order_id").to_pylist() == [1, 1, 3, 3]


def test_values_in_another_accepted_form_load_as_their_kind() -> None:
    own, routed, _ = run([order(1, updated_at="2025-03-01 10:00:00"), order(2)])

    (orders,) = own
    stamps = orders.column("updated_at").to_pylist()
    assert stamps[0] == stamps[1]  # naive means UTC, as the model reads it
    assert rejects(routed) == []


def test_undeclared_fields_are_typed_by_arrow_and_mixed_types_become_text() -> None:
    own, _, _ = run([order(1, gift=True, note=5), order(2, gift=False, note="five")])

    (orders,) = own
    assert orders.schema.field("gift").type == pa.bool_()
    assert orders.column("note").to_pylist() == ["5", "five"]


def body(records: list[Any], **envelope: Any) -> bytes:
    return orjson.dumps({"data": records, **envelope})


def arrow_read(*pages: list[Any]) -> list[Any]:
    """The pages as one batch of Arrow-read pages, as `batch_pages` hands them on."""
    batch: list[Any] = []
    for page in pages:
        payload = read_page(body(page), page_schema(ORDER))
        assert payload is not None
        batch.extend([payload["data"]] if isinstance(payload["data"], ArrowPage) else [])
    return batch


def same_result(
    first: tuple[list[pa.Table], dict[str, list[Any]], int],
    second: tuple[list[pa.Table], dict[str, list[Any]], int],
) -> None:
    own, routed, seen = first
    own_2, routed_2, seen_2 = second
    assert [table.to_pylist() for table in own] == [table.to_pylist() for table in own_2]
    assert [table.schema for table in own] == [table.schema for table in own_2]
    assert seen == seen_2
    lines = [t.to_pylist() for t in routed.get("order_line_items", [])]
    assert lines == [t.to_pylist() for t in routed_2.get("order_line_items", [])]
    strip = [{k: v for k, v in row.items() if k != "load_id"} for row in rejects(routed)]
    assert strip == [{k: v for k, v in row.items() if k != "load_id"} for row in rejects(routed_2)]


# case -> (page, whether Arrow reads it; the others are read into Python objects)
PAGES = {
    "clean": ([order(1), order(2, line_items=[]), order(3, line_items=None)], True),
    "missing required": ([order(1), {"status": "paid"}], True),
    "other accepted forms": ([order(1, updated_at="2025-03-01 10:00:00"), order(2)], True),
    "new line field": ([order(1, line_items=[{"line_number": 1, "colour": "red"}])], True),
    "coerced values": ([order(1), order(2, line_items=[{"line_number": 1.5}])], False),
    "mixed undeclared": ([order(1, gift=True, note=5), order(2, gift=False, note="x")], False),
    "undeclared like a timestamp": ([order(1, shipped="2025-03-02T10:00:00Z")], False),
    "not an object": ([order(1), 5, None], False),
}


@pytest.mark.parametrize("case", PAGES)
def test_a_page_read_by_arrow_becomes_what_its_python_records_become(case: str) -> None:
    page, by_arrow = PAGES[case]
    payload = read_page(body(page), page_schema(ORDER))
    assert (payload is not None) == by_arrow
    item = [payload["data"]] if payload is not None else orjson.loads(body(page))["data"]

    same_result(run(item), run(page))


def test_arrow_reads_only_pages_it_reads_as_python_would() -> None:
    clean = read_page(body([order(1), order(2)], next_cursor="abc", total=2), page_schema(ORDER))
    assert clean is not None
    assert isinstance(clean["data"], ArrowPage) and len(clean["data"]) == 2
    assert {k: v for k, v in clean.items() if k != "data"} == {"next_cursor": "abc", "total": 2}
    assert read_page(body([]), page_schema(ORDER)) == {"data": []}

    refused = {
        "another type than declared": body([{**order(1), "order_id": "1"}]),
        "a float for an integer": body([{**order(1), "order_id": 1.0}]),
        "text Arrow takes for a timestamp": body([order(1)], next_cursor="2025-03-01T10:00:00Z"),
        "a repeated key": b'{"data": [{"order_id": 1, "order_id": 2}]}',
        "bad UTF-8": b'{"data": [{"order_id": 1, "status": "\xff"}]}',
        "a record that is not an object": body([1]),
        "two JSON values": body([order(1)]) + b" " + body([]),
        "no list of records": orjson.dumps({"data": None}),
        "not JSON": b"<html>busy</html>",
    }
    read = {name: read_page(text, page_schema(ORDER)) for name, text in refused.items()}
    assert {name for name, payload in read.items() if payload is not None} == set()


def test_a_batch_of_arrow_pages_with_different_fields_is_joined_as_python_records() -> None:
    first, second = [order(1), order(2)], [order(3, gift=True), order(4, gift=False)]

    same_result(run(arrow_read(first, second)), run(first + second))
    same_result(run(arrow_read(first, first)), run(first + first))


def test_the_demo_api_pages_are_read_by_arrow(shop: DemoShop) -> None:
    with shop.serve() as served, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
        for name, (_, model) in MODELS.items():
            response = session.get(f"{served.base_url}/api/v1/{name}", params={"limit": 50})
            payload = read_page(response.content, page_schema(model))
            assert payload is not None, name
            assert isinstance(payload["data"], ArrowPage), name
            assert len(payload["data"]) == 50, name
            assert payload["next_cursor"] == response.json()["next_cursor"], name


def pages_of(*sizes: int) -> list[list[dict[str, Any]]]:
    """Consecutive pages of orders with the given numbers of records."""
    pages, next_id = [], 1
    for size in sizes:
        pages.append([order(order_id) for order_id in range(next_id, next_id + size)])
        next_id += size
    return pages


class Pages:
    """A page generator's stand-in: yields `pages`, then raises `error` if one is given."""

    def __init__(self, pages: list[Any], error: Exception | None = None) -> None:
        self.pages = pages
        self.error = error
        self.served = 0
        self.closed = threading.Event()

    def __call__(self) -> Iterator[Any]:
        try:
            for page in self.pages:
                self.served += 1
                yield page
            if self.error is not None:
                raise self.error
        finally:
            self.closed.set()


def batched(pages: Pages, min_rows: int, prefetch: int = 2) -> Iterator[Any]:
    """The records of a dlt resource over `pages`, bound to its arguments as the REST API
    source binds its resources, then batched."""

    @dlt.resource(name="orders")
    def orders(limit: int) -> Iterator[Any]:
        yield from pages()

    resource = orders(limit=100)
    batch_pages(resource, min_rows, prefetch=prefetch)
    return iter(resource)


@pytest.mark.parametrize("prefetch", [0, 2])
def test_pages_join_into_batches_in_order_and_nothing_is_left_behind(prefetch: int) -> None:
    pages = pages_of(100, 100, 100, 30, 100, 7)

    batches = [[record["order_id"] for record in batch] for batch in _batches(pages, 250)]

    assert [len(batch) for batch in batches] == [300, 137]
    assert [key for batch in batches for key in batch] == list(range(1, 438))
    loaded = list(batched(Pages(pages), 250, prefetch))
    assert [row["order_id"] for row in loaded] == list(range(1, 438))


def test_a_failure_after_some_pages_reaches_the_consumer() -> None:
    pages = Pages(pages_of(100, 100), error=RuntimeError("503 after two pages"))

    batches = _batches(_prefetched(pages(), depth=1), 1000)
    with pytest.raises(RuntimeError, match="503 after two pages"):
        next(batches)
    assert pages.served == 2


def test_closing_the_batches_stops_fetching() -> None:
    pages = Pages(pages_of(*[10] * 50))

    prefetched = _prefetched(pages(), depth=2)
    first = next(prefetched)
    prefetched.close()

    assert [record["order_id"] for record in first] == list(range(1, 11))
    assert pages.closed.wait(5)
    assert pages.served < 50  # at most the pages queued ahead, not the whole resource
