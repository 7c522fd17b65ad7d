"""What each Shop API resource declares: its primary key and the model each record must
satisfy (`ingestion.quarantine.Model`; kinds from `ingestion.schema`).

Fields a model does not name load as they come, so new fields evolve into raw; a record that
fails its model goes to `raw_shop._rejected_rows` with the endpoint and the error.
"""

from __future__ import annotations

from ingestion.pages import Nested
from ingestion.quarantine import Field, Model

_ID = Field("integer", required=True)
_STAMP = Field("timestamp", required=True)

# an order's line items load as rows of their own table, keyed by the order and its cursor
LINES = Nested(
    field="line_items",
    table_name="order_line_items",
    parent_key="order_id",
    parent_cursor="updated_at",
)

# resource name -> (primary key, the model each record must satisfy)
MODELS: dict[str, tuple[str, Model]] = {
    "customers": (
        "customer_id",
        Model(
            {
                "customer_id": _ID,
                "first_name": Field("text"),
                "last_name": Field("text"),
                "email": Field("text"),
                "country_code": Field("text"),
                "created_at": Field("timestamp"),
                "updated_at": _STAMP,
            }
        ),
    ),
    "products": (
        "product_id",
        Model(
            {
                "product_id": _ID,
                "sku": Field("text"),
                "product_name": Field("text"),
                "category": Field("text"),
                "unit_price_eur": Field("number"),
                "is_active": Field("boolean"),
                "created_at": Field("timestamp"),
                "updated_at": _STAMP,
            }
        ),
    ),
    "orders": (
        "order_id",
        Model(
            {
                "order_id": _ID,
                "customer_id": Field("integer"),
                "status": Field("text"),
                "currency": Field("text"),
                "channel": Field("text"),
                "ordered_at": Field("timestamp"),
                "updated_at": _STAMP,
                "line_items": Field(
                    "list",
                    items=Model(
                        {
                            "line_number": _ID,
                            "product_id": Field("integer"),
                            "quantity": Field("integer"),
                            "unit_price": Field("number"),
                        }
                    ),
                ),
            }
        ),
    ),
    "payments": (
        "payment_id",
        Model(
            {
                "payment_id": _ID,
                "order_id": Field("integer"),
                "payment_type": Field("text"),
                "payment_method": Field("text"),
                "amount": Field("number"),
                "currency": Field("text"),
                "created_at": Field("timestamp"),
                "updated_at": _STAMP,
            }
        ),
    ),
}

# resource name -> the list field that loads as a child table
NESTED: dict[str, Nested] = {"orders": LINES}
