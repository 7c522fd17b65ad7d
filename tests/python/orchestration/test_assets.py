"""The Dagster definitions (orchestration/assets): the asset graph runs unbroken from every raw
table to every dashboard page; materialized in this process against a throwaway warehouse, the
assets build the marts `dataops run` builds from the same demo data; a failing dbt test is a
failed asset check that stops its downstream models; one landing table loads on its own.

The tests run in order on one orchestrated warehouse: the last two change it.
"""

from __future__ import annotations

import collections
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from support.project import copy_dbt_project
from support.warehouse import DEMO_DAYS, DEMO_ORDERS, Warehouse, throwaway_database
from support.webhook import receiving

from dashboards.report import MARTS_BY_PAGE
from dataops.core.paths import REPO_ROOT
from dataops.core.settings import CONNECTION_VARIABLES
from dataops.core.warehouse import WarehouseSettings
from orchestration.assets import Assets, build
from orchestration.assets.project import Warehouse as WarehouseResource
from orchestration.assets.project import manifest
from orchestration.automation.alerts import alert_on_run_failure

DASHBOARD = dg.AssetSelection.groups("dashboard")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's state folder, set for the process (the assets run in it), put back after."""
    folder = tmp_path_factory.mktemp("orchestration-state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAOPS_STATE_DIR", str(folder))
        patch.setenv("DLT_DATA_DIR", str(folder / "dlt"))
        for name in (*CONNECTION_VARIABLES, "DATAOPS_RUN_ID", "DBT_TARGET_PATH"):
            patch.delenv(name, raising=False)
        yield folder


@pytest.fixture(scope="module")
def repository_assets(state: Path) -> Assets:
    return build(REPO_ROOT)


