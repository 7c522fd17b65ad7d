"""The demo Shop API's HTTP side: the server, its request handler, and ways to run it.

It is built on the standard library's threaded `http.server`, so it starts inside tests and
benchmarks with no extra dependency; every answer, errors included, is JSON (orjson).
"""

import hmac
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

from demo.api.faults import Faults
from demo.api.frankfurter import rates_page
from demo.api.params import ApiError, single
from demo.api.resources import RESOURCES, list_resource
from demo.generator import DB_FILENAME

DEFAULT_TOKEN = "demo-token"  # noqa: S105 - the demo's published token, not a secret


class DemoServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows the state directory and the expected token."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], state_dir: Path, token: str, faults: Faults | None = None
    ) -> None:
        self.state_dir = Path(state_dir)
        self.token = token
        self.faults = faults if faults is not None else Faults()
        super().__init__(address, _Handler)

    def connect(self) -> sqlite3.Connection:
        """A read-only connection for one request; 503 until the shop has been generated."""
        db_path = self.state_dir / DB_FILENAME
        if not db_path.is_file():
            raise ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"no demo data in {self.state_dir}; run the generator first",
            )
        return sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)


class _Handler(BaseHTTPRequestHandler):
    """Routes GET requests; every answer, errors included, is JSON."""

    server: DemoServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients would wait
    # for a delayed ACK (~40 ms) on every request.
    disable_nagle_algorithm = True
    server_version = "NorthwindDemoAPI/1.0"

    def do_GET(self) -> None:
        self._body_fault: str | None = None
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        headers: Sequence[tuple[str, str]] = ()
        try:
            status, body = HTTPStatus.OK, self._route(url.path.rstrip("/") or "/", params)
        except ApiError as error:
            status, body, headers = error.status, {"error": error.message}, error.headers
        except Exception as error:  # keep serving; the client gets one clear line
            self.log_error("unhandled error on %s: %r", self.path, error)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal server error"}
        self._send_json(status, body, headers)

    def _route(self, path: str, params: dict[str, list[str]]) -> dict[str, object]:
        if path == "/health":
            return {"status": "ok"}
        if path.startswith("/frankfurter/"):
            self.server.faults.before("frankfurter")
            return rates_page(path.removeprefix("/frankfurter/"), params)
        if path.startswith("/api/v1/"):
            self._authorize()
            name = path.removeprefix("/api/v1/")
            if name not in RESOURCES:
                raise ApiError(HTTPStatus.NOT_FOUND, f"unknown resource {name!r}")
            self.server.faults.before(name)
            self._body_fault = self.server.faults.body(name)
            with closing(self.server.connect()) as conn:
                page = list_resource(conn, name, params)
            page["next_cursor"] = self.server.faults.next_cursor(
                name, single(params, "cursor"), page["next_cursor"]
            )
            return page
        raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")

    def _authorize(self) -> None:
        expected = f"Bearer {self.server.token}".encode()
        given = (self.headers.get("Authorization") or "").strip().encode()
        if not hmac.compare_digest(given, expected):
            raise ApiError(
                HTTPStatus.UNAUTHORIZED,
                "missing or invalid bearer token",
                headers=(("WWW-Authenticate", 'Bearer realm="demo-shop"'),),
            )

    def _send_json(
        self, status: HTTPStatus, body: object, headers: Sequence[tuple[str, str]]
    ) -> None:
        payload = orjson.dumps(body)
        fault = self._body_fault if status == HTTPStatus.OK else None
        if fault == "badjson":
            payload = payload[: len(payload) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if fault == "truncate":  # announced in full, sent in half
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet by default: tests and demos should not drown in access logs."""
        if os.environ.get("DEMO_API_LOG") == "1":
            super().log_message(format, *args)


def make_server(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    faults: Faults | None = None,
) -> DemoServer:
    """A bound, not yet serving, API server; port 0 picks a free port.

    Without `faults`, the faults named in `DEMO_API_FAULTS` (if any) are injected.
    """
    return DemoServer((host, port), state_dir, token, faults or Faults.from_env())


@contextmanager
def serve_in_thread(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    faults: Faults | None = None,
) -> Iterator[str]:
    """Serve in a background thread for the duration of the block; yields the base URL."""
    server = make_server(state_dir, host, port, token, faults)
    thread = threading.Thread(target=server.serve_forever, name="demo-api", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
