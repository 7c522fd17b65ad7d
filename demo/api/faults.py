"""Faults the demo Shop API injects on purpose, so retries and error handling meet a real socket.

Read from `DEMO_API_FAULTS` or `--faults`: 429 with `Retry-After`, transient or persistent 5xx,
slow responses and a repeated page.
"""

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus

from demo.api.params import ApiError
from demo.api.resources import RESOURCES

FAULTS_ENV = "DEMO_API_FAULTS"
FAULTS_EXAMPLE = "429:3,500:2,slow:0.5,repeat_page:orders"
RETRY_AFTER_SECONDS = 1
SCOPES = (*RESOURCES, "frankfurter")
BODY_FAULTS = ("truncate", "badjson")


@dataclass(slots=True)
class _Fault:
    """One injected misbehaviour: an error status (a number of times or always) or a delay."""

    kind: str  # "status" or "slow"
    scope: str | None  # a resource, "frankfurter", or None for every Shop API request
    status: int = 0
    remaining: int | None = None  # None: every matching request
    seconds: float = 0.0


class Faults:
    """Faults to inject, from a spec such as `429:3,500:2,slow:0.5,repeat_page:orders`.

    - `429:N`: the next N requests get 429 Too Many Requests with `Retry-After: 1`;
    - `500:N` (any 5xx): the next N requests fail with that status; `500:always` never heals;
    - `slow:S`: every response waits S seconds first;
    - `repeat_page:R`: the second page of resource R is served twice (its `next_cursor`
      points back at itself once);
    - `truncate:N`: the next N pages are cut in half (the connection closes short of the
      `Content-Length` it announced); `badjson:N`: the next N pages are not valid JSON
      (`always` for every page, `@R` for resource R only);
    - `loop_cursor:R`: from the third page on, every `next_cursor` of resource R points
      back at the second page, so a client that follows it pages forever.

    Status and slow faults apply to every Shop API request, or with `@R` to resource R only
    (`@frankfurter` for the FX endpoints). Status faults fire in the order given. `injected`
    counts what was done, e.g. `{"429": 3, "repeat_page:orders": 1}`.
    """

    def __init__(self, spec: str = "") -> None:
        self.spec = spec.strip()
        self.faults: list[_Fault] = []
        self.repeat: set[str] = set()
        self.loop: set[str] = set()
        self._loop_start: dict[str, str] = {}
        self.injected: Counter[str] = Counter()
        # seconds between each 429 and the next request: a client honouring Retry-After waits
        self.waits_after_429: list[float] = []
        self._last_429: float | None = None
        self._lock = threading.Lock()
        for part in filter(None, (piece.strip() for piece in self.spec.split(","))):
            self._parse(part)

    @classmethod
    def from_env(cls) -> "Faults":
        return cls(os.environ.get(FAULTS_ENV, ""))

    def _parse(self, part: str) -> None:
        invalid = ValueError(
            f"{FAULTS_ENV}: cannot read {part!r}; expected e.g. {FAULTS_EXAMPLE!r}, "
            "optionally scoped as 500:2@orders"
        )
        kind, _, rest = part.partition(":")
        argument, _, scope = rest.partition("@")
        if (scope and scope not in SCOPES) or not argument:
            raise invalid
        try:
            if kind == "repeat_page" and not scope and argument in RESOURCES:
                self.repeat.add(argument)
            elif kind == "loop_cursor" and not scope and argument in RESOURCES:
                self.loop.add(argument)
            elif kind == "slow":
                seconds = float(argument)
                if not 0 <= seconds <= 600:
                    raise invalid
                self.faults.append(_Fault("slow", scope or None, seconds=seconds))
            elif kind in BODY_FAULTS and scope != "frankfurter":
                count = None if argument == "always" else int(argument)
                if count is not None and count < 1:
                    raise invalid
                self.faults.append(_Fault(kind, scope or None, remaining=count))
            elif kind.isdigit() and (int(kind) == 429 or 500 <= int(kind) <= 599):
                HTTPStatus(int(kind))  # a status the server can send
                count = None if argument == "always" else int(argument)
                if count is not None and count < 1:
                    raise invalid
                self.faults.append(_Fault("status", scope or None, int(kind), count))
            else:
                raise invalid
        except ValueError:
            raise invalid from None

    def before(self, scope: str) -> None:
        """Delay or fail the request for `scope` as the faults say (raises ApiError)."""
        delay = 0.0
        failure: _Fault | None = None
        with self._lock:
            if self._last_429 is not None:
                self.waits_after_429.append(time.monotonic() - self._last_429)
                self._last_429 = None
            for fault in self.faults:
                if not self._applies(fault, scope):
                    continue
                if fault.kind == "slow":
                    delay += fault.seconds
                elif fault.kind in BODY_FAULTS:
                    continue
                elif failure is None and fault.remaining != 0:
                    failure = fault
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self.injected[str(fault.status)] += 1
            if delay:
                self.injected["slow"] += 1
        if delay:
            time.sleep(delay)
        if failure is None:
            return
        if failure.status == 429:
            with self._lock:
                self._last_429 = time.monotonic()
            raise ApiError(
                HTTPStatus.TOO_MANY_REQUESTS,
                "rate limit exceeded, retry later",
                headers=(("Retry-After", str(RETRY_AFTER_SECONDS)),),
            )
        raise ApiError(HTTPStatus(failure.status), f"injected fault: {failure.status}")

    def body(self, scope: str) -> str | None:
        """`truncate` or `badjson` when a body fault takes this response, else None."""
        with self._lock:
            for fault in self.faults:
                if (
                    fault.kind in BODY_FAULTS
                    and fault.remaining != 0
                    and self._applies(fault, scope)
                ):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self.injected[fault.kind] += 1
                    return fault.kind
        return None

    @staticmethod
    def _applies(fault: _Fault, scope: str) -> bool:
        if fault.scope is None:
            return scope != "frankfurter"
        return fault.scope == scope

    def next_cursor(
        self, resource: str, requested: str | None, following: str | None
    ) -> str | None:
        """The cursor to hand out: once, a page's own cursor again, so it is served twice;
        or, looping, the second page's cursor again from the third page on."""
        if requested is not None and resource in self.loop:
            with self._lock:
                start = self._loop_start.setdefault(resource, requested)
                if requested != start and following is not None:
                    self.injected[f"loop_cursor:{resource}"] += 1
                    return start
            return following
        if requested is None or resource not in self.repeat:
            return following
        with self._lock:
            if resource not in self.repeat:
                return following
            self.repeat.discard(resource)
            self.injected[f"repeat_page:{resource}"] += 1
        return requested
