"""The Arrow step of API sources (`ingestion.pages`): what each page becomes, without a load.

The whole-page conversion must agree with the record-by-record check: a value it would
coerce where the model does not (a float for an integer, a bool for a number) must send
the page to the validator, where the record is rejected, never truncated.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from dlt.extract.items import DataItemWithMeta

from ingestion.pages import ArrowPages, Nested
from ingestion.quarantine import Field, Model, RecordValidator

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
        if isinstance(item, DataItemWithMeta):
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
