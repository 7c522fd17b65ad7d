"""Optional HTTP basic auth for the whole dashboard, switched on from the environment.

With `DASHBOARD_USER` and `DASHBOARD_PASSWORD` both set, every request (pages, assets,
callbacks) needs those credentials; with neither set the dashboard is open, as on a laptop.
Setting only one is a mistake the server refuses to start with.

Basic auth sends the password with every request: serve the dashboard behind TLS (a reverse
proxy) whenever it leaves the machine.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os

from flask import Flask, Response, request

from dataops.core.errors import DataOpsError

REALM = "Northwind Threads dashboard"


def credentials_from_env() -> tuple[str, str] | None:
    """(user, password) when auth is on, None when off; a half-set pair is an error."""
    user = os.environ.get("DASHBOARD_USER", "")
    password = os.environ.get("DASHBOARD_PASSWORD", "")
    if bool(user) != bool(password):
        raise DataOpsError(
            "set both DASHBOARD_USER and DASHBOARD_PASSWORD to protect the dashboard, "
            "or neither to leave it open"
        )
    return (user, password) if user else None


def install(server: Flask, user: str, password: str) -> None:
    """Require the credentials on every request the Flask server handles."""
    expected_user = user.encode()
    expected_password = password.encode()

    def require_credentials() -> Response | None:
        given_user, given_password = _basic_credentials(request.headers.get("Authorization"))
        # compare both, always, so the time taken says nothing about which one was wrong
        user_ok = hmac.compare_digest(given_user, expected_user)
        password_ok = hmac.compare_digest(given_password, expected_password)
        if user_ok and password_ok:
            return None
        return Response(
            "Sign in to see the dashboard.\n",
            status=401,
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            mimetype="text/plain",
        )

    server.before_request(require_credentials)


def basic_header(user: str, password: str) -> str:
    """The Authorization header value that carries these credentials."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _basic_credentials(header: str | None) -> tuple[bytes, bytes]:
    """The user and password of a Basic Authorization header; empty when absent or bad."""
    if not header or len(header) > 4096:
        return b"", b""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return b"", b""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b"", b""
    given_user, separator, given_password = decoded.partition(b":")
    if not separator:
        return b"", b""
    return given_user, given_password
