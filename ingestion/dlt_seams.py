"""Every place the ingestion relies on dlt beyond its documented API, in one module.

The rest of `ingestion` uses dlt's public API (`dlt`, `dlt.sources.*`, the pipeline and its
`PipelineStepFailed`) and this module. Each assumption below has a check in `ASSUMPTIONS`;
the ingestion tests run every check against the installed dlt, so an upgrade that breaks one
fails naming it, instead of loading slower, holding whole files in memory or failing with a
vague error. A check raises `SeamBroken`, whose message names the assumption.

- `bound generator`: a resource bound to its arguments (as `rest_api_resources` returns
  them) keeps its generator, a callable without parameters, in `resource._pipe.gen`, and
  `resource._pipe.replace_gen` swaps it, as dlt's own `parallelize` does. `batch_pages`
  wraps the generator to join pages into batches.
- `thread context`: a thread named with `Container.thread_pool_prefix()` sees the
  thread-affine contexts (pipeline state, config sections) of the thread that named it. The
  thread that fetches pages ahead runs a resource's generator, which reads them.
- `postgres parquet copy job`: dlt's PostgreSQL client looks `PostgresParquetCopyJob` up in
  its module (`dlt.destinations.impl.postgres.postgres`) for every Parquet load file, and the
  class offers `_set_catalog_and_schema`, `_connect`, `_file_path` and `load_table_name`.
  `StreamedParquetCopyJob` takes its place to copy each file as a stream.
- `frozen data type error`: a type change under `data_type: freeze` raises
  `DataValidationError` (from `dlt.common.schema.exceptions`) with the table and column,
  whose text reads ``In Table: `t` Column: `c` ``, ``contract_mode=freeze`` and, for a changed
  column, the existing and incoming columns as dicts with their `'data_type'`; for values of
  Python records dlt names a variant column `<column>__v_<new type>` instead. When the error
  reaches the pipeline only as text, `type_change` reads these from the text.
- `response json`: dlt's REST client reads a page's records (`RESTClient.extract_response`)
  and the next cursor (`JSONResponseCursorPaginator`) through `response.json()`, so a
  response hook can hand both the page read once (`hand_parsed_json`).
- `compiled json path`: `dlt.common.jsonpath.compile_path` exists and a compiled path is
  accepted as an endpoint's `data_selector`, so the path is not parsed again for each page.
- `nested table`: `dlt.common.schema.utils.is_nested_table` tells a nested table (one dlt
  made of a list field) from a root table; nested rows are not records of their own.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.parquet as pq
import requests
from dlt.common import jsonpath
from dlt.common.configuration.container import Container
from dlt.common.schema import utils as schema_utils
from dlt.common.schema.exceptions import DataValidationError
from dlt.destinations.impl.postgres import postgres as dlt_postgres

DLT_VERSION = importlib.metadata.version("dlt")


class SeamBroken(RuntimeError):
    """An assumption this module makes about dlt's internals does not hold in the installed
    dlt; the message names it (see the module's docstring)."""

    def __init__(self, assumption: str, detail: str) -> None:
        super().__init__(
            f"dlt {DLT_VERSION} breaks the assumption '{assumption}' of ingestion.dlt_seams:"
            f" {detail}"
        )
        self.assumption = assumption


# -- bound generator ---------------------------------------------------------------------------


def wrap_bound_generator(
    resource: Any, wrap: Callable[[Callable[[], Any]], Callable[[], Any]]
) -> Any:
    """Replace the generator of `resource` (bound to its arguments) by `wrap(generator)`."""
    make_items = resource._pipe.gen
    if not callable(make_items) or inspect.signature(make_items).parameters:
        raise TypeError(f"{resource.name}: the resource's generator is not bound to its data")
    wrapped = functools.wraps(make_items)(wrap(make_items))
    wrapped.__signature__ = inspect.Signature()  # type: ignore[attr-defined]
    resource._pipe.replace_gen(wrapped)
    return resource


# -- thread context ----------------------------------------------------------------------------


def context_sharing_thread_name(suffix: str) -> str:
    """A name for a thread that must see the calling thread's dlt contexts."""
    return Container.thread_pool_prefix() + suffix


# -- postgres parquet copy job -----------------------------------------------------------------

_COPY_JOB_MEMBERS = ("_set_catalog_and_schema", "_connect", "load_table_name")


class StreamedParquetCopyJob(dlt_postgres.PostgresParquetCopyJob):
    """dlt's Parquet copy job for PostgreSQL, reading the file as a stream.

    dlt's own job hands the ADBC driver a Python generator of batches, and the driver turns
    any object that is not an Arrow stream into one table in memory first, so the load step
    held the whole file (1.3 GiB for a 10M-row landing file, 5.4 GiB for a 50M-row one). dlt's
    other mode, one COPY per row group, keeps memory down but took 15-20 % longer. This job
    gives the driver an Arrow stream (`RecordBatchReader`) that decodes the file a row group at
    a time: one COPY, memory of about one row group, in the one transaction dlt's job commits.
    (A stream over `ParquetFile.iter_batches` grew again, to 1.4 GiB for the 50M-row file.)
    """

    def run(self) -> None:
        catalog, schema = self._set_catalog_and_schema()
        target = {"catalog_name": catalog, "db_schema_name": schema}
        with (
            pq.ParquetFile(self._file_path) as parquet,
            self._connect() as connection,
            connection.cursor() as cursor,
        ):
            batches = (
                batch
                for group in range(parquet.num_row_groups)
                for batch in parquet.read_row_group(group).to_batches()
            )
            cursor.adbc_ingest(
                self.load_table_name,
                pa.RecordBatchReader.from_batches(parquet.schema_arrow, batches),
                mode="append",
                **{name: value for name, value in target.items() if value is not None},
            )
            connection.commit()


def stream_parquet_copies() -> None:
    """Make dlt's PostgreSQL client create `StreamedParquetCopyJob`s. If a new dlt moved the
    pieces this relies on, say where to look rather than load with memory that grows with
    the file."""
    if not all(hasattr(dlt_postgres.PostgresParquetCopyJob, name) for name in _COPY_JOB_MEMBERS):
        raise SeamBroken(
            "postgres parquet copy job",
            "dlt's PostgresParquetCopyJob is not a class with"
            f" {', '.join(_COPY_JOB_MEMBERS)}: adapt StreamedParquetCopyJob to this dlt",
        )
    dlt_postgres.PostgresParquetCopyJob = StreamedParquetCopyJob


# -- frozen data type error --------------------------------------------------------------------

_CONTRACT = re.compile(r"In Table: `(?P<table>[^`]+)` Column: `(?P<column>[^`]+)`")
_DATA_TYPE = re.compile(r"'data_type': '(?P<type>\w+)'")
_VARIANT = re.compile(r"(?P<base>.+)__v_(?P<type>\w+)")


@dataclass(frozen=True)
class TypeChange:
    """A column whose data type changed under a frozen contract; None where unknown (a
    variant column does not say the type it varies from: the stored schema does)."""

    table: str
    column: str
    old: str | None
    new: str | None


def type_change(error: BaseException) -> TypeChange | None:
    """The data type change `error` reports, or None if it reports something else."""
    text = str(error)
    if isinstance(error, DataValidationError):
        table, column = error.table_name, error.column_name or ""
    elif "contract_mode=freeze" in text and (match := _CONTRACT.search(text)):
        table, column = match["table"], match["column"]
    else:
        return None
    if "data_type" not in text:
        return None
    variant = _VARIANT.fullmatch(column)
    if variant:  # Python records: dlt would have added `<column>__v_<new type>`
        return TypeChange(table, variant["base"], None, variant["type"])
    # Arrow tables: the message shows the existing and the incoming column
    types = _DATA_TYPE.findall(text)
    if len(types) >= 2:
        return TypeChange(table, column, types[0], types[1])
    return TypeChange(table, column, None, None)


# -- response json, compiled json path, nested table --------------------------------------------


def hand_parsed_json(response: requests.Response, payload: Any) -> None:
    """Make dlt's REST client take `payload` as the response's JSON (records and cursor)."""
    response.json = lambda **_: payload  # type: ignore[method-assign]


def compile_path(path: str) -> Any:
    """A JSONPath compiled once, for an endpoint's `data_selector`."""
    return jsonpath.compile_path(path)


def is_nested_table(table: Any) -> bool:
    """Whether a table of a dlt schema is nested in another (made of a list field)."""
    return bool(schema_utils.is_nested_table(table))


# -- the checks --------------------------------------------------------------------------------


def _check_bound_generator() -> None:
    @dlt.resource(name="probe")
    def probe(limit: int) -> Iterator[int]:
        yield from range(limit)

    def wrap(make_items: Callable[[], Any]) -> Callable[[], Any]:
        def more() -> Iterator[int]:
            yield from make_items()
            yield 99

        return more

    resource = wrap_bound_generator(probe(limit=2), wrap)
    if list(resource) != [0, 1, 99]:
        raise SeamBroken("bound generator", "the replaced generator was not the one iterated")


def _check_thread_context() -> None:
    from dlt.common.pipeline import StateInjectableContext

    container = Container()
    seen: list[Any] = []
    with container.injectable_context(StateInjectableContext(state={"probe": True})) as ours:
        thread = threading.Thread(
            target=lambda: seen.append(container.get(StateInjectableContext)),
            name=context_sharing_thread_name("probe"),
        )
        thread.start()
        thread.join()
    if not seen or seen[0] is not ours:
        raise SeamBroken("thread context", "a thread so named does not see its creator's state")


def _check_parquet_copy_job() -> None:
    job_class = dlt_postgres.PostgresParquetCopyJob  # dlt's, or ours once in place
    missing = [name for name in _COPY_JOB_MEMBERS if not hasattr(job_class, name)]
    if missing:
        raise SeamBroken(
            "postgres parquet copy job",
            f"PostgresParquetCopyJob lacks {', '.join(missing)}: adapt StreamedParquetCopyJob",
        )
    job = StreamedParquetCopyJob("load/probe_table.0123456789.0.parquet")
    if not getattr(job, "_file_path", "").endswith(".parquet"):
        raise SeamBroken("postgres parquet copy job", "a job no longer keeps `_file_path`")
    looked_up = dlt_postgres.PostgresClient.create_load_job.__code__.co_names
    if "PostgresParquetCopyJob" not in looked_up:
        raise SeamBroken(
            "postgres parquet copy job",
            "PostgresClient.create_load_job no longer looks PostgresParquetCopyJob up in its"
            " module, so replacing it there has no effect",
        )


def _frozen_type_errors() -> dict[TypeChange, DataValidationError]:
    """The errors dlt raises for a changed column and for a variant column, by what they
    should be read as."""
    from dlt.common.schema import Schema
    from dlt.common.typing import VARIANT_FIELD_FORMAT

    schema = Schema("probe")
    column = {"name": "amount", "data_type": "bigint", "nullable": True}
    schema.update_table(schema_utils.new_table("sales", columns=[column]))
    schema.tables["sales"]["x-normalizer"] = {"seen-data": True}
    contract: Any = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}
    variant = schema.naming.shorten_fragments("amount", VARIANT_FIELD_FORMAT % "text")
    incoming = {
        TypeChange("sales", "amount", "bigint", "text"): {**column, "data_type": "text"},
        TypeChange("sales", "amount", None, "text"): {
            "name": variant,
            "data_type": "text",
            "variant": True,
            "nullable": True,
        },
    }
    errors: dict[TypeChange, DataValidationError] = {}
    for expected, changed in incoming.items():
        try:
            schema.apply_schema_contract(
                contract, {"name": "sales", "columns": {changed["name"]: changed}}
            )
        except DataValidationError as error:
            errors[expected] = error
    return errors


