"""The pipeline as a library: generate, ingest, freshness, transform and run as typed
functions, each recording its run in the history (`dataops.observability`).

The command line, the production deploy and an orchestrator call these; none of them knows how
a step is carried out. A step called on its own records one `pipeline_runs` row (and sends the
alert for what failed); a step called inside another (`run` calling `ingest`) is part of that
run's row. The rows of one process share a run id (`observability.run_id`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from dataops import dbt as dbt_runner
from dataops import observability, roles
from dataops.core.console import say
from dataops.core.errors import DataOpsError, UsageError
from dataops.core.paths import dbt_target_dir, demo_dir
from dataops.core.warehouse import WarehouseSettings, resolve

DEMO_TOKEN = "demo-token"  # noqa: S105 - the demo API's public token, not a secret

_RECORDING: ContextVar[bool] = ContextVar("recording", default=False)


@dataclass(frozen=True)
class DemoSize:
    """How much of the demo business to generate."""

    days: int = 365
    orders: int = 20_000
    seed: int = 42


# -- run history ------------------------------------------------------------------------------


@contextlib.contextmanager
def recorded(command: str, settings: WarehouseSettings) -> Iterator[None]:
    """Record the block as one pipeline run and alert on what failed; inside another recorded
    block it is part of that run and records nothing of its own."""
    if _RECORDING.get():
        yield
        return
    settings.check()
    observability.ensure_tables(settings)
    started = observability.utcnow()
    token = _RECORDING.set(True)
    try:
        yield
    except DataOpsError as exc:
        row = observability.pipeline_run_row(command, started, "failed", str(exc))
        record_history(settings, "pipeline_runs", [row])
        _alert(settings)
        raise
    finally:
        _RECORDING.reset(token)
    row = observability.pipeline_run_row(command, started, "success")
    record_history(settings, "pipeline_runs", [row])
    _alert(settings)


def record_history(settings: WarehouseSettings, table: str, rows: list[dict]) -> None:
    """Append to the run history; a failure to record warns but never hides the run's result."""
    try:
        observability.load(settings, table, rows)
    except Exception as exc:  # the history is secondary to the run it describes
        say(f"warning: could not record {table} in the run history: {exc}")


def _alert(settings: WarehouseSettings) -> None:
    from dataops import alerts

    try:
        sent = alerts.send(settings, observability.run_id())
    except Exception as exc:  # an alert that cannot be sent must not change the run's result
        say(f"warning: could not send the alert: {exc}")
        return
    if sent:
        say(f"alert sent: {len(sent)} problem(s)")


# -- demo business ----------------------------------------------------------------------------


def generate(size: DemoSize = DemoSize()) -> str:
    """Advance the demo business to `size.days` days; returns its one-line summary."""
    from demo.generator import generate as generate_demo

    say(f"generating the demo business: {size.days} days, ~{size.orders:,} orders/year")
    summary = generate_demo(
        demo_dir(), days=size.days, orders=size.orders, seed=size.seed, progress=say
    )
    say(f"demo business ready: {summary}")
    return summary


@contextlib.contextmanager
def demo_endpoints(needed: Sequence[str]) -> Iterator[dict[str, dict[str, str]]]:
    """Arguments for each source not configured to a real endpoint, served from the demo.

    A source whose endpoint is set in dlt config or the environment gets nothing here and
    reads the real endpoint.
    """
    import dlt

    def configured(key: str) -> bool:
        return dlt.config.get(key) is not None

    overrides: dict[str, dict[str, str]] = {}
    need_api = [
        name
        for name in ("shop", "ecb")
        if name in needed and not configured(f"sources.{name}.base_url")
    ]
    if "landing" in needed and not configured("sources.landing.bucket_url"):
        landing = demo_dir() / "landing"
        _require_demo_data()
        overrides["landing"] = {"bucket_url": landing.as_uri()}
        say(f"landing: no bucket_url configured, reading the demo landing folder {landing}")
    if not need_api:
        yield overrides
        return
    _require_demo_data()
    from demo.api import serve_in_thread

    with serve_in_thread(demo_dir(), token=DEMO_TOKEN) as base_url:
        for name in need_api:
            say(f"{name}: no base_url configured, using the demo API at {base_url}")
        if "shop" in need_api:
            overrides["shop"] = {"base_url": base_url, "api_token": DEMO_TOKEN}
        if "ecb" in need_api:
            overrides["ecb"] = {"base_url": f"{base_url}/frankfurter"}
        yield overrides


def _require_demo_data() -> None:
    if not (demo_dir() / "shop.sqlite").exists():
        raise DataOpsError(
            "no demo data yet: run `dataops generate` first, or configure the sources' "
            "endpoints (see docs/sources.md)"
        )


