"""The demo Shop API: the generated shop's SQLite state served as JSON over real HTTP.

The command line: `python -m demo.api` serves the demo shop in the foreground until
interrupted.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from demo.api.faults import FAULTS_ENV, FAULTS_EXAMPLE, Faults
from demo.api.server import DEFAULT_TOKEN, make_server
from demo.generator import DB_FILENAME


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m demo.api`: serve the demo shop in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m demo.api", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".local/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--faults",
        default=os.environ.get(FAULTS_ENV, ""),
        help=f"faults to inject, e.g. {FAULTS_EXAMPLE!r} (default: ${FAULTS_ENV})",
    )
    args = parser.parse_args(argv)
    try:
        faults = Faults(args.faults)
        server = make_server(args.state_dir, args.host, args.port, args.token, faults)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    if not (args.state_dir / DB_FILENAME).is_file():
        print(
            f"warning: no demo data in {args.state_dir} yet (503s until generated)",
            file=sys.stderr,
        )
    print(f"demo Shop API on http://{args.host}:{server.server_address[1]}", file=sys.stderr)
    with server, suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