@pytest.fixture(scope="module")
def reference(
    server_connection: WarehouseSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The pipeline run by `dataops run` on a fresh database: what the assets must build."""
    with throwaway_database(server_connection, "reference") as settings:
        warehouse = Warehouse(settings, tmp_path_factory.mktemp("reference-state"))
        warehouse.dataops("run", "--days", str(DEMO_DAYS), "--orders", str(DEMO_ORDERS))
        yield warehouse


@pytest.fixture(scope="module")
def orchestrated(
    server_connection: WarehouseSettings, state: Path, reference: Warehouse
) -> Iterator[tuple[Warehouse, Assets, dg.ExecuteInProcessResult]]:
    """Every asset materialized in this process on a fresh database, from a copy of the
    reference's demo data (the same files and shop, so the same marts)."""
    shutil.copytree(reference.state_dir / "demo", state / "demo")
    with (
        throwaway_database(server_connection, "orchestrated") as settings,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("DATABASE_URL", settings.url())
        assets = build(REPO_ROOT, WarehouseResource(database_url=settings.url()))
        job = assets.definitions().resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(raise_on_error=False)
        yield Warehouse(settings, state), assets, result


def exposure_marts() -> dict[str, set[str]]:
    """The dashboard's exposures, read from their YAML: page path -> the marts it names."""
    document = yaml.safe_load((REPO_ROOT / "models/marts/_marts__exposures.yml").read_text())
    pages = {}
    for exposure in document["exposures"]:
        path = "/" + exposure["url"].split("/", 3)[3]
        pages[path] = {ref.split("'")[1] for ref in exposure["depends_on"]}
    return pages


def dbt_sources() -> set[dg.AssetKey]:
    """Every table of the dbt sources YAML, as the key dagster-dbt gives it."""
    keys = set()
    for path in (REPO_ROOT / "models").rglob("_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            keys.update(dg.AssetKey([source["name"], table["name"]]) for table in source["tables"])
    return keys


def test_the_asset_graph_runs_unbroken_from_every_source_to_every_page(
    repository_assets: Assets,
) -> None:
    graph = repository_assets.definitions().resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    raw = {key for key, group in groups.items() if group.startswith("raw_")}
    history = {key for key, group in groups.items() if group == "run_history"}
    # every table a dbt source reads is an ingestion asset (or the run history), nothing extra
    assert raw | history == dbt_sources()
    assert {key.path[0] for key in raw} == {"shop", "ecb", "landing"}
    assert {key.path[0] for key in history} == {"observability"}
    # each page depends on exactly the marts the dashboard's code reads and its exposure names
    pages = {key: graph.get(key) for key, group in groups.items() if group == "dashboard"}
    read = {path: set(marts) for path, marts in MARTS_BY_PAGE.items()}
    assert read == exposure_marts()
    by_path = {
        "/" + str(node.metadata["url"].value).split("/", 3)[3]: {
            p.path[-1] for p in node.parent_keys
        }
        for node in pages.values()
    }
    assert by_path == read
    # every parent of a page is a dbt mart; every dbt node's sources are raw or history assets
    dbt_keys = {key for key, group in groups.items() if group.startswith("marts_")}
    assert {dg.AssetKey(["marts", mart]) for marts in read.values() for mart in marts} <= dbt_keys
    for key in groups:
        assert all(parent in groups for parent in graph.get(key).parent_keys), key


def materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def check_results(result: dg.ExecuteInProcessResult) -> list[Any]:
    return list(result.get_asset_check_evaluations())


def test_every_asset_materializes_and_every_check_passes(
    orchestrated: tuple[Warehouse, Assets, dg.ExecuteInProcessResult],
) -> None:
    _, assets, result = orchestrated
    assert result.success
    graph = assets.definitions().resolve_asset_graph()
    wanted = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert materialized(result) == wanted
    checks = check_results(result)
    assert {check.check_name for check in checks} >= {
        "freshness",
        "unique_stg_shop__orders_order_id",
    }
    failed = [check for check in checks if not check.passed and check.severity.value == "ERROR"]
    assert failed == []


def test_every_step_lands_in_the_run_history_as_cli_runs_do(
    orchestrated: tuple[Warehouse, Assets, dg.ExecuteInProcessResult],
) -> None:
    warehouse, _, result = orchestrated
    prefix = f"{result.run_id}-"
    runs = warehouse.rows(
        "select command, status, run_id from observability.pipeline_runs where run_id like %s",
        (prefix + "%",),
    )
    steps = {run_id.removeprefix(prefix): (command, status) for command, status, run_id in runs}
    assert steps == {
        "ingest_shop": ("ingest", "success"),
        "ingest_ecb": ("ingest", "success"),
        "ingest_landing": ("ingest", "success"),
        "source_freshness": ("freshness", "success"),
        "dbt_build": ("transform", "success"),
    }
    tables = warehouse.rows(
        "select distinct source, table_name from observability.ingestion_tables"
        " where run_id like %s",
        (prefix + "%",),
    )
    assert ("landing", "web_sessions") in tables and ("shop", "orders") in tables
    nodes = warehouse.scalar(
        "select count(*) from observability.dbt_nodes where run_id = %s and status = 'success'",
        (prefix + "dbt_build",),
    )
    models = warehouse.scalar(
        "select count(*) from information_schema.tables where table_schema = 'marts'"
    )
    assert nodes > models > 0


def rows(warehouse: Warehouse, mart: str) -> collections.Counter:
    return collections.Counter(warehouse.rows(f"select * from marts.{mart}"))


def test_the_dashboards_marts_equal_what_dataops_run_builds(
    orchestrated: tuple[Warehouse, Assets, dg.ExecuteInProcessResult], reference: Warehouse
) -> None:
    warehouse, _, _ = orchestrated
    nodes = manifest(REPO_ROOT)["nodes"].values()
    # the run-history marts describe the runs themselves: readable, never equal
    history = {node["name"] for node in nodes if node["fqn"][1:3] == ["marts", "observability"]}
    marts = {mart for page in MARTS_BY_PAGE.values() for mart in page}
    compared = sorted(marts - history)
    assert len(compared) >= 6, compared
    for mart in compared:
        built, expected = rows(warehouse, mart), rows(reference, mart)
        assert built.total() == expected.total() > 0, mart
        # EXCEPT ALL both ways: nothing missing, nothing extra
        assert (expected - built, built - expected) == (collections.Counter(),) * 2, mart
    for mart in sorted(marts & history):
        assert warehouse.scalar(f"select count(*) from marts.{mart}") > 0, mart


def test_ingestion_retries_with_backoff_but_not_a_configuration_error(
    orchestrated: tuple[Warehouse, Assets, dg.ExecuteInProcessResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, assets, _ = orchestrated
    ingest = [
        a
        for a in assets.assets
        if isinstance(a, dg.AssetsDefinition) and a.op.name.startswith("ingest_")
    ]
    assert {a.op.name for a in ingest} == {"ingest_shop", "ingest_ecb", "ingest_landing"}
    for definition in ingest:
        assert definition.op.retry_policy.backoff == dg.Backoff.EXPONENTIAL
        assert definition.op.retry_policy.max_retries >= 2
    monkeypatch.setenv("SOURCES__LANDING__MAX_REJECTED_SHARE", "lots")
    result = dg.materialize(
        assets.assets,
        selection=[dg.AssetKey(["landing", "web_sessions"])],
        resources=assets.resources,
        raise_on_error=False,
    )
    assert not result.success
    kinds = [event.event_type_value for event in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in kinds
    [failure] = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    assert "max_rejected_share must be a number from 0 to 1" in str(failure.event_specific_data)


def test_a_landing_table_loads_on_its_own(
    orchestrated: tuple[Warehouse, Assets, dg.ExecuteInProcessResult],
) -> None:
    warehouse, assets, _ = orchestrated
    landing = warehouse.state_dir / "demo" / "landing"
    (landing / "web_sessions" / "extra_sessions.csv").write_text(
        "session_id,customer_id,channel,device,started_at,pageviews,order_id\n"
        "990000001,,organic,desktop,2026-01-01T10:00:00Z,3,\n"
        "990000002,,organic,mobile,2026-01-01T11:00:00Z,5,\n"
    )
    (landing / "marketing_spend" / "extra_spend.csv").write_text(
        "spend_date,channel,campaign,spend_eur,impressions,clicks\n"
        "2026-01-01,display,extra,10.5,100,3\n"
    )
    tables = ("web_sessions", "marketing_spend", "product_reviews", "sales_targets")
    before = {t: warehouse.scalar(f"select count(*) from raw_landing.{t}") for t in tables}
    key = dg.AssetKey(["landing", "web_sessions"])
    result = dg.materialize(
        assets.assets, selection=[key], resources=assets.resources, raise_on_error=False
    )
    assert result.success
    assert materialized(result) == {key}
    after = {t: warehouse.scalar(f"select count(*) from raw_landing.{t}") for t in tables}
    assert after == {**before, "web_sessions": before["web_sessions"] + 2}
    files = warehouse.rows("select table_name, source_file from raw_landing._loaded_files")
    assert ("web_sessions", "web_sessions/extra_sessions.csv") in files
    assert all(name != "marketing_spend/extra_spend.csv" for _, name in files)


def test_a_failing_dbt_test_fails_its_check_and_stops_the_models_downstream(
    orchestrated: tuple[Warehouse, Assets, dg.ExecuteInProcessResult],
    tmp_path: Path,
) -> None:
    warehouse, _, _ = orchestrated
    project = copy_dbt_project(tmp_path / "dbt")
    (project / "tests" / "dbt" / "singular" / "assert_no_customer_is_left.sql").write_text(
        "-- fails on any customer: a test broken on purpose\n"
        "select customer_id from {{ ref('stg_shop__customers') }}\n"
    )
    assets = build(project, WarehouseResource(database_url=warehouse.settings.url()))
    customers = dg.AssetKey(["staging", "stg_shop__customers"])
    selection = dg.AssetSelection.assets(customers).downstream() - DASHBOARD
    defs = assets.definitions()
    graph = defs.resolve_asset_graph()
    downstream = selection.resolve(graph) - {customers}
    assert dg.AssetKey(["marts", "dim_customers"]) in downstream
    instance = dg.DagsterInstance.ephemeral()
    alerting = dg.Definitions(sensors=[alert_on_run_failure])
    with receiving() as webhook, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAOPS_ALERT_WEBHOOK", webhook.url)
        cursor = sensor_tick(alerting, instance, None)  # the sensor runs before the run starts
        result = dg.materialize(
            assets.assets,
            selection=selection,
            resources=assets.resources,
            instance=instance,
            raise_on_error=False,
        )
        cursor = sensor_tick(alerting, instance, cursor)  # the failed run: nothing new to send
        sensor_tick(alerting, instance, cursor)  # and again: the run was seen
    assert not result.success
    assert len(webhook.messages) == 1  # the build's own alert; the sensor sends it no second time
    assert "assert_no_customer_is_left" in webhook.messages[0]["text"]
    failed = {
        (check.asset_key, check.check_name) for check in check_results(result) if not check.passed
    }
    assert (customers, "assert_no_customer_is_left") in failed
    assert customers in materialized(result)
    assert materialized(result) & downstream == set()


def sensor_tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> str | None:
    """One evaluation of the run-failure sensor; its new cursor."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return alert_on_run_failure.evaluate_tick(context).cursor
