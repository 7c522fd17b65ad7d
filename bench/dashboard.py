"""B6, the dashboard: callback latency against a do-nothing callback on the same server, and
the first page load in Chromium.

The dashboard runs as in production (`dataops dashboard`: gunicorn, debug off) against the
benchmark's warehouse. Each page's callback is posted to `/_dash-update-component` at least
`REQUESTS` times, one request after another, as the browser posts it:

- fresh: every request a view no request asked for before (the date range moves back a day
  each time), so every answer runs its SQL: the cost of changing a filter;
- cached: the same view every time, answered from the cache after the first (the page's
  whole answer is kept, figures included): the cost of opening a page someone else has just
  looked at.

The anchor is the shell's do-nothing callback, posted after every measured request on the
same server: the round trip through HTTP, gunicorn and Dash with no work in it, measured at
the same moments as the pages, so a burst of load elsewhere on the machine weighs on both.
B6 is the slowest page's cached p95 divided by the anchor's p95 (target 3x, and 100 ms);
"B6 fresh" reports the fresh p95 beside it (target 100 ms). The first page load is
Chromium's navigation timing (load event) for a cold browser, median of three.

`make bench` builds a warehouse of its own for B6. To measure the dashboard on a warehouse
that is already built (the one `dataops run` made, after changing only the marts):

    python -m bench.dashboard [--requests N] [--workdir DIR]

measures it on the warehouse `dataops.core.warehouse` resolves and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests
from support import browser

from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings, free_port, resolve

REQUESTS = 200
TARGETS = {"ratio": 3.0, "p95_ms": 100.0, "first_load_s": 1.0}
# each page's callback, by one of its outputs, and the inputs it takes besides the filters
PAGE_CALLBACKS: dict[str, tuple[str, dict[str, Any]]] = {
    "overview": ("overview-revenue-chart.figure", {}),
    "sales": ("sales-trend-chart.figure", {"sales-grain.value": "week"}),
    "customers": ("customers-retention-chart.figure", {}),
    "marketing": ("marketing-spend-chart.figure", {}),
    "products": ("products-top-chart.figure", {}),
}
NOOP = ("shell-noop.children", "shell-noop.className")
SHELL = ("filters-store.data", "shell-url.search")


class Callbacks:
    """Posts to Dash's callback endpoint as the browser does, from `/_dash-dependencies`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        response = self.session.get(f"{url}/_dash-dependencies", timeout=30)
        response.raise_for_status()
        self.callbacks = [c for c in response.json() if not c.get("clientside_function")]

    def body(self, output: str, values: dict[str, Any]) -> dict[str, Any]:
        callback = next(c for c in self.callbacks if output in _outputs(c["output"]))
        outputs = [_split(name) for name in _outputs(callback["output"])]
        inputs = [
            {**item, "value": values.get(f"{item['id']}.{item['property']}")}
            for item in callback["inputs"]
        ]
        return {
            "output": callback["output"],
            "outputs": outputs if callback["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": [{**item, "value": None} for item in callback["state"]],
            "changedPropIds": [next(iter(values))],
        }

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.session.post(f"{self.url}/_dash-update-component", json=body, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"callback answered HTTP {response.status_code}")
        return response.json()["response"]

    def timed(self, bodies: list[dict[str, Any]], anchor: list[float]) -> list[float]:
        """Seconds for each request, posted one after another, each followed by the
        do-nothing callback, whose seconds go to `anchor`: both see the same moments of the
        machine's load."""
        seconds = []
        for body in bodies:
            for target, posted in ((seconds, body), (anchor, self.noop(len(anchor)))):
                started = time.perf_counter()
                self.post(posted)
                target.append(time.perf_counter() - started)
        return seconds

    def noop(self, index: int) -> dict[str, Any]:
        return self.body(NOOP[0], {NOOP[1]: f"noop-{index}"})

    def default_view(self) -> dict[str, Any]:
        """The filters the shell sets for a link without any: the latest days with data."""
        view = self.post(self.body(SHELL[0], {SHELL[1]: ""}))["filters-store"]["data"]
        return {key: view[key] for key in ("start", "end", "countries", "channels")}


def p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[94]


def shifted(view: dict[str, Any], days: int) -> dict[str, Any]:
    """The same view, `days` earlier."""
    move = timedelta(days=days)
    start = date.fromisoformat(view["start"]) - move
    end = date.fromisoformat(view["end"]) - move
    return {**view, "start": start.isoformat(), "end": end.isoformat()}


def measure_callbacks(url: str, requests_per_callback: int = REQUESTS) -> dict[str, Any]:
    """p95 of every page's callback (fresh and cached) and of the do-nothing anchor, in s."""
    client = Callbacks(url)
    view = client.default_view()
    n = requests_per_callback
    # warm each worker's connection pool and Python code paths, as a running server is
    for index in range(4):
        client.post(client.noop(-1 - index))
    anchor: list[float] = []
    pages: dict[str, dict[str, float | None]] = {}
    for page, (output, extra) in PAGE_CALLBACKS.items():
        fresh = [
            client.body(output, {"filters-store.data": shifted(view, i + 1), **extra})
            for i in range(n)
        ]
        cached = [client.body(output, {"filters-store.data": view, **extra})] * n
        pages[page] = {
            "fresh": p95(client.timed(fresh, anchor)),
            "cached": p95(client.timed(cached, anchor)),
        }
    shell_bodies = [
        client.body(SHELL[0], {SHELL[1]: f"?start={shifted(view, i)['start']}&end={view['end']}"})
        for i in range(n)
    ]
    pages["shell"] = {"fresh": p95(client.timed(shell_bodies, anchor)), "cached": None}
    return {"anchor": p95(anchor), "pages": pages, "requests": n}


def first_page_load(url: str, runs: int = 3) -> dict[str, float] | None:
    """Median seconds, cold browser, to the load event and to the first KPI on screen."""
    if not browser.installed():
        return None
    from selenium.webdriver.support.ui import WebDriverWait

    loads, figures = [], []
    for _ in range(runs):
        driver = browser.chromium(1280, 800)
        try:
            driver.get(url + "/")
            WebDriverWait(driver, 60, poll_frequency=0.02).until(
                lambda d: d.execute_script(
                    "const kpi = document.getElementById('overview-kpi-revenue');"
                    "return kpi && kpi.textContent.startsWith('€');"
                )
            )
            shown = driver.execute_script("return performance.now()")
            timing = driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "return [n.startTime, n.loadEventEnd];"
            )
            loads.append((timing[1] - timing[0]) / 1000)
            figures.append(shown / 1000)
        finally:
            driver.quit()
    return {"load_s": statistics.median(loads), "first_figures_s": statistics.median(figures)}


