"""API pages as Arrow tables: the fast path from a REST API into PostgreSQL.

Arrow tables skip dlt's per-row normalizer and load as files; for Python dicts that
normalizer costs many times the load itself. Three steps and the paginator, one module each:

- `reading`: the thread that fetches a page reads its JSON body with Arrow's JSON reader
  (`read_page`), the model's wire types declared, so records never become Python objects
  unless a page needs the record-by-record check;
- `batching`: `batch_pages` joins the pages of a resource into batches (dlt's cost is per
  item it is handed, not per row) and fetches the next pages in a thread meanwhile;
- `tables`: the resource step `ArrowPages` checks each batch against its model and turns it
  into Arrow tables, one more per nested list (an order's line items). It sits before the
  incremental step, which reads the cursor column of the tables;
- `paging`: `GuardedCursorPaginator`, dlt's cursor paginator stopping at a cursor seen
  before or at a page limit, so a looping API fails the run instead of running forever.
"""

from ingestion.pages.batching import batch_pages
from ingestion.pages.paging import GuardedCursorPaginator, PaginationStopped
from ingestion.pages.reading import ArrowPage, page_schema, read_page
from ingestion.pages.tables import ArrowPages, Nested

__all__ = [
    "ArrowPage",
    "ArrowPages",
    "GuardedCursorPaginator",
    "Nested",
    "PaginationStopped",
    "batch_pages",
    "page_schema",
    "read_page",
]
