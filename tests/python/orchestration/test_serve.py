"""`dataops orchestrate`: Dagster's webserver and daemon over the project's definitions, with the
instance in the warehouse's PostgreSQL.

One orchestrator serves the module (it starts in ~15 s and loads the definitions once), with
its sensors and schedules stopped: its asset graph in headless Chromium, the daily job launched
through it and stored in the `dagster` schema, a run whose worker is killed and then retried
from its failure, and last, Ctrl+C stopping every process it started. Two quick tests need no
orchestrator: a taken port, and the instance's settings against the deploy sample's.

The asset graph's screenshot goes to `$DATAOPS_ARTIFACTS` if set, else to the test run's
temporary folder; with `DATAOPS_UPDATE_SCREENSHOTS=1` it also replaces the one in docs/images.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from support import browser as browser_support
from support.dagster import (
    DATAOPS,
    Orchestrator,
    alive,
    command_line,
    descendants,
    orchestrate,
    run_events,
    stop_automation,
    wait_for,
    wait_for_run,
)
from support.warehouse import DEMO_DAYS, DEMO_ORDERS, Warehouse, throwaway_database

from dataops.core.paths import REPO_ROOT, dbt_target_dir
from dataops.core.warehouse import WarehouseSettings
from orchestration import instance

DAILY_JOB = "deploy"
# the steps of a run in its worker's own process: one process to kill
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
SOURCE = "landing"  # the source whose ingestion and staging the killed run materializes
DEPLOY_SAMPLES = REPO_ROOT / "orchestration" / "deploy"
DOCS_SCREENSHOT = REPO_ROOT / "docs" / "images" / "orchestration-asset-graph.png"
WINDOW = (1700, 1500)  # the whole graph of groups in view


@pytest.fixture(scope="module")
def orchestrated(
    server_connection: WarehouseSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Orchestrator]:
    """`dataops orchestrate` on a warehouse with a generated demo business, not yet loaded.

    Its sensors and schedules are stopped before the demo business is generated: the tests
    launch the runs, and none may start on its own (the landing sensor would load the files).
    """
    with throwaway_database(server_connection, "test") as settings:
        state = tmp_path_factory.mktemp("state")
        warehouse = Warehouse(settings, state)
        with orchestrate(warehouse, state / "orchestrate.log") as orchestrator:
            assert stop_automation(orchestrator)
            warehouse.dataops("generate", "--days", str(DEMO_DAYS), "--orders", str(DEMO_ORDERS))
            yield orchestrator


@pytest.fixture(scope="module")
def daily_run(orchestrated: Orchestrator) -> str:
    """The daily job (production's deploy) launched through the webserver with its default
    executor, a process per step as the schedule runs it (each loads the definitions: their
    dbt parse takes turns), finished: the warehouse built as every later run finds it."""
    run_id = orchestrated.client().submit_job_execution(DAILY_JOB)
    assert wait_for_run(orchestrated, run_id) == "SUCCESS", orchestrated.output()[-3000:]
    return run_id


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not browser_support.installed():
        reason = "Chromium and chromedriver are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    driver = browser_support.chromium(*WINDOW)
    driver.set_window_size(*WINDOW)  # the flag alone stops at the virtual screen's height
    configured = os.environ.get("DATAOPS_ARTIFACTS")
    driver.screenshots = Path(configured) if configured else tmp_path_factory.mktemp("screens")
    driver.screenshots.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


# -- helpers ----------------------------------------------------------------------------------


def asset_keys(orchestrator: Orchestrator) -> list[list[str]]:
    """Every asset key the webserver lists."""
    data = orchestrator.graphql("{ assetNodes { assetKey { path } } }")
    return [node["assetKey"]["path"] for node in data["assetNodes"]]


def asset_groups(orchestrator: Orchestrator) -> set[str]:
    data = orchestrator.graphql("{ assetNodes { groupName } }")
    return {node["groupName"] for node in data["assetNodes"]}


def source_selection(orchestrator: Orchestrator, source: str) -> list[list[str]]:
    """The raw tables of `source` and its staging models."""
    return [
        key
        for key in asset_keys(orchestrator)
        if key[0] == source or key[-1].startswith(f"stg_{source}__")
    ]


def staging_keys(state: Path, source: str) -> dict[str, str]:
    """Each staging model of `source` with a `unique` test: its relation -> the key column."""
    manifest = json.loads((dbt_target_dir(state) / "manifest.json").read_text())
    nodes = manifest["nodes"]
    keys = {}
    for node in nodes.values():
        metadata = node.get("test_metadata") or {}
        model = node.get("attached_node") or ""
        if metadata.get("name") == "unique" and model.startswith("model."):
            target = nodes[model]
            if target["name"].startswith(f"stg_{source}__"):
                keys[target["relation_name"]] = metadata["kwargs"]["column_name"]
    return keys


def wait(browser: Any, condition: Any, what: str, timeout: float = 60) -> Any:
    """WebDriverWait's `until`, failing with `what` and a screenshot of what the page showed."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.5).until(condition)
    except TimeoutException:
        browser.save_screenshot(str(browser.screenshots / "orchestration-timeout.png"))
        raise AssertionError(f"waited {timeout:.0f} s for {what}") from None


def launch(orchestrator: Orchestrator, keys: list[list[str]]) -> str:
    """Launch a run of the implicit asset job over `keys` through the webserver (Dagster's
    run launcher starts its worker); its run id."""
    from dagster import AssetKey

    return orchestrator.client().submit_job_execution(
        "__ASSET_JOB", run_config=IN_PROCESS, asset_selection=[AssetKey(key) for key in keys]
    )


def worker_pid(orchestrator: Orchestrator, run_id: str) -> int:
    """The run worker's process id, as its "Started process for run" event states it."""
    for row in run_events(orchestrator.warehouse, run_id, "ENGINE_EVENT"):
        found = re.search(r"Started process for run \(pid: (\d+)\)", row["event"])
        if found:
            return int(found.group(1))
    return 0


def kill_tree(pid: int) -> set[int]:
    """SIGKILL a process and everything it started (dbt), as a lost machine would: all are
    stopped first, so none of them sees another die and reports it."""
    tree = {pid, *descendants(pid)}
    for member in tree:
        os.kill(member, signal.SIGSTOP)
    for member in tree:
        os.kill(member, signal.SIGKILL)
    return tree


def runs_of(warehouse: Warehouse, parent_run_id: str) -> list[tuple[str, str]]:
    """(run id, status) of the runs Dagster started as re-executions of `parent_run_id`."""
    return warehouse.rows(
        "select runs.run_id, runs.status from dagster.runs"
        " join dagster.run_tags as tags on tags.run_id = runs.run_id"
        " where tags.key = 'dagster/parent_run_id' and tags.value = %s",
        (parent_run_id,),
    )


# -- tests ------------------------------------------------------------------------------------


def test_a_taken_port_is_one_line_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [DATAOPS, "orchestrate", "--port", str(port)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use; choose another with --port"
        " (or DAGSTER_PORT=... make orchestrate)\n"
    )


def test_the_instance_and_the_deploy_sample_are_valid_and_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.instance.config import dagster_instance_config

    for variable in (*instance.CONNECTION_ENV.values(), "DAGSTER_LOGS_DIR"):
        monkeypatch.setenv(variable, "5432" if variable.endswith("PORT") else "x")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance.instance_config()))
    written, _ = dagster_instance_config(str(tmp_path))  # raises on a setting Dagster lacks
    sample, _ = dagster_instance_config(str(DEPLOY_SAMPLES))
    shared = ("storage", "run_monitoring", "run_queue", "run_retries", "telemetry")
    assert {key: sample[key] for key in shared} == {key: written[key] for key in shared}
    workspace = yaml.safe_load((DEPLOY_SAMPLES / "workspace.yaml").read_text())
    assert [entry["grpc_server"]["port"] for entry in workspace["load_from"]] == [4000]