# -- ingestion --------------------------------------------------------------------------------


def source_names() -> list[str]:
    """Every source the registry knows, in loading order."""
    from ingestion.registry import SOURCES

    return list(SOURCES)


def checked_sources(requested: Sequence[str]) -> list[str]:
    """The sources to load: all of them, or the ones named, which must exist."""
    known = source_names()
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise UsageError(f"unknown source {', '.join(unknown)}; choose from {', '.join(known)}")
    return list(requested) or known


def ingest(
    sources: Sequence[str] = (),
    *,
    tables: Sequence[str] = (),
    settings: WarehouseSettings | None = None,
) -> dict[str, dict[str, int]]:
    """Load the named sources (all when none) into their `raw_<source>` schemas.

    `tables` narrows the load of a source whose tables are selectable (the landing files,
    `Source.tables_selectable`) to those tables; other sources load whole. One source's
    failure does not keep the others from loading; the run still fails, naming every source
    that failed. Returns the rows loaded per table of each source.
    """
    names = checked_sources(sources)  # usage errors first, before any connection
    settings = settings or resolve()
    with recorded("ingest", settings):
        return _ingest(names, settings, tuple(tables))


def _ingest(
    names: list[str], settings: WarehouseSettings, tables: tuple[str, ...] = ()
) -> dict[str, dict[str, int]]:
    settings.check()
    loader = roles.for_step(settings, "loader")  # dlt loads as the loader; the owner records
    failures: list[DataOpsError] = []
    loaded: dict[str, dict[str, int]] = {}
    with demo_endpoints(names) as overrides:
        for name in names:
            try:
                loaded[name] = _ingest_source(
                    name, settings, loader, overrides.get(name, {}), tables
                )
            except DataOpsError as exc:
                failures.append(exc)  # one source's failure must not keep the others from loading
                if len(names) > 1:
                    say(f"{name}: failed: {exc}")
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise DataOpsError(
            f"{len(failures)} sources failed, the others loaded: "
            + " | ".join(str(failure) for failure in failures)
        )
    return loaded


def _ingest_source(
    name: str,
    settings: WarehouseSettings,
    loader: WarehouseSettings,
    overrides: dict[str, str],
    tables: tuple[str, ...] = (),
) -> dict[str, int]:
    from ingestion.registry import SOURCES, run_source

    say(f"{name}: loading into raw_{name} ...")
    started = observability.utcnow()
    try:
        counts = run_source(SOURCES[name], loader, tables=tables, **overrides)
    except DataOpsError as exc:
        rows = observability.ingestion_rows(
            name, {}, {}, started, None, status="failed", error=str(exc)
        )
        record_history(settings, "ingestion_tables", rows)
        raise
    tables = {table: rows for table, rows in counts.items() if table != "_rejected_rows"}
    rejects = rejects_since(loader, name, started) if counts.get("_rejected_rows") else Rejects()
    rows = observability.ingestion_rows(name, tables, rejects.per_table(), started, None)
    record_history(settings, "ingestion_tables", rows)
    analyze_schema(loader, f"raw_{name}")
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items()) or "no new rows"
    if rejects.counts:
        summary += "; rejected: " + rejects.by_origin()
    elapsed = (observability.utcnow() - started).total_seconds()
    say(f"{name}: done in {elapsed:.1f}s ({summary})")
    return counts


