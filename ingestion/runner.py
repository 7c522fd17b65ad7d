"""How one pipeline run of a source is carried out (`run_source`).

A run first finishes any load package a crashed run left behind, then extracts, normalizes
and loads new data. It fails with one line when:

- a step fails for good (an API still failing after its retries, a body cut short or not
  JSON, an unreachable database): the line names the resource and the URL when the error
  itself does not; nothing of the run is committed as a completed load and the incremental
  cursors stay where the last completed load left them;
- a column changes type (the data-type contract is frozen): the line names table, column,
  old and new type, and the run's package is aborted so the next run starts from the last
  completed load again;
- more than `sources.<name>.max_rejected_share` of the run's records were rejected, or a
  file was rejected whole: the good rows and the rejects are loaded first, then the run
  turns red.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.extract.exceptions import PipeException
from dlt.pipeline.exceptions import PipelineStepFailed

from dataops.core.errors import DataOpsError, UsageError, first_line
from dataops.core.paths import state_dir
from dataops.core.warehouse import WarehouseSettings
from ingestion import dlt_seams
from ingestion.quarantine import REJECTED_TABLE, whole_files

DEFAULT_MAX_REJECTED_SHARE = 0.01


@dataclass(frozen=True)
class Source:
    """A source the CLI can run: its name (the raw schema becomes `raw_<name>`), the dlt
    source function, and the load-file format its data travels in."""

    name: str
    factory: Callable[..., Any]
    loader_file_format: str | None = None
    # True when each table is a resource of its own, so a run may load only some of them
    # (`run_source(tables=...)`); a source whose tables come from one resource (an API's
    # order lines come with its orders) always loads whole
    tables_selectable: bool = False

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"


class IngestionFailed(DataOpsError):
    """A pipeline step failed; the message names the source and the step."""


class TooManyRejects(IngestionFailed):
    """The run loaded, but rejected more of its records than the source allows."""

    # the good rows and the rejects are loaded: the same run again loads nothing and passes
    retryable = False


class InvalidSetting(IngestionFailed):
    """A source's setting has a value it cannot have."""

    retryable = False


def make_pipeline(source: Source, settings: WarehouseSettings) -> dlt.Pipeline:
    dlt_seams.stream_parquet_copies()
    return dlt.pipeline(
        pipeline_name=source.name,
        destination=dlt.destinations.postgres(credentials=settings.url()),
        dataset_name=source.dataset,
        pipelines_dir=str(state_dir() / "dlt" / "pipelines"),
    )


def max_rejected_share(source: Source) -> float:
    """`sources.<name>.max_rejected_share` from dlt config or the environment (default 1 %)."""
    key = f"sources.{source.name}.max_rejected_share"
    value = dlt.config.get(key)
    if value is None:
        return DEFAULT_MAX_REJECTED_SHARE
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise InvalidSetting(f"{key} must be a number from 0 to 1, got {value!r}")
    return share


def run_source(
    source: Source,
    settings: WarehouseSettings,
    *,
    tables: Sequence[str] = (),
    **overrides: Any,
) -> dict[str, int]:
    """Load one source into its raw schema; returns rows loaded per table (and rejects).

    `tables` names the only tables to load, for a source whose tables are selectable (the
    others, and a source that is not, load whole). `overrides` are arguments of the source
    function (an endpoint, a page size)."""
    limit = max_rejected_share(source)
    pipeline = make_pipeline(source, settings)
    try:
        if pipeline.has_pending_data:
            _finish_pending(pipeline)
        info = pipeline.run(
            _selected(source, tables, overrides), loader_file_format=source.loader_file_format
        )
        info.raise_on_failed_jobs()
    except PipelineStepFailed as exc:
        raise _failure(source, pipeline, exc) from None
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    loaded = {
        table: rows
        for table, rows in sorted(counts.items())
        if not table.startswith("_dlt") and not table.endswith("_files") and table != REJECTED_TABLE
    }
    rejected = _rejected_in(pipeline, info.loads_ids)
    if rejected:
        loaded[REJECTED_TABLE] = rejected
    _check_rejected_share(source, pipeline, loaded, rejected, limit, info.loads_ids)
    if rejected:
        _check_whole_files(source, pipeline, info.loads_ids)
    return loaded


def _selected(source: Source, tables: Sequence[str], overrides: dict[str, Any]) -> Any:
    """The dlt source, narrowed to `tables` when it can be: dlt keeps the incremental state of
    each resource apart, so the tables left out are read from where they stopped next time."""
    loaded = source.factory(**overrides)
    if not tables or not source.tables_selectable:
        return loaded
    unknown = sorted(set(tables) - set(loaded.resources))
    if unknown:
        raise UsageError(
            f"{source.name}: no table {', '.join(unknown)}; choose from"
            f" {', '.join(sorted(loaded.resources))}"
        )
    return loaded.with_resources(*tables)


def _finish_pending(pipeline: dlt.Pipeline) -> None:
    """A crashed run left a package: finish it (run() would otherwise skip new data).

    If it cannot be finished (a job that committed just before the crash is replayed and
    collides with itself), abort it: dlt rewinds the state to the last completed load, so the
    run that follows extracts the same records again, and staging never reads the rows of a
    load that did not complete.
    """
    try:
        pipeline.run()
    except PipelineStepFailed as exc:
        if exc.step != "load":
            raise
        pipeline.abort_packages()


