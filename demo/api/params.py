"""Query parameters of the demo Shop API and the error a client sees.

Parsing of `limit`, `updated_since` and the opaque `cursor`; anything malformed becomes an
`ApiError` (400) with a one-line message, never a stack trace.
"""

import base64
import binascii
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# '+' in an unencoded query string arrives as a space: "...T10:00:00 02:00".
SPACED_OFFSET_PATTERN = re.compile(r"(?<=\d) (?=\d{2}:?\d{2}$)")


class ApiError(Exception):
    """A client-visible failure: becomes `{"error": message}` with the given status."""

    def __init__(
        self, status: HTTPStatus, message: str, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"{name} given more than once")
    return values[0]


def parse_limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"limit must be an integer from 1 to {MAX_LIMIT}, got {text!r}"
        )
    return limit


def _format_utc(moment: datetime) -> str:
    """The stored timestamp text (seconds, `Z`), zero-padded whatever the year."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def parse_updated_since(text: str | None) -> str | None:
    """Normalise an ISO-8601 date or timestamp to the stored text; naive means UTC.

    Stored timestamps have whole seconds, so a fractional bound is rounded up: the filter
    stays inclusive without returning rows from before the bound.
    """
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(SPACED_OFFSET_PATTERN.sub("+", text.strip()))
    except ValueError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"updated_since must be an ISO-8601 timestamp, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
        if moment.microsecond:
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    except (OverflowError, ValueError):
        raise ApiError(HTTPStatus.BAD_REQUEST, f"updated_since out of range: {text!r}") from None
    return _format_utc(moment)


def encode_cursor(resource: str, updated_at: str, key: int) -> str:
    """Opaque page cursor: the resource and the `(updated_at, id)` of the last row served."""
    raw = json.dumps([resource, updated_at, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(resource: str, text: str) -> tuple[str, int]:
    """Inverse of `encode_cursor`; anything else, or another resource's cursor, is a 400."""
    invalid = ApiError(HTTPStatus.BAD_REQUEST, f"invalid cursor {text!r}")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise invalid from None
    match value:
        case [str(name), str(updated_at), int(key)] if (
            name == resource
            and TIMESTAMP_PATTERN.fullmatch(updated_at)
            and not isinstance(key, bool)
            and -(2**63) <= key < 2**63
        ):
            return updated_at, key
    raise invalid
