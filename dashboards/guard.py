"""Callback requests checked before Dash reads them: size, nesting and shape.

Every callback request is a JSON body posted to `/_dash-update-component`. Dash parses it
with the standard library (a value nested a few thousand levels deep raises RecursionError)
and then indexes it as it expects it to be (a missing key raises KeyError), and either ends
as an HTTP 500 with a traceback in the server log. This hook answers such requests before
Dash sees them, with a plain `400` and one line in the log, so a hostile or broken client
costs little and leaves no noise.

The checks are cheap on purpose: the size from the header and the body read once (Flask
keeps it for Dash), the nesting counted on the brackets outside strings in C (no Python loop
over the characters), and the envelope compared with the callback Dash registered for the
output it names: the same inputs and states, in order.

Compared with Flask's `MAX_CONTENT_LENGTH` (which this uses for the size) and with making
every callback defensive: the nesting and the envelope are read by Dash before any callback
runs, so only a hook in front of Dash can answer them.
"""

from __future__ import annotations

import logging
import re
from itertools import accumulate
from typing import Any

from dash import Dash
from flask import Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
# The dashboard's own callbacks send a few kilobytes; hostile strings of 100 kB still reach
# the filters, which answer them with a message.
MAX_BODY_BYTES = 256 * 1024
# The deepest the dashboard's own requests go is 5 (envelope, inputs, input, value, list).
MAX_DEPTH = 32

# A JSON string; the closing quote is optional, so that an unterminated string is one match
# to the end of the body rather than a failed match tried again at each quote inside it.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?')
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
# +1 for an opening bracket, -1 for a closing one, by byte value
_STEP = tuple(1 if byte in b"[{" else -1 for byte in range(256))


class Refused(ValueError):
    """A callback request this hook answers itself; the message is the log line's reason."""


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` levels deep.

    Strings are dropped first (a bracket inside a string is text), then everything but the
    brackets, and the running count of open brackets is compared with the limit; all of it
    in C (regular expressions, `bytes.translate`, `itertools.accumulate`), about 50 ms for
    the largest body let through.
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET)
    return any(level > limit for level in accumulate(map(_STEP.__getitem__, brackets)))


def check_envelope(body: Any, callbacks: dict[str, dict[str, Any]]) -> None:
    """Refused unless `body` names a registered callback with exactly its inputs and states."""
    if not isinstance(body, dict):
        raise Refused("the body is not a JSON object")
    output = body.get("output")
    callback = callbacks.get(output) if isinstance(output, str) else None
    if callback is None:
        raise Refused("no callback has that output")
    for field, declared in (("inputs", callback["inputs"]), ("state", callback["state"])):
        given = body.get(field, [])
        if not isinstance(given, list) or [_address(item) for item in given] != [
            (item["id"], item["property"]) for item in declared
        ]:
            raise Refused(f"the {field} are not the callback's")
    outputs = body.get("outputs")
    items = outputs if isinstance(outputs, list) else [outputs]
    if not all(_address(item) for item in items):
        raise Refused("the outputs are malformed")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(name, str) for name in changed):
        raise Refused("changedPropIds is malformed")


def _address(item: Any) -> tuple[Any, Any] | None:
    """(id, property) of an input, state or output entry, or None when it is not one."""
    if not isinstance(item, dict):
        return None
    component, prop = item.get("id"), item.get("property")
    if not isinstance(component, str | dict) or not isinstance(prop, str):
        return None
    return component, prop


def install(app: Dash) -> None:
    """Check every callback request before Dash reads it."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    path = app.config.requests_pathname_prefix.rstrip("/") + CALLBACK_PATH

    def check_callback_request() -> Response | None:
        if request.path != path or request.method != "POST":
            return None
        try:
            raw = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return _refuse(f"the body is larger than {MAX_BODY_BYTES} bytes")
        try:
            if nested_deeper_than(raw, MAX_DEPTH):
                raise Refused(f"the body nests deeper than {MAX_DEPTH} levels")
            try:
                # parsed once: Flask keeps the result for Dash
                body = request.get_json()
            except HTTPException:
                raise Refused("the body is not JSON") from None
            check_envelope(body, app.callback_map)
        except Refused as refused:
            return _refuse(str(refused))
        return None

    server.before_request(check_callback_request)


def _refuse(reason: str) -> Response:
    log.warning("refused a callback request from %s: %s", request.remote_addr, reason)
    return Response(
        "The dashboard could not read that request.\n", status=400, mimetype="text/plain"
    )