def _rejected_in(pipeline: dlt.Pipeline, load_ids: list[str]) -> int:
    """Rows of `_rejected_rows` written by these loads (markers are never stored)."""
    if not load_ids or REJECTED_TABLE not in pipeline.default_schema.tables:
        return 0
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(REJECTED_TABLE)
        rows = client.execute_sql(
            f"select count(*) from {table} where _dlt_load_id = any(%s)",  # noqa: S608
            list(load_ids),
        )
    return int(rows[0][0]) if rows else 0


def _check_rejected_share(
    source: Source,
    pipeline: dlt.Pipeline,
    loaded: dict[str, int],
    rejected: int,
    limit: float,
    load_ids: list[str],
) -> None:
    if not rejected:
        return
    tables = pipeline.default_schema.tables
    roots = {
        name
        for name, table in tables.items()
        if name != REJECTED_TABLE and not dlt_seams.is_nested_table(table)
    }
    good = sum(rows for table, rows in loaded.items() if table in roots)
    share = rejected / (good + rejected)
    if share > limit:
        raise TooManyRejects(
            f"{source.name}: {rejected:,} of {good + rejected:,} records rejected ({share:.1%}),"
            f" above sources.{source.name}.max_rejected_share {limit:.1%}; the good rows are"
            f" loaded, the rejects are in {source.dataset}.{REJECTED_TABLE}"
            f" (load {', '.join(load_ids)})"
        )


def _check_whole_files(source: Source, pipeline: dlt.Pipeline, load_ids: list[str]) -> None:
    """Any file rejected whole turns the run red, whatever the share: its records are not
    counted (often they cannot be), so the share alone could hide a file that never loaded."""
    files = whole_files(pipeline, load_ids)
    if files:
        named = "; ".join(f"{origin} ({error})" for origin, error in files)
        raise TooManyRejects(
            f"{source.name}: {len(files)} file(s) rejected whole: {named}; the other rows are"
            f" loaded, the rejects are in {source.dataset}.{REJECTED_TABLE}"
            f" (load {', '.join(load_ids)})"
        )


def _failure(source: Source, pipeline: dlt.Pipeline, exc: PipelineStepFailed) -> IngestionFailed:
    """One line for a failed step; after a contract violation, drop the run's package."""
    drift = _type_change(pipeline, exc)
    if drift is not None or exc.step == "normalize":
        # the package can never load as it is: abort it and restore the state it started from
        try:
            pipeline.abort_packages()
        except Exception as abort_error:  # the message below still says what to fix
            return IngestionFailed(
                f"{source.name}: {drift or exc.step + ' step failed'}; could not abort the"
                f" pending package ({abort_error}): run `dlt pipeline {source.name} abort-packages`"
            )
    if drift is not None:
        return IngestionFailed(
            f"{source.name}: {drift}; nothing was loaded. Fix the source, or migrate the raw"
            " column to the new type, then run again"
        )
    cause = _root_cause(exc)
    reason = first_line(cause) + _location(exc, first_line(cause))
    return IngestionFailed(
        f"{source.name}: {exc.step} step failed: {reason}; no load was completed, the next run"
        " starts from the last completed load"
    )


def _location(exc: BaseException, reason: str) -> str:
    """` (resource r, URL)` for what the reason does not name already: the resource whose
    extraction failed (dlt's pipe name) and the URL of the request that failed. A timeout,
    a cut body or a page that is not JSON say neither by themselves."""
    chain = _chain(exc)
    resource = next((e.pipe_name for e in chain if isinstance(e, PipeException)), None)
    url = next(filter(None, (_request_url(e) for e in chain)), None)
    parts = []
    if resource and f"resource {resource}" not in reason:
        parts.append(f"resource {resource}")
    if url and url.split("?")[0] not in reason:
        parts.append(url)
    return f" ({', '.join(parts)})" if parts else ""


def _request_url(error: BaseException) -> str | None:
    """The URL of the request an error of requests (or one that carries it) is about."""
    for holder in (getattr(error, "request", None), getattr(error, "response", None)):
        url = getattr(holder, "url", None)
        if isinstance(url, str) and url:
            return url
    return None


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    cause: BaseException = exc
    while id(cause) not in seen:
        seen.add(id(cause))
        inner = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
        if not isinstance(inner, BaseException):
            break
        cause = inner
    return cause


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend(
            [getattr(current, "exception", None), current.__cause__, current.__context__]
        )
    return [item for item in found if isinstance(item, BaseException)]


def _type_change(pipeline: dlt.Pipeline, exc: PipelineStepFailed) -> str | None:
    """'table t, column c changed type from old to new', when a frozen data type broke."""
    for error in _chain(exc):
        change = dlt_seams.type_change(error)
        if change is None:
            continue
        old = change.old or _stored_type(pipeline, change.table, change.column) or "?"
        return (
            f"table {pipeline.dataset_name}.{change.table}, column {change.column}:"
            f" type changed from {old} to {change.new or '?'}"
        )
    return None


def _stored_type(pipeline: dlt.Pipeline, table: str, column: str) -> str | None:
    stored = pipeline.default_schema.tables.get(table, {}).get("columns", {}).get(column, {})
    return stored.get("data_type")
