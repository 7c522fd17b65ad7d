"""The Shop API: customers, products, orders (with line items) and payments.

Declared with dlt's REST API config: bearer-token auth, cursor pagination, an incremental
`updated_since` parameter on `updated_at` with a lag window, so late status changes to older
orders are fetched again, and merge on each resource's primary key, so a re-read never
duplicates (the newest `updated_at` wins within a run). The `line_items` nested in each order
land in the child table `order_line_items`, keyed by `order_id` and `line_number` and merged on
`order_id`, so an order read again replaces all its lines.

Pagination stops the run at a `next_cursor` the resource already requested, or past
`max_pages` pages (`ingestion.pages.paging`), so an API that loops never keeps a run going.

Pages travel as Arrow tables (`ingestion.pages`), not as Python dicts through dlt's
normalizer, which on this path costs many times the load itself. They are fetched a few
pages ahead in a thread and joined into batches of `batch_rows` records first, because dlt's
cost per item is the same for a page and for a batch of twenty.

Each record is checked against its resource's model (`ingestion.shop.models`) before the
incremental cursor sees it; a record that fails goes to `raw_shop._rejected_rows` with the
endpoint and error. Fields the model does not name load as they come, so new fields evolve
into raw; a field whose type changes stops the load (the data-type contract is frozen).
Requests that fail with 429 or 5xx, time out or lose the connection are retried by dlt's HTTP
client, honouring `Retry-After` (`runtime.request_max_attempts`, `request_backoff_factor`,
`request_max_retry_delay`).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dlt
import orjson
from dlt.sources.rest_api import rest_api_resources
from requests import RequestException, Response

from ingestion import dlt_seams, quarantine
from ingestion.pages import (
    ArrowPages,
    GuardedCursorPaginator,
    Nested,
    batch_pages,
    page_schema,
    read_page,
)
from ingestion.pages.paging import DEFAULT_MAX_PAGES, name_failed_requests
from ingestion.quarantine import Model, column_hints
from ingestion.shop.models import MODELS, NESTED

FROZEN_TYPES = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class InvalidPage(RequestException):
    """A page whose body is not JSON; carries the response, so the error names its URL."""


def _iso_utc(moment: datetime) -> str:
    """The cursor as the API's `updated_since` takes it: ISO 8601 in UTC, `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _page_reader(model: Model) -> Callable[..., Response]:
    """A response hook that reads a JSON page once: with Arrow's JSON reader where it can
    (`pages.read_page`), else with orjson. dlt's client would read the body twice (records
    and the next cursor), each time into Python objects with the standard parser."""

    schema = page_schema(model)

    def read(response: Response, *args: Any, **kwargs: Any) -> Response:
        if response.ok and "json" in response.headers.get("Content-Type", ""):
            payload = read_page(response.content, schema)
            if payload is None:
                try:
                    payload = orjson.loads(response.content)
                except orjson.JSONDecodeError as error:
                    problem = str(error)
                else:
                    problem = ""
                if problem:  # raised outside the handler: the line shows this error
                    raise InvalidPage(f"the page is not valid JSON: {problem}", response=response)
            dlt_seams.hand_parsed_json(response, payload)
        return response

    return read


def _paginator(api_url: str, resource: str, max_pages: int) -> GuardedCursorPaginator:
    """Cursor pagination on `next_cursor` that stops at a cursor seen before or at
    `max_pages` pages (`sources.shop.max_pages`), naming the resource and the cursor."""
    return GuardedCursorPaginator(
        resource,
        api_url + resource,
        max_pages,
        setting="sources.shop.max_pages",
        cursor_path="next_cursor",
        cursor_param="cursor",
    )


def _rest_config(
    api_url: str,
    api_token: str,
    lag_hours: float,
    page_size: int,
    paginators: dict[str, GuardedCursorPaginator],
) -> dict:
    """dlt's REST API config: every resource of `MODELS`, incremental on `updated_at`."""
    return {
        "client": {
            "base_url": api_url,
            "auth": {"type": "bearer", "token": api_token},
        },
        "resource_defaults": {
            "write_disposition": "merge",
            # compiled once: dlt's client would parse a text path again for every page
            "endpoint": {"data_selector": dlt_seams.compile_path("data")},
        },
        "resources": [
            {
                "name": name,
                "primary_key": primary_key,
                "endpoint": {
                    "path": name,
                    "paginator": paginators[name],
                    "response_actions": [_page_reader(model)],
                    "params": {
                        "limit": page_size,
                        "updated_since": {
                            "type": "incremental",
                            "cursor_path": "updated_at",
                            "initial_value": EPOCH,
                            "convert": _iso_utc,
                            "lag": lag_hours * 3600,
                            # rejects carry no cursor; they must not stop the page
                            "on_cursor_value_missing": "include",
                        },
                    },
                },
            }
            for name, (primary_key, model) in MODELS.items()
        ],
    }


def _nested_table(resource: Any, nested: Nested, line_model: Model) -> None:
    """The child table variant a nested list loads into, merged on the parent's key."""
    resource.apply_hints(
        table_name=nested.table_name,
        create_table_variant=True,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=(nested.parent_key, "line_number"),
        merge_key=nested.parent_key,
        file_format="parquet",  # a variant does not inherit the pipeline's format
        # in the order of the Arrow tables' columns, so dlt can load them as they are
        columns={
            nested.parent_key: {"data_type": "bigint", "nullable": False},
            nested.parent_cursor: {"data_type": "timestamp", "nullable": False},
            **column_hints(line_model),
        },
    )


def _prepare(
    resource: Any,
    api_url: str,
    batch_rows: int,
    prefetch_pages: int,
    paginator: GuardedCursorPaginator,
) -> None:
    """Hints, quarantine and the Arrow step for one resource, then its pages batched."""
    model = MODELS[resource.name][1]
    # a table variant starts as a copy of the resource's hints: create them first
    quarantine.attach(resource, replace_by_origin=False)
    nested = NESTED.get(resource.name)
    if nested:
        line_model = model.fields[nested.field].items
        assert line_model is not None
        _nested_table(resource, nested, line_model)
    columns = column_hints(model)
    columns["updated_at"] = {**columns["updated_at"], "dedup_sort": "desc"}
    resource.apply_hints(columns=columns)
    # before the incremental step (which dlt keeps last), so a record with a broken
    # cursor value never moves the cursor
    validator = quarantine.RecordValidator(resource.table_name, api_url + resource.name, model)
    resource.add_step(ArrowPages(model, validator, nested), insert_at=1)
    # a request failing without naming its URL (a body cut short) gets the page's URL
    name_failed_requests(resource, paginator)
    # pages fetched ahead in a thread and joined: dlt's cost is per table, not per row
    batch_pages(resource, batch_rows, prefetch_pages)


@dlt.source(name="shop", max_table_nesting=1, schema_contract=FROZEN_TYPES)
def shop_source(
    base_url: str = dlt.config.value,
    api_token: str = dlt.secrets.value,
    lag_hours: float = 72.0,
    page_size: int = 1000,
    batch_rows: int = 20_000,
    prefetch_pages: int = 2,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Any:
    """Every Shop API resource, read incrementally and merged on its primary key."""
    api_url = base_url.rstrip("/") + "/api/v1/"
    paginators = {name: _paginator(api_url, name, max_pages) for name in MODELS}
    resources = rest_api_resources(
        _rest_config(api_url, api_token, lag_hours, page_size, paginators)
    )
    for resource in resources:
        _prepare(resource, api_url, batch_rows, prefetch_pages, paginators[resource.name])
    return resources
