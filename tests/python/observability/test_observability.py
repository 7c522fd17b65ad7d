"""Run history, alerts and `dataops status` on a built warehouse.

A local HTTP server stands in for the chat webhook (`support.webhook`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.raw import duplicate_customer, stale_ecb
from support.warehouse import Warehouse, throwaway_database
from support.webhook import Receiver, receiving

from dataops import alerts, observability
from dataops.core.warehouse import WarehouseSettings


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


def test_a_clean_run_is_recorded_and_sends_no_alert(
    built_warehouse: Warehouse, webhook: Receiver
) -> None:
    w = built_warehouse
    run_id = f"clean-{uuid.uuid4().hex[:6]}"
    w.dataops(
        "transform",
        "--",
        "--select",
        "stg_shop__customers",
        DATAOPS_ALERT_WEBHOOK=webhook.url,
        DATAOPS_RUN_ID=run_id,
    )
    assert (
        w.scalar("select status from observability.pipeline_runs where run_id = %s", (run_id,))
        == "success"
    )
    passed = w.scalar(
        "select count(*) from observability.dbt_nodes where run_id = %s and status = 'pass'",
        (run_id,),
    )
    assert passed >= 2  # unique and not_null on the key at least
    assert webhook.messages == []


def test_a_failing_dbt_test_is_recorded_and_alerted_exactly_once(
    built_warehouse: Warehouse, webhook: Receiver
) -> None:
    w = built_warehouse
    run_id = f"failing-{uuid.uuid4().hex[:6]}"
    with duplicate_customer(w):
        result = w.dataops(
            "transform",
            "--",
            "--select",
            "stg_shop__customers",
            check=False,
            DATAOPS_ALERT_WEBHOOK=webhook.url,
            DATAOPS_RUN_ID=run_id,
        )
    assert result.returncode != 0
    failed = w.scalar(
        "select string_agg(name, ',') from observability.dbt_nodes"
        " where run_id = %s and status = 'fail'",
        (run_id,),
    )
    assert failed == "unique_stg_shop__customers_customer_id"
    assert (
        w.scalar("select status from observability.pipeline_runs where run_id = %s", (run_id,))
        == "failed"
    )
    assert len(webhook.messages) == 1
    text = webhook.messages[0]["text"]
    assert run_id in text and "unique_stg_shop__customers_customer_id" in text
    # asking again for the same run sends nothing more
    assert alerts.send(w.settings, run_id, webhook.url) == []
    assert len(webhook.messages) == 1


def test_a_stale_source_fails_freshness_turns_status_red_and_alerts(
    built_warehouse: Warehouse, webhook: Receiver
) -> None:
    w = built_warehouse
    with stale_ecb(w):
        result = w.dataops("freshness", check=False, DATAOPS_ALERT_WEBHOOK=webhook.url)
        status = w.dataops("status", check=False)
    assert result.returncode == 1
    assert (
        result.stderr.strip().splitlines()[-1] == "error: source freshness failed: ecb.euro_rates"
    )
    assert status.returncode == 1
    stale_lines = [line for line in status.stdout.splitlines() if "ecb.euro_rates" in line]
    assert stale_lines and stale_lines[0].split()[0] == "ERROR"
    assert "Overall: RED" in status.stdout
    assert len(webhook.messages) == 1
    assert "source `ecb.euro_rates`: stale" in webhook.messages[0]["text"]
    # fresh again: status is green once freshness passes
    w.dataops("freshness")
    assert "Overall: green" in w.dataops("status").stdout


def test_a_row_count_far_below_the_median_is_flagged(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    insert = (
        "insert into observability.ingestion_tables (run_id, _dlt_id, source, table_name,"
        " status, rows_loaded, rows_rejected, started_at, finished_at)"
        " values (%s, %s, 'shop', 'anomaly_probe', 'success', %s, 0,"
        " now() + make_interval(days => %s), now() + make_interval(days => %s))"
    )
    runs = [(f"probe-{day}", rows) for day, rows in enumerate([100, 97, 103, 99, 101, 8], 1)]
    try:
        for day, (run_id, rows) in enumerate(runs, 1):
            w.execute(insert, (run_id, uuid.uuid4().hex, rows, day, day))
        flagged = w.scalar(
            "select string_agg(run_id, ',' order by run_id) from marts.rpt_data_health_row_counts"
            " where table_name = 'anomaly_probe' and is_anomaly"
        )
        status = w.dataops("status", check=False)
    finally:
        w.execute("delete from observability.ingestion_tables where table_name = 'anomaly_probe'")
    assert flagged == "probe-6"
    assert "ANOMALY shop.anomaly_probe: 8 rows against a median of 100.0" in status.stdout


def test_rejected_rows_are_recorded_per_table(built_warehouse: Warehouse) -> None:
    w = built_warehouse
    landing = w.state_dir / "demo" / "landing" / "marketing_spend"
    (landing / "probe_rejects.csv").write_text(
        "spend_date,channel,campaign,spend_eur,impressions,clicks\n"
        "2031-01-01,affiliate,probe,1.00,10,1\n"
        "2031-01-01,email,probe,not-a-number,10,1\n"
        "2031-01-02,affiliate,probe,2.00,10,1\n"
    )
    run_id = f"rejects-{uuid.uuid4().hex[:6]}"
    w.dataops(
        "ingest", "landing", DATAOPS_RUN_ID=run_id, SOURCES__LANDING__MAX_REJECTED_SHARE="0.9"
    )
    recorded = w.scalar(
        "select string_agg(table_name || ':' || rows_loaded || ':' || rows_rejected, ',')"
        " from observability.ingestion_tables where run_id = %s",
        (run_id,),
    )
    assert recorded == "marketing_spend:2:1"
    assert (
        w.scalar(
            "select rows_rejected from marts.rpt_data_health_runs where run_id = %s", (run_id,)
        )
        == 1
    )


def history_tables(settings: WarehouseSettings) -> set[str]:
    connection = settings.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                (observability.SCHEMA,),
            )
            return {name for (name,) in cursor.fetchall()}
    finally:
        connection.close()


def test_dataops_dbt_alone_creates_the_history_tables(fresh_warehouse: Warehouse) -> None:
    assert history_tables(fresh_warehouse.settings) == set()
    fresh_warehouse.dataops("dbt", "debug")
    assert history_tables(fresh_warehouse.settings) == set(observability.TABLES)


def test_the_history_tables_are_checked_once_per_process_and_database(
    server_connection: WarehouseSettings,
) -> None:
    with (
        throwaway_database(server_connection, "test") as first,
        throwaway_database(server_connection, "test") as second,
    ):
        observability.ensure_tables(first)
        assert history_tables(first) == set(observability.TABLES)
        # asked again, it does not go back to the database: connecting would fail, it is gone
        first.drop_database()
        observability.ensure_tables(first)
        # another database of the same server is checked on its own
        observability.ensure_tables(second)
        assert history_tables(second) == set(observability.TABLES)


def test_history_rows_are_appended_typed_and_a_stray_key_writes_nothing(
    server_connection: WarehouseSettings, tmp_path: Path
) -> None:
    with throwaway_database(server_connection, "test") as db:
        w = Warehouse(db, tmp_path)
        started = "2026-01-02T03:04:05.678Z"  # as dbt's run_results.json gives times
        row = {"run_id": "r1", "command": "transform", "status": "success", "started_at": started}
        observability.load(db, "pipeline_runs", [row, {**row, "run_id": "r2", "error": "x"}])
        observability.load(db, "pipeline_runs", [])
        rows = w.rows(
            "select run_id, error, extract(epoch from started_at), _dlt_id"
            " from observability.pipeline_runs order by run_id"
        )
        assert [(r[0], r[1], float(r[2])) for r in rows] == [
            ("r1", None, 1767323045.678),
            ("r2", "x", 1767323045.678),
        ]
        assert len({r[3] for r in rows}) == 2 and all(len(r[3]) == 32 for r in rows)
        # a key the table has no column for is refused before anything is written
        with pytest.raises(ValueError, match="pipeline_runs has no column comand"):
            observability.load(db, "pipeline_runs", [row, {"run_id": "r3", "comand": "x"}])
        assert w.scalar("select count(*) from observability.pipeline_runs") == 2
