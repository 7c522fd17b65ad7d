"""Pages of a resource joined into batches, fetched ahead in a thread.

dlt's cost per item (schema checks, the incremental step, writing) is paid once per table it
is handed, whatever its size, so pages of a thousand records are joined before they become
Arrow tables. The next pages are fetched in a thread meanwhile, so the API serves them while
a batch converts.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ingestion import dlt_seams
from ingestion.pages.reading import record_count

_DONE = object()


class _Prefetcher:
    """A thread reading `pages` into a queue up to `depth` pages ahead; `stop` ends it after
    its page. A page source's exception is kept in `failed` for the consumer to raise."""

    def __init__(self, pages: Iterator[Any], depth: int) -> None:
        self.pages = pages
        self.ahead: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self.stop = threading.Event()
        self.finished = threading.Event()
        self.failed: list[BaseException] = []
        # dlt keys its thread-affine contexts (config, the pipeline) by the thread's name
        self.thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._produce,),
            name=dlt_seams.context_sharing_thread_name("pages"),
            daemon=True,
        )

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for page in self.pages:
                if not self._put(page):
                    return
            self.finished.set()
        except BaseException as error:  # handed to the consumer, which raises it
            self.failed.append(error)
        finally:
            close = getattr(self.pages, "close", None)
            if close is not None:
                close()
            self._put(_DONE)

    def next_item(self) -> Any:
        """The next page, or `_DONE` once the thread has ended."""
        while True:
            try:
                return self.ahead.get(timeout=1.0)
            except queue.Empty:
                if not self.thread.is_alive():
                    return _DONE  # the thread ended without a word: `failed` says why

    def end(self) -> None:
        """Raise what ended the thread, if it did not reach the last page."""
        self.thread.join()
        if self.failed:
            raise self.failed[0]
        if not self.finished.is_set():
            raise RuntimeError("the thread reading the pages stopped before the last page")


def _prefetched(pages: Iterator[Any], depth: int) -> Iterator[Any]:
    """`pages`, read in a thread of their own up to `depth` pages ahead; the thread's
    exception is raised here. Closing this generator stops the thread after its page."""
    prefetcher = _Prefetcher(pages, depth)
    prefetcher.thread.start()
    try:
        while (item := prefetcher.next_item()) is not _DONE:
            yield item
        prefetcher.end()
    finally:
        prefetcher.stop.set()
        prefetcher.thread.join()


def _batches(pages: Iterable[Any], min_rows: int) -> Iterator[Any]:
    """Consecutive pages (lists of records or of `ArrowPage`s) joined into lists of at least
    `min_rows` records, the last one shorter; anything that is not a list passes on by itself,
    in order."""
    batch: list[Any] = []
    rows = 0
    for page in pages:
        if not isinstance(page, list):
            if batch:
                yield batch
                batch, rows = [], 0
            yield page
            continue
        batch.extend(page)
        rows += record_count(page)
        if rows >= min_rows:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def batch_pages(resource: Any, min_rows: int, prefetch: int = 2) -> Any:
    """Feed `resource`'s steps batches of at least `min_rows` records, joined from the pages
    its generator yields, fetched up to `prefetch` pages ahead in a thread (none with 0).

    Call it on a resource already bound to its arguments (as `rest_api_resources` returns
    them): its generator is then a callable without parameters, wrapped here the way dlt's
    own `parallelize` wraps it.
    """
    min_rows, prefetch = int(min_rows), int(prefetch)

    def wrap(make_pages: Callable[[], Any]) -> Callable[[], Iterator[Any]]:
        def batched() -> Iterator[Any]:
            pages = make_pages()
            if prefetch:
                pages = _prefetched(iter(pages), prefetch)
            return _batches(pages, min_rows)

        return batched

    return dlt_seams.wrap_bound_generator(resource, wrap)
