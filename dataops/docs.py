"""`dataops docs`: build dbt's documentation site and serve it.

`dbt docs generate` writes the site (index.html, manifest.json, catalog.json with every
relation's real columns, read from the warehouse) into dbt's target folder; a small static
file server then serves that folder, bound to the loopback interface by default, until
Ctrl+C. `--no-generate` serves the site of the last generate as it is.
"""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.paths import dbt_target_dir
from dataops.core.warehouse import port_is_free

SITE_FILES = ("index.html", "manifest.json", "catalog.json")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(folder: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """A server for `folder` on host:port; the caller runs `serve_forever` and shuts it down."""
    missing = [name for name in SITE_FILES if not (folder / name).exists()]
    if missing:
        raise DataOpsError(
            f"no docs site in {folder} ({', '.join(missing)} missing); run `dataops docs`"
            " without --no-generate"
        )
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)


def cmd_docs(args: argparse.Namespace) -> int:
    from dataops.core.console import say
    from dataops.pipeline import dbt

    if not port_is_free(args.port, args.host):
        raise DataOpsError(
            f"port {args.port} on {args.host} is already in use; choose another with --port"
        )
    if not args.no_generate:
        say("dbt docs generate ...")
        dbt(["docs", "generate"])
    server = serve(dbt_target_dir(), args.host, args.port)
    url = f"http://{args.host}:{args.port}"
    say(f"dbt docs at {url} (Ctrl+C to stop)")
    print(url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """`dataops docs`: one line in the CLI's parser."""
    parser = sub.add_parser("docs", help="generate dbt's documentation site and serve it")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="default 8080")
    parser.add_argument(
        "--no-generate", action="store_true", help="serve the last generated site as it is"
    )
    parser.set_defaults(func=cmd_docs)