def _check_frozen_data_type_error() -> None:
    errors = _frozen_type_errors()
    if len(errors) != 2:
        raise SeamBroken("frozen data type error", "a type change no longer raises")
    for expected, error in errors.items():
        for form in (error, RuntimeError(str(error))):
            if type_change(form) != expected:
                raise SeamBroken(
                    "frozen data type error",
                    f"read {type_change(form)} instead of {expected} from: {form}",
                )


def _probe_response(payload: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = payload
    response.headers["Content-Type"] = "application/json"
    return response


def _check_response_json() -> None:
    from dlt.sources.helpers.rest_client import RESTClient
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    response = _probe_response(b'{"data": [1], "next_cursor": "from-the-body"}')
    hand_parsed_json(response, {"data": [2], "next_cursor": "from-the-hook"})
    records = RESTClient(base_url="http://127.0.0.1/").extract_response(response, "data")
    paginator = JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor")
    paginator.update_state(response, records)
    request = requests.Request("GET", "http://127.0.0.1/probe")
    paginator.update_request(request)
    if records != [2] or request.params.get("cursor") != "from-the-hook":
        raise SeamBroken(
            "response json", "the REST client reads the body again instead of response.json()"
        )


def _check_compiled_json_path() -> None:
    from dlt.sources.helpers.rest_client import RESTClient

    response = _probe_response(b'{"data": [3]}')
    records = RESTClient(base_url="http://127.0.0.1/").extract_response(
        response, compile_path("data")
    )
    if records != [3]:
        raise SeamBroken("compiled json path", f"a compiled data_selector selected {records!r}")


def _check_nested_table() -> None:
    nested = {"name": "orders__notes", "parent": "orders", "columns": {}}
    if not is_nested_table(nested) or is_nested_table({"name": "orders", "columns": {}}):
        raise SeamBroken("nested table", "is_nested_table no longer tells nested tables apart")


ASSUMPTIONS: dict[str, Callable[[], None]] = {
    "bound generator": _check_bound_generator,
    "thread context": _check_thread_context,
    "postgres parquet copy job": _check_parquet_copy_job,
    "frozen data type error": _check_frozen_data_type_error,
    "response json": _check_response_json,
    "compiled json path": _check_compiled_json_path,
    "nested table": _check_nested_table,
}


def check(name: str) -> None:
    """Check one assumption against the installed dlt; SeamBroken names it if it fails."""
    try:
        ASSUMPTIONS[name]()
    except SeamBroken:
        raise
    except Exception as error:  # a moved or renamed piece: name the assumption it breaks
        raise SeamBroken(name, f"{type(error).__name__}: {error}") from error