@dataclass(frozen=True)
class Rejects:
    """The records the loads of a source quarantined since a moment: (table, origin) -> rows,
    where the origin is the file or endpoint (the table when a reject names none)."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def per_table(self) -> dict[str, int]:
        """Rows quarantined per raw table (the run history's `rows_rejected`)."""
        tables: dict[str, int] = {}
        for (table, _), rows in self.counts.items():
            tables[table] = tables.get(table, 0) + rows
        return tables

    def by_origin(self, shown: int = 3) -> str:
        """The `shown` files or endpoints with the most rejects, then "and N more", so the
        summary line says what to fix and stays one line."""
        per_origin: dict[str, int] = {}
        for (_, origin), rows in self.counts.items():  # in the origins' order (collation)
            per_origin[origin] = per_origin.get(origin, 0) + rows
        ranked = sorted(per_origin.items(), key=lambda item: -item[1])  # stable: ties by name
        text = ", ".join(f"{origin} {rows:,}" for origin, rows in ranked[:shown])
        if len(ranked) > shown:
            text += f" and {len(ranked) - shown:,} more"
        return text


def rejects_since(settings: WarehouseSettings, source: str, started: object) -> Rejects:
    """What the loads of `source` completed since `started` quarantined, per table and origin:
    one query, read once per load with rejects, for the history and the summary line."""
    from psycopg2 import sql

    schema = sql.Identifier(f"raw_{source}")
    statement = sql.SQL(
        "select rejected.table_name, coalesce(rejected.origin, rejected.table_name), count(*)"
        " from {}._rejected_rows as rejected"
        " join {}._dlt_loads as loads on rejected._dlt_load_id = loads.load_id"
        " where loads.inserted_at >= %s and rejected._is_marker is not true"
        " group by 1, 2 order by 2, 1"
    ).format(schema, schema)
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(statement, (started,))
        return Rejects(
            {(str(table), str(origin)): int(rows) for table, origin, rows in cursor.fetchall()}
        )


def analyze_schema(settings: WarehouseSettings, schema: str) -> None:
    """Refresh the planner's statistics of a raw schema right after a load.

    Autovacuum gets there eventually; until it does, the staging views' filter on dlt's small
    `_dlt_loads` table is estimated so badly that joins over them take minutes instead of
    fractions of a second.
    """
    from psycopg2 import sql

    with settings.session(autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("select tablename from pg_tables where schemaname = %s", (schema,))
        for (table,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("analyze {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            )


# -- dbt --------------------------------------------------------------------------------------


def dbt(
    arguments: Sequence[str], *, check: bool = True, settings: WarehouseSettings | None = None
) -> int:
    """Run any dbt command in the repository against the warehouse; its exit code."""
    settings = settings or resolve()
    settings.check()
    observability.ensure_tables(settings)  # the run-history sources exist before models read them
    env = dbt_runner.environment(settings)  # as the transformer
    if check:
        dbt_runner.checked(arguments, env)
        return 0
    return dbt_runner.run(arguments, env).returncode


def transform(
    select: Sequence[str] = (),
    *,
    full_refresh: bool = False,
    dbt_args: Sequence[str] = (),
    settings: WarehouseSettings | None = None,
) -> None:
    """`dbt build` for production (unit tests excluded), of everything or of `select`;
    every node it ran is recorded."""
    settings = settings or resolve()
    arguments = ["build", *dbt_runner.PRODUCTION_BUILD_EXCLUDES]
    arguments += ["--select", *select] if select else []
    arguments += ["--full-refresh"] if full_refresh else []
    with recorded("transform", settings):
        say("dbt build ...")
        try:
            dbt([*arguments, *dbt_args], settings=settings)
        finally:
            rows = observability.dbt_node_rows(dbt_target_dir(), "build")
            record_history(settings, "dbt_nodes", rows)
        say("dbt build passed")


def freshness(*, settings: WarehouseSettings | None = None) -> list[str]:
    """`dbt source freshness`, recorded. Stale sources past their error limit fail it with
    their names; returns the sources past their warning limit only."""
    settings = settings or resolve()
    with recorded("freshness", settings):
        say("dbt source freshness ...")
        target = dbt_target_dir()
        (target / "sources.json").unlink(missing_ok=True)
        code = dbt(["source", "freshness"], check=False, settings=settings)
        rows = observability.freshness_rows(target)
        record_history(settings, "source_freshness", rows)
        stale = sorted(
            f"{row['source_name']}.{row['table_name']}" for row in rows if row["status"] != "pass"
        )
        if code != 0:
            detail = f": {', '.join(stale)}" if stale else "; see the log above"
            raise DataOpsError(f"source freshness failed{detail}")
        if stale:
            say(f"source freshness warnings: {', '.join(stale)}")
        say("sources are fresh")
        return stale


def docs_generate(*, static: bool = False, settings: WarehouseSettings | None = None) -> None:
    """`dbt docs generate`: the documentation site, with every relation's real columns."""
    dbt(["docs", "generate", *(["--static"] if static else [])], settings=settings)


# -- whole pipeline ---------------------------------------------------------------------------


def run(demo: DemoSize | None = DemoSize(), *, settings: WarehouseSettings | None = None) -> None:
    """Generate (demo data only), ingest, check freshness, transform: one recorded run.

    A stale source does not stop the build; the run still fails at the end, naming it.
    """
    settings = settings or resolve()
    stale: list[DataOpsError] = []

    def checked_freshness() -> Any:
        try:
            return freshness(settings=settings)
        except DataOpsError as exc:  # build anyway; the run still ends red below
            stale.append(exc)
            say(f"warning: {exc}; building anyway")
            return None

    steps: list[tuple[str, Callable[[], Any]]] = []
    if demo is not None:
        steps.append(("generate", lambda: generate(demo)))
    steps.append(("ingest", lambda: ingest(settings=settings)))
    steps.append(("source freshness", checked_freshness))
    steps.append(("transform", lambda: transform(settings=settings)))
    with recorded("run", settings):
        for name, step in steps:
            say(f"== {name}")
            step()
        if stale:
            raise stale[0]
        say("pipeline complete")
