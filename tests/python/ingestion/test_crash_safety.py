"""SIGKILL in the middle of a load, then run again: every record is in staging exactly once.

The test holds a lock on `raw_shop.payments`, so the load blocks there after other tables of
the same load have committed; it then kills `dataops ingest shop` with SIGKILL, as a crash
or an out-of-memory kill would. Staging must show none of the dead load's rows; the next run
(with the local pipeline state kept, and again with it deleted, as on a fresh CI runner)
must bring staging to exactly the shop's records.

The landing files get the same treatment, blocked on `raw_landing._loaded_files` after the
rows of a corrected file have committed: staging keeps showing the file's earlier version
until a load of the new one completes, and then shows it once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.ingest import DemoShop, raw_keys
from support.warehouse import DATAOPS, Warehouse

from dataops.core.paths import REPO_ROOT

STAGING = ("stg_shop__customers", "stg_shop__orders", "stg_shop__order_items", "stg_shop__payments")
DEADLINE_SECONDS = 180


# rows in raw whose load never completed
INCOMPLETE_SHOP_ROWS = (
    "select (select count(*) from raw_shop.orders where _dlt_load_id not in"
    " (select load_id from raw_shop._dlt_loads where status = 0))"
    " + (select count(*) from raw_shop.customers where _dlt_load_id not in"
    " (select load_id from raw_shop._dlt_loads where status = 0))"
)


def incomplete_rows(w: Warehouse) -> int:
    """Rows in raw whose load never completed."""
    return w.rows(INCOMPLETE_SHOP_ROWS)[0][0]


def kill_blocked_load(
    w: Warehouse, env: dict[str, str], source: str, locked_table: str, committed: str
) -> None:
    """Run `dataops ingest <source>` until it is blocked on `locked_table` with rows committed
    (`committed`, a count, above zero), then SIGKILL it."""
    blocker = w.settings.connect()
    try:
        with blocker.cursor() as cursor:
            cursor.execute(f"lock table {locked_table} in access exclusive mode")
        process = subprocess.Popen(
            [DATAOPS, "ingest", source],
            cwd=REPO_ROOT,
            env=w.env(**env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            started = time.monotonic()
            while not (blocked_backends(w) and w.rows(committed)[0][0]):
                if process.poll() is not None:
                    pytest.fail(f"ingestion ended before it blocked: {process.stderr.read()}")
                if time.monotonic() - started > DEADLINE_SECONDS:
                    pytest.fail("the load never reached the locked table")
                time.sleep(0.1)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            process.stderr.close()
        # the dead process's connection would be dropped; a blocked backend notices only later
        for pid in blocked_backends(w):
            w.rows("select pg_terminate_backend(%s)", (pid,))
    finally:
        blocker.rollback()
        blocker.close()


def kill_mid_load(w: Warehouse, env: dict[str, str]) -> None:
    """Run the shop ingestion until it is blocked mid-load with tables committed, then
    SIGKILL it."""
    kill_blocked_load(w, env, "shop", "raw_shop.payments", INCOMPLETE_SHOP_ROWS)


def blocked_backends(w: Warehouse) -> list[int]:
    return [
        pid
        for (pid,) in w.rows(
            "select distinct locks.pid from pg_locks as locks"
            " join pg_stat_activity as activity on activity.pid = locks.pid"
            " where not locks.granted and activity.datname = current_database()",
        )
    ]


def staging_keys(w: Warehouse) -> dict[str, list]:
    return {
        "customers": [r[0] for r in w.rows("select customer_id from staging.stg_shop__customers")],
        "orders": [r[0] for r in w.rows("select order_id from staging.stg_shop__orders")],
        "lines": w.rows("select order_id, line_number from staging.stg_shop__order_items"),
        "payments": [r[0] for r in w.rows("select payment_id from staging.stg_shop__payments")],
    }


def assert_staging_is_the_shop(w: Warehouse, shop: DemoShop) -> None:
    """Every record of the shop in staging, once; nothing else."""
    found = staging_keys(w)
    expected = {
        "customers": shop.keys("customers", "customer_id"),
        "orders": shop.keys("orders", "order_id"),
        "lines": shop.line_keys(),
        "payments": shop.keys("payments", "payment_id"),
    }
    for name, keys in found.items():
        assert len(keys) == len(set(keys)), f"{name}: duplicates in staging"
        assert set(keys) - expected[name] == set(), f"{name}: unexpected keys in staging"
        assert expected[name] - set(keys) == set(), f"{name}: keys missing from staging"


@pytest.mark.parametrize("local_state", ["kept", "deleted"])
def test_a_load_killed_midway_leaves_staging_exactly_once_after_the_next_run(
    fresh_warehouse: Warehouse, shop: DemoShop, local_state: str
) -> None:
    w = fresh_warehouse
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())
    built = w.dataops("dbt", "run", "--select", *STAGING, check=False)
    assert built.returncode == 0, built.stdout[-3000:]
    assert_staging_is_the_shop(w, shop)
    completed = w.rows("select load_id from raw_shop._dlt_loads where status = 0")

    shop.advance(50)  # new records and late changes to ones already loaded
    with shop.serve() as api:
        kill_mid_load(w, api.env())

    # the dead load committed some tables, yet staging shows none of it and no duplicates
    assert incomplete_rows(w) > 0
    assert w.rows("select load_id from raw_shop._dlt_loads where status = 0") == completed
    dead_load = {
        row[0]
        for row in w.rows(
            "select distinct _dlt_load_id from raw_shop.orders where _dlt_load_id not in"
            " (select load_id from raw_shop._dlt_loads)",
        )
    }
    assert raw_keys(w, "staging.stg_shop__orders", "load_id") & dead_load == set()
    for name, keys in staging_keys(w).items():
        assert len(keys) == len(set(keys)), name
    with pytest.raises(AssertionError, match="keys missing from staging"):
        assert_staging_is_the_shop(w, shop)  # the new records are only in the dead load

    if local_state == "deleted":
        shutil.rmtree(w.state_dir / "dlt")
    with shop.serve() as api:
        w.dataops("ingest", "shop", **api.env())

    assert_staging_is_the_shop(w, shop)
    assert len(w.rows("select load_id from raw_shop._dlt_loads where status = 0")) > len(completed)


# -- landing files ------------------------------------------------------------------------------

SPEND_HEADER = "spend_date,channel,campaign,spend_eur,impressions,clicks\n"


def staged_spend(w: Warehouse) -> list[tuple[str, float]]:
    """Build the landing staging models; (campaign, spend) in staging, with repeats."""
    built = w.dataops(
        "dbt",
        "run",
        "--select",
        "stg_landing__loaded_files",
        "stg_landing__marketing_spend",
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    return sorted(
        (campaign, float(spend))
        for campaign, spend in w.rows(
            "select campaign, spend_eur from staging.stg_landing__marketing_spend"
        )
    )


def kill_landing_mid_load(w: Warehouse, env: dict[str, str]) -> None:
    """Run the landing ingestion until its rows are committed but the load is blocked on
    `_loaded_files`, then SIGKILL it."""
    incomplete = (
        "select count(*) from raw_landing.marketing_spend where _dlt_load_id not in"
        " (select load_id from raw_landing._dlt_loads where status = 0)"
    )
    kill_blocked_load(w, env, "landing", "raw_landing._loaded_files", incomplete)


@pytest.mark.parametrize("local_state", ["kept", "deleted"])
def test_a_landing_load_killed_midway_shows_each_file_once_after_the_next_run(
    fresh_warehouse: Warehouse, tmp_path: Path, local_state: str
) -> None:
    w = fresh_warehouse
    folder = tmp_path / "landing" / "marketing_spend"
    folder.mkdir(parents=True)
    env = {"SOURCES__LANDING__BUCKET_URL": folder.parent.as_uri()}
    day1 = folder / "day1.csv"
    day1.write_text(SPEND_HEADER + "2025-01-01,email,a,1.00,1,1\n2025-01-01,email,b,2.00,2,2\n")
    w.dataops("ingest", "landing", **env)
    assert staged_spend(w) == [("a", 1.0), ("b", 2.0)]

    # a corrected day1 and a new day2, whose rows commit before the load is killed
    day1.write_text(SPEND_HEADER + "2025-01-01,email,a,1.50,1,1\n2025-01-01,email,c,3.00,3,3\n")
    later = day1.stat().st_mtime + 60
    os.utime(day1, (later, later))
    (folder / "day2.csv").write_text(SPEND_HEADER + "2025-01-02,email,x,9.00,9,9\n")
    kill_landing_mid_load(w, env)

    assert w.rows("select count(*) from raw_landing.marketing_spend")[0][0] > 2
    assert staged_spend(w) == [("a", 1.0), ("b", 2.0)]  # the dead load is invisible

    if local_state == "deleted":
        shutil.rmtree(w.state_dir / "dlt")
    w.dataops("ingest", "landing", **env)

    assert staged_spend(w) == [("a", 1.5), ("c", 3.0), ("x", 9.0)]