def test_the_asset_graph_lists_the_assets_in_chromium(
    orchestrated: Orchestrator, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    keys = asset_keys(orchestrated)
    assert {("landing", "web_sessions"), ("staging", "stg_landing__web_sessions")} <= {
        tuple(key) for key in keys
    }
    groups = {group for group in asset_groups(orchestrated) if group != "default"}
    # the global asset lineage, its groups folded: the whole graph in one picture
    browser.get(f"{orchestrated.url}/asset-groups")
    wait(
        browser,
        lambda driver: groups <= set(driver.find_element(By.TAG_NAME, "body").text.split()),
        f"the groups {sorted(groups)} to show",
    )
    time.sleep(1)  # the layout settles after the groups appear
    picture = browser.screenshots / DOCS_SCREENSHOT.name
    assert browser.save_screenshot(str(picture))
    if os.environ.get("DATAOPS_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(picture, DOCS_SCREENSHOT)

    # every group unfolded: the graph draws the assets in view, each named by its key
    unfolded = ",".join(f"global@global:{group}" for group in sorted(groups))
    browser.get(f"{orchestrated.url}/asset-groups?expanded={quote(unfolded)}")
    names = {key[-1] for key in keys} - groups

    def drawn(driver: Any) -> set[str]:
        shown = set(re.findall(r"[A-Za-z0-9_]+", driver.find_element(By.TAG_NAME, "body").text))
        return shown & names if len(shown & names) >= 3 else set()

    assert len(wait(browser, drawn, "at least three assets to be drawn")) >= 3


def test_runs_are_stored_in_the_warehouse(orchestrated: Orchestrator, daily_run: str) -> None:
    warehouse = orchestrated.warehouse
    assert warehouse.rows("select status from dagster.runs where run_id = %s", (daily_run,)) == [
        ("SUCCESS",)
    ]
    materialized = {
        tuple(row["asset_key"]) for row in run_events(warehouse, daily_run, "ASSET_MATERIALIZATION")
    }
    assert {("landing", "web_sessions"), ("marts", "fct_orders")} <= materialized, materialized
    # nothing in the default schema, and no SQLite storage beside dagster.yaml
    assert warehouse.rows("select tablename from pg_tables where schemaname = 'public'") == []
    home = warehouse.state_dir / "dagster"
    assert (home / "dagster.yaml").exists()
    assert not list(home.rglob("*.db"))
    assert warehouse.settings.password not in (home / "dagster.yaml").read_text()


def test_a_killed_run_fails_and_is_retried_from_its_failure(
    orchestrated: Orchestrator, daily_run: str
) -> None:
    warehouse = orchestrated.warehouse
    keys = source_selection(orchestrated, SOURCE)
    raw = [key for key in keys if key[0] == SOURCE]
    assert raw and len(keys) > len(raw), keys
    run_id = launch(orchestrated, keys)

    def ingested_and_building() -> bool:
        done = run_events(warehouse, run_id, "ASSET_MATERIALIZATION")
        started = run_events(warehouse, run_id, "STEP_START")
        ingest_steps = {row["step_key"] for row in done if row["asset_key"][0] == SOURCE}
        return bool(ingest_steps) and any(r["step_key"] not in ingest_steps for r in started)

    wait_for(ingested_and_building, "the ingestion to finish and staging to start", 300, 0.2)
    loads_before = warehouse.scalar(f"select count(*) from raw_{SOURCE}._dlt_loads")
    killed = kill_tree(wait_for(lambda: worker_pid(orchestrated, run_id), "the worker", 30))
    wait_for(lambda: not alive(killed), "the killed processes to go", 30)

    # the code server that started the worker sees it gone and marks the run failed
    assert wait_for_run(orchestrated, run_id, timeout=60) == "FAILURE"
    ingest_steps = {
        row["step_key"]
        for row in run_events(warehouse, run_id, "ASSET_MATERIALIZATION")
        if row["asset_key"][0] == SOURCE
    }
    # the daemon retries it from the failure: the ingestion that finished is not run again
    retries = wait_for(lambda: runs_of(warehouse, run_id), "the daemon to retry the run", 120)
    assert len(retries) == 1, retries
    retry_id = retries[0][0]
    assert wait_for_run(orchestrated, retry_id) == "SUCCESS"
    retried_steps = {row["step_key"] for row in run_events(warehouse, retry_id, "STEP_START")}
    assert retried_steps and not retried_steps & ingest_steps, (retried_steps, ingest_steps)
    assert warehouse.scalar(f"select count(*) from raw_{SOURCE}._dlt_loads") == loads_before
    strategy = warehouse.rows(
        "select value from dagster.run_tags where run_id = %s and key = 'dagster/retry_strategy'",
        (retry_id,),
    )
    assert strategy in ([], [("FROM_FAILURE",)]), strategy  # FROM_FAILURE is the default

    # every key in staging exactly once
    keys_by_relation = staging_keys(warehouse.state_dir, SOURCE)
    assert keys_by_relation
    for relation, column in keys_by_relation.items():
        total, distinct = warehouse.rows(
            f"select count(*), count(distinct {column}) from {relation}"
        )[0]
        assert total == distinct > 0, (relation, total, distinct)


def assert_stops_cleanly(orchestrator: Orchestrator, sig: int) -> None:
    """`sig` ends the command within a minute, and every process it started soon after."""
    programs = ("dagster_webserver", "dagster._daemon run", "code-server start")

    def running() -> str:
        """The command lines of its processes, once all three programs run (the daemon may
        start after the webserver answers)."""
        commands = " | ".join(command_line(pid) for pid in orchestrator.remember_processes())
        return commands if all(program in commands for program in programs) else ""

    wait_for(running, f"all of {', '.join(programs)} to run", 60)
    assert orchestrator.stop(sig) < 60
    assert orchestrator.process.returncode is not None
    # the webserver, the daemon and the code server end once `dagster dev` has told them to
    with contextlib.suppress(AssertionError):
        wait_for(lambda: not alive(orchestrator.seen), "every process to end", 30)
    assert alive(orchestrator.seen) == set()


def test_ctrl_c_stops_every_process_it_started(orchestrated: Orchestrator) -> None:
    assert_stops_cleanly(orchestrated, signal.SIGINT)


def test_sigterm_stops_every_process_too(fresh_warehouse: Warehouse, tmp_path: Path) -> None:
    with orchestrate(fresh_warehouse, tmp_path / "orchestrate.log") as orchestrator:
        stop_automation(orchestrator)  # nothing to run here
        assert_stops_cleanly(orchestrator, signal.SIGTERM)


def test_ctrl_c_stops_it_when_a_shell_started_it_in_the_background(
    fresh_warehouse: Warehouse, tmp_path: Path
) -> None:
    """`dataops orchestrate &` inherits SIGINT ignored; Ctrl+C (SIGINT) must still stop it."""
    log = tmp_path / "orchestrate.log"
    with orchestrate(fresh_warehouse, log, background=True) as orchestrator:
        stop_automation(orchestrator)
        assert_stops_cleanly(orchestrator, signal.SIGINT)
