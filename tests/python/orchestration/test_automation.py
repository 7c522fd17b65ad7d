"""Automation: the landing sensor, the daily deploy's job and publishing, the Shop API's
declarative automation and the run-failure alert.

Most tests run the automation against small definitions of their own (real assets with the
asset keys and groups of the real graph, so they need no dbt build); those marked with
`real_defs` load `orchestration.definitions` and compare with the dbt manifest.
"""

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator
from support.webhook import Receiver, receiving

from dataops import pipeline
from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings
from ingestion.landing.tables import FILES
from orchestration.automation import JOBS, SCHEDULES, SENSORS, automate
from orchestration.automation.alerts import alert_on_run_failure
from orchestration.automation.config import DEPLOY_CRON
from orchestration.automation.schedules import PUBLISH_KEY, STATE_FILES
from orchestration.automation.sensors import landing_sensor
from orchestration.history import step_history

LANDING_TABLES = [table.name for table in FILES]


# -- small definitions with the real graph's keys and groups ---------------------------------


@dg.multi_asset(
    specs=[
        *(
            dg.AssetSpec(["landing", name], group_name="raw_landing", skippable=True)
            for name in LANDING_TABLES
        ),
        dg.AssetSpec(["shop", "orders"], group_name="raw_shop", skippable=True),
        dg.AssetSpec(["ecb", "euro_rates"], group_name="raw_ecb", skippable=True),
    ],
    can_subset=True,
)
def raw(context: AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    for key in sorted(context.selected_asset_keys):
        yield dg.MaterializeResult(asset_key=key)


@dg.asset(deps=[dg.AssetKey(["landing", "web_sessions"])], group_name="staging_landing")
def stg_landing__web_sessions() -> None: ...


@dg.asset(deps=[dg.AssetKey(["landing", "marketing_spend"])], group_name="staging_landing")
def stg_landing__marketing_spend() -> None: ...


@dg.asset(deps=[dg.AssetKey(["shop", "orders"])], group_name="staging_shop")
def stg_shop__orders() -> None: ...


@dg.asset(deps=[stg_shop__orders, stg_landing__web_sessions], group_name="marts_sales")
def fct_sessions() -> None: ...


@dg.asset(deps=[dg.AssetKey(["ecb", "euro_rates"])], group_name="staging_ecb")
def stg_ecb__euro_rates() -> None: ...


PAGE = dg.AssetSpec(["dashboard", "sales"], deps=[fct_sessions], group_name="dashboard")
SMALL_ASSETS = [
    raw,
    stg_landing__web_sessions,
    stg_landing__marketing_spend,
    stg_shop__orders,
    fct_sessions,
    stg_ecb__euro_rates,
    PAGE,
]


def small_defs() -> dg.Definitions:
    return automate(
        dg.Definitions(assets=SMALL_ASSETS, jobs=JOBS, schedules=SCHEDULES, sensors=SENSORS)
    )


def real_defs() -> dg.Definitions:
    """`orchestration.definitions.defs`, or a skip while the assets are not there yet."""
    try:
        from orchestration.definitions import defs
    except ModuleNotFoundError as exc:
        if exc.name != "orchestration.assets":
            raise
        pytest.skip("orchestration.assets is not merged yet: the real definitions are missing")
    return defs


# -- the landing sensor ----------------------------------------------------------------------


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty landing location of the test's own, configured as the landing source's."""
    folder = tmp_path / "landing"
    folder.mkdir()
    monkeypatch.setenv("SOURCES__LANDING__BUCKET_URL", folder.as_uri())
    return folder


def drop(landing: Path, table: str, name: str, text: str, mtime: float) -> Path:
    path = landing / table / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def evaluate(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    result = landing_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_a_dropped_file_runs_its_landing_table_and_what_dbt_builds_from_it(
    landing: Path,
) -> None:
    defs = small_defs()
    instance = dg.DagsterInstance.ephemeral()
    first = evaluate(defs, instance, None)
    assert first.run_requests == [] or first.run_requests is None

    mtime = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    drop(landing, "web_sessions", "day1.csv", "session_id\n1\n", mtime)
    drop(landing, "web_sessions", ".day2.csv.uploading", "session_id\n2\n", mtime)  # ignored
    (landing / "not_a_table").mkdir()
    (landing / "not_a_table" / "x.csv").write_text("a\n1\n")  # no table's glob: ignored
    dropped = evaluate(defs, instance, first.cursor)
    assert len(dropped.run_requests) == 1
    request = dropped.run_requests[0]
    expected = {
        dg.AssetKey(["landing", "web_sessions"]),
        dg.AssetKey("stg_landing__web_sessions"),
        dg.AssetKey("fct_sessions"),
    }
    assert set(request.asset_selection) == expected
    assert request.tags["dataops/landing_tables"] == "web_sessions"

    # the requested run runs, and materializes exactly that
    job = defs.resolve_implicit_global_asset_job_def()
    run = job.execute_in_process(instance=instance, asset_selection=request.asset_selection)
    assert run.success
    materialized = {event.asset_key for event in run.get_asset_materialization_events()}
    assert materialized == expected

    again = evaluate(defs, instance, dropped.cursor)
    assert not again.run_requests

    drop(landing, "web_sessions", "day1.csv", "session_id\n1\n3\n", mtime + 60)  # replaced
    replaced = evaluate(defs, instance, again.cursor)
    assert len(replaced.run_requests) == 1
    assert set(replaced.run_requests[0].asset_selection) == expected
    assert replaced.run_requests[0].run_key != request.run_key
    # a lost cursor update asks for the same run again, which its run key makes Dagster skip
    assert evaluate(defs, instance, again.cursor).run_requests[0].run_key == (
        replaced.run_requests[0].run_key
    )


def test_files_of_two_tables_dropped_together_start_one_run_of_both(landing: Path) -> None:
    defs = small_defs()
    instance = dg.DagsterInstance.ephemeral()
    mtime = datetime(2026, 1, 2, tzinfo=UTC).timestamp()
    drop(landing, "web_sessions", "a.csv", "session_id\n1\n", mtime)
    drop(landing, "marketing_spend", "b.csv", "spend_date\n2026-01-01\n", mtime)
    result = evaluate(defs, instance, None)
    assert len(result.run_requests) == 1
    assert set(result.run_requests[0].asset_selection) == {
        dg.AssetKey(["landing", "web_sessions"]),
        dg.AssetKey(["landing", "marketing_spend"]),
        dg.AssetKey("stg_landing__web_sessions"),
        dg.AssetKey("stg_landing__marketing_spend"),
        dg.AssetKey("fct_sessions"),
    }


def real_manifest() -> dict:
    """The dbt manifest the real definitions are made of (dbt's own graph)."""
    from orchestration.assets.project import manifest

    return manifest()


def dbt_key(node: dict) -> dg.AssetKey:
    """dagster-dbt's default key of a dbt node (the contract's)."""
    return DagsterDbtTranslator().get_asset_key(node)


def manifest_descendants(manifest: dict, table: str) -> set[str]:
    """The models, seeds and snapshots dbt builds from source landing.<table>."""
    source = next(
        unique_id
        for unique_id, node in manifest["sources"].items()
        if node["source_name"] == "landing" and node["name"] == table
    )
    found: set[str] = set()
    todo = [source]
    while todo:
        for child in manifest["child_map"][todo.pop()]:
            if child.split(".")[0] in {"model", "seed", "snapshot"} and child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.mark.parametrize("table", LANDING_TABLES)
def test_on_the_real_definitions_the_selection_is_the_table_and_its_dbt_descendants(
    landing: Path, table: str
) -> None:
    defs = real_defs()
    instance = dg.DagsterInstance.ephemeral()
    drop(landing, table, "drop.csv", "x\n", datetime(2026, 1, 2, tzinfo=UTC).timestamp())
    result = evaluate(defs, instance, None)
    assert len(result.run_requests) == 1
    selection = set(result.run_requests[0].asset_selection)
    manifest = real_manifest()
    expected = {dg.AssetKey(["landing", table])} | {
        dbt_key(manifest["nodes"][unique_id]) for unique_id in manifest_descendants(manifest, table)
    }
    assert selection - expected == set()
    assert expected - selection == set()


# -- the daily deploy ------------------------------------------------------------------------


def test_the_schedule_runs_the_deploy_job_on_the_deploy_workflows_cron() -> None:
    workflow = (REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert re.findall(r'cron: "([^"]+)"', workflow) == [DEPLOY_CRON]
    (schedule,) = SCHEDULES
    assert schedule.cron_schedule == DEPLOY_CRON
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "deploy"


def test_the_deploy_cron_and_timezone_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.automation.schedules import deploy_schedule

    monkeypatch.setenv("DATAOPS_DEPLOY_CRON", "30 6 * * 1-5")
    monkeypatch.setenv("DATAOPS_DEPLOY_TIMEZONE", "Europe/Berlin")
    schedule = deploy_schedule()
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "30 6 * * 1-5",
        "Europe/Berlin",
    )
    monkeypatch.setenv("DATAOPS_DEPLOY_TIMEZONE", "Mars/Olympus")
    with pytest.raises(DataOpsError, match="DATAOPS_DEPLOY_TIMEZONE: unknown time zone"):
        deploy_schedule()
    monkeypatch.setenv("DATAOPS_DEPLOY_TIMEZONE", "UTC")
    monkeypatch.setenv("DATAOPS_DEPLOY_CRON", "every morning")
    with pytest.raises(DataOpsError, match="DATAOPS_DEPLOY_CRON"):
        deploy_schedule()


@pytest.fixture
def dbt_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dbt target folder of the test's own, holding an earlier build's artifacts."""
    target = tmp_path / "target"
    (target / "dagster").mkdir(parents=True)
    an_hour_ago = time.time() - 3600
    for name in STATE_FILES:
        (target / name).write_text(json.dumps({"build": "earlier", "artifact": name}))
        os.utime(target / name, (an_hour_ago, an_hour_ago))
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    return target


def build_writing(folder: Callable[[AssetExecutionContext], Path], names: tuple[str, ...]):
    """An asset standing in for dbt's build: it writes `names` into `folder(context)`."""

    @dg.asset(deps=[fct_sessions], group_name="marts_sales")
    def dbt_build(context: AssetExecutionContext) -> None:
        target = folder(context)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            (target / name).write_text(json.dumps({"build": context.run_id, "artifact": name}))

    return dbt_build


def ancestors(graph: object, key: dg.AssetKey) -> set[dg.AssetKey]:
    """Every asset `key` depends on, directly or not."""
    found: set[dg.AssetKey] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def deploy(dbt_build: dg.AssetsDefinition) -> tuple[dg.Definitions, dg.ExecuteInProcessResult]:
    defs = automate(dg.Definitions(assets=[*SMALL_ASSETS, dbt_build], jobs=JOBS))
    result = defs.resolve_job_def("deploy").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    return defs, result


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATAOPS_DEPLOY_OUT, holding the state an earlier deploy published."""
    folder = tmp_path / "dist"
    (folder / "prod-state").mkdir(parents=True)
    (folder / "prod-state" / "manifest.json").write_text("last good")
    monkeypatch.setenv("DATAOPS_DEPLOY_OUT", str(folder))
    return folder


def test_the_deploy_job_builds_everything_then_publishes_the_runs_state(
    dbt_target: Path, out: Path
) -> None:
    # the run's manifest and run results in its own folder, its sources.json in the target
    in_run_folder = build_writing(
        lambda context: dbt_target / "dagster" / f"{context.run_id[:8]}-0a1b2c3",
        ("manifest.json", "run_results.json"),
    )
    defs, result = deploy(in_run_folder)
    assert result.success
    graph = defs.resolve_asset_graph()
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == graph.materializable_asset_keys
    # the publishing comes after every other asset
    assert ancestors(graph, PUBLISH_KEY) == graph.materializable_asset_keys - {PUBLISH_KEY}
    published = out / "prod-state"
    assert sorted(path.name for path in published.iterdir()) == [
        "manifest.json",
        "run_results.json",
    ]  # the earlier build's sources.json is not this run's
    for name in ("manifest.json", "run_results.json"):
        assert json.loads((published / name).read_text())["build"] == result.run_id

    in_target = build_writing(lambda context: dbt_target, STATE_FILES)
    _, result = deploy(in_target)
    assert result.success
    assert sorted(path.name for path in published.iterdir()) == sorted(STATE_FILES)
    for name in STATE_FILES:
        assert json.loads((published / name).read_text())["build"] == result.run_id


def test_a_run_whose_build_left_no_artifacts_publishes_nothing(dbt_target: Path, out: Path) -> None:
    _, result = deploy(build_writing(lambda context: dbt_target, ("sources.json",)))
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "no manifest.json, run_results.json" in failure.step_failure_data.error.cause.message
    assert sorted(path.name for path in (out / "prod-state").iterdir()) == ["manifest.json"]
    assert (out / "prod-state" / "manifest.json").read_text() == "last good"


def test_on_the_real_definitions_the_deploy_job_selects_every_asset_and_check() -> None:
    defs = real_defs()
    graph = defs.resolve_asset_graph()
    manifest = real_manifest()
    built = {
        dbt_key(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed", "snapshot"}
    }
    loaded = {
        dg.AssetKey([node["source_name"], node["name"]])
        for node in manifest["sources"].values()
        if node["source_name"] in pipeline.source_names()
    }
    (job,) = JOBS
    selected = job.selection.resolve(graph)
    pages = {key for key in selected if graph.get(key).group_name == "dashboard"}
    assert selected - pages == built | loaded | {PUBLISH_KEY}
    assert job.selection.resolve_checks(graph) == set(graph.asset_check_keys)
    assert any(key.name == "freshness" for key in graph.asset_check_keys)
    assert ancestors(graph, PUBLISH_KEY) >= built | loaded


# -- the Shop API's declarative automation ---------------------------------------------------


def requested(result: dg.EvaluateAutomationConditionsResult) -> set[dg.AssetKey]:
    graph = small_defs().resolve_asset_graph()
    return {key for key in graph.get_all_asset_keys() if result.get_requested_partitions(key)}


def test_the_shop_api_loads_on_its_cron_and_what_is_built_from_it_follows() -> None:
    defs = small_defs()
    instance = dg.DagsterInstance.ephemeral()
    start = datetime(2026, 1, 2, 10, 30, tzinfo=UTC)
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=start)
    assert requested(first) == set()
    tick = dg.evaluate_automation_conditions(
        defs=defs,
        instance=instance,
        cursor=first.cursor,
        evaluation_time=start + timedelta(hours=1),
    )
    # the shop's table and what is built from it alone, in one run; not the ECB, not landing
    assert requested(tick) == {dg.AssetKey(["shop", "orders"]), dg.AssetKey("stg_shop__orders")}
    assert tick.total_requested == 2
    for key in (
        ["shop", "orders"],
        ["stg_shop__orders"],
        ["landing", "web_sessions"],  # a landing run, meanwhile
        ["stg_landing__web_sessions"],
    ):
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    landed = dg.evaluate_automation_conditions(
        defs=defs,
        instance=instance,
        cursor=tick.cursor,
        evaluation_time=start + timedelta(hours=1, minutes=5),
    )
    # what waited for its landing parent follows once both are there; nothing else runs again
    assert requested(landed) == {dg.AssetKey("fct_sessions")}


def test_on_the_real_definitions_the_shop_tables_and_their_descendants_are_automated() -> None:
    graph = real_defs().resolve_asset_graph()
    shop = {key for key in graph.materializable_asset_keys if key.path[0] == "shop"}
    assert shop
    assert all(graph.get(key).automation_condition is not None for key in shop)
    ecb = {key for key in graph.materializable_asset_keys if key.path[0] in {"ecb", "landing"}}
    assert all(graph.get(key).automation_condition is None for key in ecb)


# -- the run-failure alert -------------------------------------------------------------------


@pytest.fixture
def webhook(
    fresh_database: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Receiver]:
    """A receiver for DATAOPS_ALERT_WEBHOOK, and the warehouse a throwaway database."""
    monkeypatch.setenv("DATABASE_URL", fresh_database.url())
    monkeypatch.delenv("DATAOPS_RUN_ID", raising=False)
    with receiving() as receiver:
        monkeypatch.setenv("DATAOPS_ALERT_WEBHOOK", receiver.url)
        yield receiver
    os.environ.pop("DATAOPS_RUN_ID", None)


@dg.asset
def broken() -> None:
    raise RuntimeError("the source answered 503")


@dg.asset
def recorded_and_broken(context: AssetExecutionContext) -> None:
    """Fails inside a pipeline function's recording, which alerts on its own."""
    from dataops.core.warehouse import resolve

    with step_history(context), pipeline.recorded("ingest", resolve()):
        raise DataOpsError("shop: the API answered 503")


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
def retried_and_broken(context: AssetExecutionContext) -> None:
    """Fails twice, each attempt inside a pipeline function's recording."""
    from dataops.core.warehouse import resolve

    with step_history(context), pipeline.recorded("ingest", resolve()):
        raise DataOpsError(f"shop: the API answered 503 (attempt {context.retry_number})")


def evaluate_alerts(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> str | None:
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return alert_on_run_failure.evaluate_tick(context).cursor


def failed_run(
    asset: dg.AssetsDefinition,
) -> tuple[dg.Definitions, dg.DagsterInstance, str | None, str]:
    """A failed run of `asset`, with the alert sensor started before it: the definitions, the
    instance, the sensor's cursor and the run id."""
    defs = dg.Definitions(assets=[asset], sensors=[alert_on_run_failure])
    instance = dg.DagsterInstance.ephemeral()
    cursor = evaluate_alerts(defs, instance, None)  # the sensor starts before the run
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, raise_on_error=False
    )
    assert not result.success
    return defs, instance, cursor, result.run_id


def history(settings: WarehouseSettings, dagster_run_id: str) -> list[tuple]:
    """The `pipeline_runs` rows of a Dagster run's steps."""
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select run_id, command, status from observability.pipeline_runs"
            " where run_id like %s order by 1, 2",
            (f"{dagster_run_id}%",),
        )
        return cursor.fetchall()


def test_a_failed_run_is_recorded_and_alerted_once(
    webhook: Receiver, fresh_database: WarehouseSettings
) -> None:
    defs, instance, cursor, run_id = failed_run(broken)
    cursor = evaluate_alerts(defs, instance, cursor)
    assert len(webhook.messages) == 1
    text = webhook.messages[0]["text"]
    assert f"{run_id}-broken" in text and "broken: RuntimeError: the source answered 503" in text
    assert history(fresh_database, run_id) == [(f"{run_id}-broken", "run", "failed")]
    evaluate_alerts(defs, instance, cursor)
    assert len(webhook.messages) == 1


def test_a_failure_the_pipeline_already_alerted_is_not_alerted_again(
    webhook: Receiver, fresh_database: WarehouseSettings
) -> None:
    defs, instance, cursor, run_id = failed_run(recorded_and_broken)
    assert len(webhook.messages) == 1  # the pipeline function's own alert
    assert "shop: the API answered 503" in webhook.messages[0]["text"]
    evaluate_alerts(defs, instance, cursor)
    assert len(webhook.messages) == 1
    assert history(fresh_database, run_id) == [
        (f"{run_id}-recorded_and_broken", "ingest", "failed")
    ]


@pytest.mark.slow  # a load and dbt source freshness
def test_on_the_real_definitions_a_step_records_its_history_under_its_own_run_id(
    landing: Path,
    fresh_database: WarehouseSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defs = real_defs()
    monkeypatch.setenv("DATABASE_URL", fresh_database.url())
    monkeypatch.setenv("DATAOPS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("DATAOPS_RUN_ID", "a-process-wide-id")  # what a step must not record under
    header = "session_id,customer_id,channel,device,started_at,pageviews,order_id\n"
    row = "1,2,email,mobile,2026-01-02T03:04:05Z,3,\n"
    drop(landing, "web_sessions", "day1.csv", header + row, time.time())
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey(["landing", "web_sessions"])],
    )
    assert result.success
    recorded = history(fresh_database, result.run_id)
    assert [row for row in recorded if row[1] == "ingest"] == [
        (f"{result.run_id}-ingest_landing", "ingest", "success")
    ]
    # every step (the freshness check's too) records under its own id, none under the process's
    steps = {row[0].removeprefix(f"{result.run_id}-") for row in recorded}
    assert len(steps) == len(recorded)
    assert history(fresh_database, "a-process-wide-id") == []


def test_each_attempt_of_a_retried_step_records_and_alerts_on_its_own(
    webhook: Receiver, fresh_database: WarehouseSettings
) -> None:
    defs, instance, cursor, run_id = failed_run(retried_and_broken)
    step = f"{run_id}-retried_and_broken"
    assert history(fresh_database, run_id) == [
        (step, "ingest", "failed"),
        (f"{step}-1", "ingest", "failed"),
    ]
    assert len(webhook.messages) == 2  # each attempt's own
    evaluate_alerts(defs, instance, cursor)
    assert len(webhook.messages) == 2
