"""Cursor pagination that always ends: a cursor seen before, or too many pages, stops the run.

dlt's `JSONResponseCursorPaginator` follows `next_cursor` for as long as the API hands one
out, so an API whose cursor loops back to an earlier page is requested forever, with no
output. `GuardedCursorPaginator` is that paginator (its cursor reading and request update
are dlt's) plus two checks after each page: the next cursor must not be one this resource
has already requested in the run, and the resource must not take more than `max_pages`
pages. Either raises `PaginationStopped`, naming the resource and the cursor, which fails the
extract step: nothing of the run is loaded and the incremental cursors stay where the last
completed load left them (`ingestion.runner`).
"""

from collections.abc import Callable, Iterator
from typing import Any

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Request, RequestException, Response

from ingestion import dlt_seams

DEFAULT_MAX_PAGES = 100_000


class PaginationStopped(Exception):
    """Pagination that would not end: a cursor seen before, or more pages than allowed."""


class GuardedCursorPaginator(JSONResponseCursorPaginator):
    """dlt's cursor paginator for one resource, stopping at a revisited cursor or at
    `max_pages` pages (a setting of the source, so an API that never stops paging fails)."""

    def __init__(
        self,
        resource: str,
        url: str,
        max_pages: int = DEFAULT_MAX_PAGES,
        setting: str = "max_pages",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {max_pages!r}")
        self.resource = resource
        self.url = url
        self.max_pages = max_pages
        self.setting = setting
        self.pages = 0
        self.requested: set[str] = set()
        self.request: Request | None = None

    def init_request(self, request: Request) -> None:
        """A new run of the resource: forget the cursors of any earlier one."""
        self.pages = 0
        self.requested = set()
        self.request = request
        super().init_request(request)

    def update_request(self, request: Request) -> None:
        super().update_request(request)
        self.request = request

    def page_url(self) -> str:
        """The URL of the page being requested (its query included)."""
        if self.request is None:
            return self.url
        return Request("GET", self.request.url, params=self.request.params).prepare().url or ""

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        self.pages += 1
        cursor = self._next_reference
        if cursor is None:
            return
        cursor = str(cursor)
        if cursor in self.requested:
            raise PaginationStopped(
                f"resource {self.resource} ({self.url}): next_cursor {cursor!r} was already"
                f" requested in this run (page {self.pages} points back to an earlier page);"
                " stopped paging, nothing of the run is loaded"
            )
        if self.pages >= self.max_pages:
            raise PaginationStopped(
                f"resource {self.resource} ({self.url}): more than {self.max_pages:,} pages"
                f" ({self.setting}), next_cursor {cursor!r}; stopped paging, nothing of the run is"
                " loaded"
            )
        self.requested.add(cursor)


def name_failed_requests(resource: Any, paginator: GuardedCursorPaginator) -> Any:
    """Give a request error that names no request (a body cut short: requests raises
    `ChunkedEncodingError` without one) the URL of the page being read, so the run's error
    line says which URL failed. Call it before `batch_pages`, which reads in a thread."""

    def wrap(make_pages: Callable[[], Any]) -> Callable[[], Iterator[Any]]:
        def pages() -> Iterator[Any]:
            try:
                yield from make_pages()
            except RequestException as error:
                if error.request is None and error.response is None:
                    error.request = Request("GET", paginator.page_url()).prepare()
                raise

        return pages

    return dlt_seams.wrap_bound_generator(resource, wrap)
