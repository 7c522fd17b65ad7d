"""Dashboards for the tests: servers on free ports, and a client for Dash's callbacks.

`serve` runs the app under gunicorn, as production does. `Dashboard` speaks to Dash's
callback endpoint as the browser does; the callbacks' outputs and inputs are read from the
server's own `/_dash-dependencies`, so a test names one output ("sales-trend-chart.figure")
and the input values it cares about.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import requests

from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import free_port
from support.warehouse import Warehouse

DATAOPS = str(Path(sys.executable).with_name("dataops"))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# the first chart of each page: its callback fills every chart of the page
PAGE_OUTPUTS = {
    "overview": "overview-revenue-chart.figure",
    "sales": "sales-trend-chart.figure",
    "customers": "customers-retention-chart.figure",
    "marketing": "marketing-spend-chart.figure",
    "products": "products-top-chart.figure",
}
# where the tests' dashboards open "Report a data issue"
REPOSITORY = "https://github.com/northwind-threads/analytics"


@contextlib.contextmanager
def serve(
    command: list[str], env: dict[str, str], port: int, log: Path | None = None
) -> Iterator[str]:
    """Run a dashboard server until it answers on `port`; stop it afterwards.

    The server's output (stdout and stderr: gunicorn's and the app's log) goes to `log`, or
    to a temporary file: a pipe nobody reads would stall the server once it fills.
    """
    with contextlib.ExitStack() as stack:
        if log is None:
            output = stack.enter_context(tempfile.TemporaryFile("w+"))
        else:
            output = stack.enter_context(log.open("w+"))
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_it_answers(process, url, output)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_it_answers(process: subprocess.Popen, url: str, output: IO[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            output.seek(0)
            raise AssertionError(f"dashboard exited: {output.read()}")
        try:
            requests.get(f"{url}/_dash-layout", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            raise AssertionError("dashboard did not answer within 60 s")
        time.sleep(0.2)


def dataops_dashboard(
    warehouse: Warehouse, port: int | None = None, *, log: Path | None = None, **env: str
) -> contextlib.AbstractContextManager[str]:
    """`dataops dashboard` against a warehouse, on a free port unless `port` says."""
    port = port or free_port()
    return serve([DATAOPS, "dashboard", "--port", str(port)], warehouse.env(**env), port, log)


def gunicorn_dashboard(
    env: dict[str, str], log: Path | None = None
) -> contextlib.AbstractContextManager[str]:
    """The app under gunicorn directly, for settings the CLI would refuse (a down database)."""
    port = free_port()
    command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"]
    return serve([*command, "dashboards.app:server"], env, port, log)


class ServerLog:
    """A server's log file, read from a mark: what the requests since then wrote to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def since_mark(self) -> str:
        with self.path.open() as log:
            log.seek(self.offset)
            return log.read()


Outputs = dict[str, dict[str, Any]]


class Dashboard:
    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url
        self.session = session or requests.Session()
        response = self.session.get(f"{url}/_dash-dependencies", timeout=10)
        response.raise_for_status()
        self.callbacks: list[dict[str, Any]] = response.json()

    def callback_for(self, output: str) -> dict[str, Any]:
        """The server-side callback that writes `output` ("component-id.property")."""
        for callback in self.callbacks:
            if callback.get("clientside_function"):
                continue
            if output in _outputs(callback["output"]):
                return callback
        raise KeyError(f"no callback writes {output}")

    def body(
        self, output: str, values: dict[str, Any], state: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The request the browser sends when the inputs hold `values` ("id.prop" -> value)."""
        callback = self.callback_for(output)
        outputs = [_split(name) for name in _outputs(callback["output"])]
        inputs = [
            {**item, "value": values.get(f"{item['id']}.{item['property']}")}
            for item in callback["inputs"]
        ]
        states = [
            {**item, "value": (state or {}).get(f"{item['id']}.{item['property']}")}
            for item in callback["state"]
        ]
        changed = [name for name in values if any(_key(i) == name for i in inputs)]
        return {
            "output": callback["output"],
            "outputs": outputs if callback["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": states,
            "changedPropIds": changed or [_key(inputs[0])],
        }

    def post(
        self, output: str, values: dict[str, Any], state: dict[str, Any] | None = None
    ) -> requests.Response:
        return self.post_body(self.body(output, values, state))

    def post_body(self, body: Any) -> requests.Response:
        return self.session.post(f"{self.url}/_dash-update-component", json=body, timeout=30)

    def post_text(self, text: str | bytes) -> requests.Response:
        """A body as given, for JSON that Python's encoder would refuse to write."""
        return self.session.post(
            f"{self.url}/_dash-update-component",
            data=text,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def call(
        self, output: str, values: dict[str, Any], state: dict[str, Any] | None = None
    ) -> Outputs:
        """The outputs of one callback: {component id: {property: value}}."""
        response = self.post(output, values, state)
        assert response.status_code == 200, response.text[:500]
        return response.json()["response"]


def store(
    start: str, end: str, countries: list[str] | None = None, channels: list[str] | None = None
) -> dict[str, Any]:
    """The filters store as the shell writes it."""
    return {
        "start": start,
        "end": end,
        "countries": countries or [],
        "channels": channels or [],
    }


def _outputs(spec: str) -> list[str]:
    return spec.strip(".").split("...") if spec.startswith("..") else [spec]


def _split(name: str) -> dict[str, str]:
    component, prop = name.rsplit(".", 1)
    return {"id": component, "property": prop}


def _key(item: dict[str, Any]) -> str:
    return f"{item['id']}.{item['property']}"
