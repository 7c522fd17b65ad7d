"""The Shop API: customers, products, orders (with line items) and payments.

Declared with dlt's REST API config: bearer-token auth, cursor pagination, an incremental
`updated_since` parameter on `updated_at` with a lag window, so late status changes to older
orders are fetched again, and merge on each resource's primary key, so a re-read never
duplicates. `line_items` nested in each order land in the child table `orders__line_items`.
"""

from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_resources

# resource name -> primary key
RESOURCES: dict[str, str] = {
    "customers": "customer_id",
    "products": "product_id",
    "orders": "order_id",
    "payments": "payment_id",
}


@dlt.source(name="shop", max_table_nesting=1)
def shop_source(
    base_url: str = dlt.config.value,
    api_token: str = dlt.secrets.value,
    lag_hours: float = 72.0,
    page_size: int = 1000,
) -> Any:
    """Every Shop API resource, read incrementally and merged on its primary key."""
    config: dict[str, Any] = {
        "client": {
            "base_url": base_url.rstrip("/") + "/api/v1/",
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
                        },
                    },
                },
            }
            for name, primary_key in RESOURCES.items()
        ],
    }
    return rest_api_resources(config)
