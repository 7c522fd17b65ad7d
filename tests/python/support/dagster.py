"""`dataops orchestrate` for the tests and the benchmarks: started on a free port against a
throwaway warehouse, spoken to over GraphQL (Dagster's own client, and plain queries where it
has no method), stopped with a signal, and every process it started accounted for.

Processes are found through `/proc` (parent ids), so a test can say which processes a command
started and whether any outlived it, without a process library.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import free_port
from support.warehouse import Warehouse

DATAOPS = str(Path(sys.executable).with_name("dataops"))
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 60


# -- processes --------------------------------------------------------------------------------


def parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # the command name may hold spaces and parentheses: read after its last ')'
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                found[int(entry.name)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    """The processes `pid` started, and theirs, now."""
    table = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def command_line(pid: int) -> str:
    """A process's command line, words joined by spaces ("" once it is gone)."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    return ""


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie waiting for its parent counts as gone)."""
    running = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z":
                running.add(pid)
    return running


def wait_for(condition: Any, what: str, timeout: float, interval: float = 0.5) -> Any:
    """Poll `condition()` until it gives something truthy, which is returned; fail after
    `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(interval)


# -- the orchestrator -------------------------------------------------------------------------


@dataclass
class Orchestrator:
    """A running `dataops orchestrate`: its process, its URL, the warehouse it serves."""

    process: subprocess.Popen
    url: str
    warehouse: Warehouse
    log: Path
    seen: set[int] = field(default_factory=set)
    answered_s: float = 0.0  # from the command's start to the webserver's first HTTP 200
    loaded_s: float = 0.0  # from the command's start to the definitions loaded

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        """What it printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def remember_processes(self) -> set[int]:
        """Note the processes it runs now (webserver, daemon, code servers, run workers)."""
        self.seen |= descendants(self.process.pid)
        return self.seen

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def client(self) -> Any:
        from dagster_graphql import DagsterGraphQLClient

        return DagsterGraphQLClient("127.0.0.1", port_number=self.port, timeout=60)

    def stop(self, sig: int = signal.SIGINT, timeout: float = STOP_TIMEOUT_S) -> float:
        """Send `sig` as Ctrl+C (or a supervisor) would; the seconds until the command ended.
        Fails if it did not end within `timeout`."""
        self.remember_processes()
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            message = f"dataops orchestrate still runs {timeout:.0f} s after {sig!r}"
            raise AssertionError(message) from None
        return time.monotonic() - started

    def kill_leftovers(self) -> None:
        """SIGKILL whatever of its processes is still there (after a failed test)."""
        for pid in alive(self.seen | descendants(self.process.pid)):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait(timeout=30)


def code_location_loaded(orchestrator: Orchestrator) -> bool:
    """True once the webserver has loaded the definitions (their assets are listed)."""
    data = orchestrator.graphql(
        "{ workspaceOrError { ... on Workspace { locationEntries {"
        " loadStatus locationOrLoadError { __typename } } } } }"
    )
    entries = data["workspaceOrError"].get("locationEntries") or []
    states = [(e["loadStatus"], e["locationOrLoadError"]["__typename"]) for e in entries if e]
    assert ("LOADED", "PythonError") not in states, orchestrator.graphql(
        "{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {"
        " ... on PythonError { message stack } } } } } }"
    )
    return bool(states) and all(state == ("LOADED", "RepositoryLocation") for state in states)


@contextlib.contextmanager
def orchestrate(
    warehouse: Any, log: Path, *, background: bool = False, **env: str
) -> Iterator[Orchestrator]:
    """`dataops orchestrate` on a free port against `warehouse`, until the webserver answers
    and has loaded the definitions; whatever is left of it is killed afterwards. `warehouse`
    is a `Warehouse` (or the benchmarks' `BenchWarehouse`: its `env()` is what is used).
    `background`: started as a shell starts `command &`, with SIGINT ignored."""
    port = free_port()
    started = time.monotonic()
    log.write_text("")  # a fresh log: the URL line is looked for in it
    with log.open("a") as output:  # appending: Dagster's processes share the file
        # stdout to the file too: a pipe nobody reads would stall Dagster once it fills
        process = subprocess.Popen(
            [DATAOPS, "orchestrate", "--port", str(port)],
            cwd=REPO_ROOT,
            env=warehouse.env(**env),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_ignore_sigint if background else None,
        )
        orchestrator = Orchestrator(process, "", warehouse, log)
        try:
            orchestrator.url = wait_for(lambda: _url(orchestrator), "the URL line", 120, 0.1)
            wait_for_answer(orchestrator)
            orchestrator.answered_s = time.monotonic() - started
            wait_for(lambda: code_location_loaded(orchestrator), "the definitions to load", 300)
            orchestrator.loaded_s = time.monotonic() - started
            yield orchestrator
        finally:
            orchestrator.kill_leftovers()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _url(orchestrator: Orchestrator) -> str:
    """The URL the command prints on a line of its own, once it has (fails if it exited)."""
    found = re.search(r"^http://127\.0\.0\.1:\d+$", orchestrator.output(), re.MULTILINE)
    if found is None and orchestrator.process.poll() is not None:
        raise AssertionError(f"dataops orchestrate exited:\n{orchestrator.output()[-4000:]}")
    return found.group(0) if found else ""


def wait_for_answer(orchestrator: Orchestrator, timeout: float = START_TIMEOUT_S) -> float:
    """Seconds until the webserver answers HTTP 200 (fails if the command exits first)."""
    started = time.monotonic()

    def answers() -> bool:
        if orchestrator.process.poll() is not None:
            raise AssertionError(f"dataops orchestrate exited:\n{orchestrator.output()[-4000:]}")
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{orchestrator.url}/server_info", timeout=5).status_code == 200
        return False

    wait_for(answers, "the webserver to answer", timeout, interval=0.1)
    return time.monotonic() - started


def stop_automation(orchestrator: Orchestrator) -> list[str]:
    """Stop every sensor and schedule that runs (a test launches its own runs, and the
    definitions' sensors start in the running state); the names of those stopped."""
    data = orchestrator.graphql(
        "{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {"
        " ... on RepositoryLocation { repositories {"
        " sensors { name sensorState { id status } }"
        " schedules { name scheduleState { id status } } } } } } } } }"
    )
    stopped = []
    for entry in data["workspaceOrError"]["locationEntries"]:
        for repository in entry["locationOrLoadError"]["repositories"]:
            for kind, mutation in (("sensor", "stopSensor"), ("schedule", "stopRunningSchedule")):
                for instigator in repository[f"{kind}s"]:
                    state = instigator[f"{kind}State"]
                    if state["status"] == "RUNNING":
                        orchestrator.graphql(
                            f"mutation($id: String) {{ {mutation}(id: $id) {{ __typename }} }}",
                            id=state["id"],
                        )
                        stopped.append(instigator["name"])
    return stopped


# -- runs -------------------------------------------------------------------------------------


def run_status(orchestrator: Orchestrator, run_id: str) -> str:
    return orchestrator.client().get_run_status(run_id).value


def wait_for_run(orchestrator: Orchestrator, run_id: str, timeout: float = 600) -> str:
    """The run's final status (SUCCESS, FAILURE, CANCELED) once it has one."""
    finished = {"SUCCESS", "FAILURE", "CANCELED"}
    return wait_for(
        lambda: (status := run_status(orchestrator, run_id)) in finished and status,
        f"run {run_id} to finish",
        timeout,
    )


def run_events(warehouse: Warehouse, run_id: str, event_type: str) -> list[dict[str, Any]]:
    """A run's events of one type, read from Dagster's tables in the warehouse."""
    rows = warehouse.rows(
        "select step_key, asset_key, event from dagster.event_logs"
        " where run_id = %s and dagster_event_type = %s order by id",
        (run_id, event_type),
    )
    return [
        {"step_key": step, "asset_key": json.loads(key) if key else None, "event": event}
        for step, key, event in rows
    ]
