"""The Shop API: customers, products, orders (with line items) and payments.

Declared with dlt's REST API config: bearer-token auth, cursor pagination, an incremental
`updated_since` parameter on `updated_at` with a lag window, so late status changes to older
orders are fetched again, and merge on each resource's primary key, so a re-read never
duplicates. `line_items` nested in each order land in the child table `orders__line_items`.

Each record is checked against its resource's model (`MODELS`) before the incremental cursor
sees it; a record that fails goes to `raw_shop._rejected_rows` with the endpoint and error.
Fields the model does not name load as they come, so new fields evolve into raw; a field whose
type changes stops the load (the data-type contract is frozen). Requests that fail with 429 or
5xx, time out or lose the connection are retried by dlt's HTTP client, honouring `Retry-After`
(`runtime.request_max_attempts`, `request_backoff_factor`, `request_max_retry_delay`).

"""

from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_resources

from ingestion.quarantine import Field, Model, validate

FROZEN_TYPES = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}

_ID = Field("integer", required=True)
_STAMP = Field("timestamp", required=True)

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


@dlt.source(name="shop", max_table_nesting=1, schema_contract=FROZEN_TYPES)
def shop_source(
    base_url: str = dlt.config.value,
    api_token: str = dlt.secrets.value,
    lag_hours: float = 72.0,
    page_size: int = 1000,
) -> Any:
    """Every Shop API resource, read incrementally and merged on its primary key."""
    api_url = base_url.rstrip("/") + "/api/v1/"
    config: dict[str, Any] = {
        "client": {
            "base_url": api_url,
            "auth": {"type": "bearer", "token": api_token},
            "paginator": {
                "type": "cursor",
                "cursor_path": "next_cursor",
                "cursor_param": "cursor",
            },
        },
        "resource_defaults": {
            "write_disposition": "merge",
            "endpoint": {"data_selector": "data"},
        },
        "resources": [
            {
                "name": name,
                "primary_key": primary_key,
                "endpoint": {
                    "path": name,
                    "params": {
                        "limit": page_size,
                        "updated_since": {
                            "type": "incremental",
                            "cursor_path": "updated_at",
                            "initial_value": "2000-01-01T00:00:00Z",
                            "lag": lag_hours * 3600,
                            # rejects carry no cursor; they must not stop the page
                            "on_cursor_value_missing": "include",
                        },
                    },
                },
            }
            for name, (primary_key, _) in MODELS.items()
        ],
    }
    resources = rest_api_resources(config)
    for resource in resources:
        validate(resource, api_url + resource.name, MODELS[resource.name][1])
    return resources