@contextlib.contextmanager
def serve(workdir: Path, settings: WarehouseSettings) -> Iterator[tuple[str, int]]:
    """`dataops dashboard` against the warehouse; its URL and process id."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DASHBOARD_"))}
    env.update(DATABASE_URL=settings.url(), DATAOPS_STATE_DIR=str(workdir / "state"))
    workdir.mkdir(parents=True, exist_ok=True)
    dataops = str(Path(sys.executable).with_name("dataops"))
    url = f"http://127.0.0.1:{port}"
    with open(workdir / "dashboard.log", "w") as log:
        process = subprocess.Popen(
            [dataops, "dashboard", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the dashboard exited; see {workdir / 'dashboard.log'}")
                try:
                    requests.get(f"{url}/_dash-layout", timeout=2).raise_for_status()
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the dashboard did not answer in 2 minutes") from None
                    time.sleep(0.2)
            yield url, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def peak_mib(pid: int) -> float:
    """The largest peak resident memory among a process and its descendants."""
    peaks = []
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks, default=0.0), 1)


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def run(workdir: Path, settings: WarehouseSettings, requests_per_callback: int = REQUESTS) -> dict:
    """B6 and B6 first load for a built warehouse, as rows of the benchmark table."""
    with serve(workdir, settings) as (url, pid):
        measured = measure_callbacks(url, requests_per_callback)
        load = first_page_load(url)
        memory = peak_mib(pid)
    anchor = measured["anchor"]
    pages = measured["pages"]
    per_page = {
        page: {
            "fresh_p95_ms": round(value["fresh"] * 1000, 1),
            "cached_p95_ms": None if value["cached"] is None else round(value["cached"] * 1000, 1),
        }
        for page, value in pages.items()
    }

    def row(kind: str, ratio_target: float | None) -> dict:
        timed = {page: value[kind] for page, value in pages.items() if value[kind] is not None}
        slowest = max(timed, key=lambda page: timed[page])
        return {
            "ratio": round(timed[slowest] / anchor, 3),
            "target": ratio_target,
            "p95_ms": round(timed[slowest] * 1000, 1),
            "target_p95_ms": TARGETS["p95_ms"],
            "value_s": round(timed[slowest], 6),
            "anchor_s": round(anchor, 6),
            "peak_mib": memory,
            "slowest_callback": slowest,
            "requests_per_callback": measured["requests"],
        }

    figures: dict[str, dict] = {
        # a view someone has opened before: the answer comes from the query cache
        "B6": {**row("cached", TARGETS["ratio"]), "callbacks": per_page},
        # a view nobody has asked for yet: every answer runs its SQL on the marts
        "B6 fresh": row("fresh", None),
    }
    if load is None:
        figures["B6 first load"] = {"not_measured": "Chromium and chromedriver are not installed"}
    else:
        figures["B6 first load"] = {
            "ratio": None,
            "target": None,
            "value_s": round(load["load_s"], 3),
            "target_s": TARGETS["first_load_s"],
            "anchor_s": None,
            "peak_mib": None,
            "first_figures_s": round(load["first_figures_s"], 3),
        }
    return figures


def _outputs(spec: str) -> list[str]:
    return spec.strip(".").split("...") if spec.startswith("..") else [spec]


def _split(name: str) -> dict[str, str]:
    component, prop = name.rsplit(".", 1)
    return {"id": component, "property": prop}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard",
        description="B6 on the warehouse that is already built (DATABASE_URL, PG*, or embedded)",
    )
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per callback")
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / ".local" / "bench-dashboard")
    args = parser.parse_args(argv)
    figures = run(args.workdir, resolve(), args.requests)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
