"""`python -m orchestration [--host H] [--port P]`: Dagster's webserver and daemon over
`orchestration.definitions`, with the project's instance (`orchestration.instance`).

`dataops orchestrate` runs this after checking the port and resolving the warehouse (nothing of
`dataops` imports this package). It prepares the instance in the warehouse the environment
names, then becomes `dagster dev`: Dagster's maintained way to run `dagster-webserver` and
`dagster-daemon run` together over one code server, which on Ctrl+C or SIGTERM stops both and
their code servers, so no process outlives the command.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import resolve
from orchestration import instance

DEFINITIONS_MODULE = "orchestration.definitions"


def dagster_dev(host: str, port: int) -> list[str]:
    """The `dagster dev` command line serving the definitions on host:port."""
    return [
        str(Path(sys.executable).with_name("dagster")),
        "dev",
        *("--host", host, "--port", str(port)),
        *("--module-name", DEFINITIONS_MODULE, "--working-directory", str(REPO_ROOT)),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestration", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    env = {**os.environ, **instance.prepare(resolve())}
    command = dagster_dev(args.host, args.port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(REPO_ROOT)
    # A program started in the background by a shell (`nohup ... &`, some supervisors) has
    # SIGINT ignored, and an ignored signal stays ignored across exec: Dagster would then never
    # hear Ctrl+C. Its default action back, Dagster installs its own handler as it starts.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_DFL)
    os.execve(command[0], command, env)  # noqa: S606 - a fixed command, no shell


if __name__ == "__main__":
    main()
