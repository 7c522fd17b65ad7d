"""The landing source on a folder of drops: every format, quarantine, corrected files, drift.

Each test writes its own drops, loads them with `dataops ingest landing` (a subprocess) into
its own database and compares the keys in raw, and the rejected lines, with what the files
hold, both ways.
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from support.ingest import last_line, raw_keys
from support.warehouse import Warehouse

SPEND_HEADER = "spend_date,channel,campaign,spend_eur,impressions,clicks\n"


def drop(folder: Path, relative: str, content: bytes | str, *, age: float = 0) -> Path:
    """Write a file drop; `age` seconds in the past (to order modification times)."""
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    if age:
        stamp = path.stat().st_mtime - age
        os.utime(path, (stamp, stamp))
    return path


def touch_later(path: Path, seconds: float = 5) -> None:
    """A newer modification time, as a corrected file dropped again has."""
    stamp = path.stat().st_mtime + seconds
    os.utime(path, (stamp, stamp))


def ingest(w: Warehouse, landing: Path, *, share: str = "1", check: bool = True):
    return w.dataops(
        "ingest",
        "landing",
        check=check,
        SOURCES__LANDING__BUCKET_URL=landing.as_uri(),
        SOURCES__LANDING__MAX_REJECTED_SHARE=share,
    )


def rejects(w: Warehouse) -> dict[tuple[str, int | None], str]:
    return {
        (origin, number): error
        for origin, number, error in w.rows(
            "select origin, record_number, error from raw_landing._rejected_rows"
        )
    }


def xlsx(records: list[tuple]) -> bytes:
    workbook = Workbook()
    for record in records:
        workbook.active.append(record)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """One drop of each format, each with good records and every kind of bad one."""
    folder = tmp_path / "landing"
    csv = (
        SPEND_HEADER
        + "2025-01-01,email,a,10.50,100,5\n"  # 2
        + "2025-01-01,email,b,ten,100,5\n"  # 3: not a number
        + "2025-01-01,email,c,1.00,2\n"  # 4: a field missing
        + "2025-01-01,email,d,1.00,2,3,4\n"  # 5: a field too many
        + "2025-02-30,email,e,1.00,2,3\n"  # 6: not a date
        + ",email,f,1.00,2,3\n"  # 7: no key
        + "\n"  # 8: blank, skipped
        + "2025-01-02,email,g,3.25,40,2\n"  # 9
    ).encode() + b"2025-01-02,e\xffmail,h,1.00,2,3\n"  # 10: bad UTF-8
    drop(folder, "marketing_spend/spend_2025-01-02.csv", csv)
    reviews = [
        json.dumps({"review_id": 1, "order_id": 7, "rating": 5, "reviewed_at": "2025-01-03"}),
        '{"review_id": 2, "rating": ',  # 2: invalid JSON
        json.dumps({"review_id": 3, "rating": "five"}),  # 3: not an integer
        "[1, 2]",  # 4: not an object
        json.dumps({"rating": 4}),  # 5: no key
        json.dumps({"review_id": 6, "rating": 4, "title": "Nice fit"}),
    ]
    drop(
        folder,
        "product_reviews/reviews_2025-01-03.jsonl",
        "\n".join(reviews).encode() + b'\n{"review_id": 7, "title": "\xff"}\n',  # 7: bad UTF-8
    )
    sessions = pa.table(
        {
            "session_id": pa.array([1, 2, None, 4], pa.int64()),  # 3: no key
            "channel": ["email", "direct", "email", "direct"],
            "pageviews": ["3", "x", "5", "1"],  # 2: not an integer
            "started_at": ["2025-01-01T10:00:00Z", "2025-01-01 11:00:00", None, None],
        }
    )
    parquet = io.BytesIO()
    pq.write_table(sessions, parquet)
    drop(folder, "web_sessions/sessions.parquet", parquet.getvalue())
    drop(folder, "web_sessions/broken.parquet", b"PAR1 not really parquet")
    drop(folder, "web_sessions/readme.txt", "what these files are")
    drop(folder, "web_sessions/.sessions.parquet.tmp", b"half written")
    drop(
        folder,
        "sales_targets/targets_2025-01.xlsx",
        xlsx(
            [
                ("target_month", "channel", "target_orders", "target_revenue_eur"),
                ("2025-01-01", "email", 120, 9600.0),
                ("2025-01-01", "direct", "lots", 100.0),  # 3: not an integer
                (None, None, None, None),  # 4: empty, skipped
                ("2025-01-01", "affiliate", 40, 3200),
            ]
        ),
    )
    return folder


EXPECTED_REJECTS = {
    ("marketing_spend/spend_2025-01-02.csv", 3),
    ("marketing_spend/spend_2025-01-02.csv", 4),
    ("marketing_spend/spend_2025-01-02.csv", 5),
    ("marketing_spend/spend_2025-01-02.csv", 6),
    ("marketing_spend/spend_2025-01-02.csv", 7),
    ("marketing_spend/spend_2025-01-02.csv", 10),
    ("product_reviews/reviews_2025-01-03.jsonl", 2),
    ("product_reviews/reviews_2025-01-03.jsonl", 3),
    ("product_reviews/reviews_2025-01-03.jsonl", 4),
    ("product_reviews/reviews_2025-01-03.jsonl", 5),
    ("product_reviews/reviews_2025-01-03.jsonl", 7),
    ("web_sessions/sessions.parquet", 2),
    ("web_sessions/sessions.parquet", 3),
    ("web_sessions/broken.parquet", None),
    ("web_sessions/readme.txt", None),
    ("sales_targets/targets_2025-01.xlsx", 3),
}


def assert_good_rows_loaded(w: Warehouse) -> None:
    assert raw_keys(w, "raw_landing.marketing_spend", "campaign") == {"a", "g"}
    assert raw_keys(w, "raw_landing.product_reviews", "review_id") == {1, 6}
    assert raw_keys(w, "raw_landing.web_sessions", "session_id") == {1, 4}
    assert raw_keys(w, "raw_landing.sales_targets", "channel") == {"email", "affiliate"}


def test_every_bad_record_is_quarantined_the_good_ones_load_and_dbt_warns(
    fresh_warehouse: Warehouse, landing: Path
) -> None:
    # a file rejected whole turns the run red whatever the share; the rest still loads
    result = ingest(fresh_warehouse, landing, share="0.9", check=False)
    assert result.returncode == 1
    assert last_line(result.stderr).startswith(
        "error: landing: 2 file(s) rejected whole: web_sessions/broken.parquet (unreadable: "
    )
    assert "; web_sessions/readme.txt (not a .csv, " in last_line(result.stderr)

    found = rejects(fresh_warehouse)
    assert set(found) == EXPECTED_REJECTS
    assert found[("marketing_spend/spend_2025-01-02.csv", 3)] == "spend_eur: 'ten' is not a number"
    assert found[("marketing_spend/spend_2025-01-02.csv", 4)] == "expected 6 fields, found 5"
    assert found[("marketing_spend/spend_2025-01-02.csv", 10)] == "channel: not valid UTF-8"
    assert found[("product_reviews/reviews_2025-01-03.jsonl", 2)].startswith("invalid JSON")
    assert found[("web_sessions/sessions.parquet", 3)] == "session_id: missing"
    assert found[("web_sessions/broken.parquet", None)].startswith("unreadable: ")
    assert found[("web_sessions/readme.txt", None)].startswith("not a .csv, ")
    raw = dict(
        fresh_warehouse.rows(
            "select record_number, raw_text from raw_landing._rejected_rows"
            " where origin like 'marketing_spend/%'",
        )
    )
    assert raw[3] == "2025-01-01,email,b,ten,100,5"
    assert raw[10] == "2025-01-02,e\\xffmail,h,1.00,2,3"
    assert_good_rows_loaded(fresh_warehouse)
    # declared types hold whatever the format carried
    assert fresh_warehouse.rows(
        "select session_id, pageviews, started_at from raw_landing.web_sessions"
        " order by session_id",
    ) == [(1, 3, datetime(2025, 1, 1, 10, tzinfo=UTC)), (4, 1, None)]

    # dbt warns on any reject, and fails above 100
    w = fresh_warehouse
    select = ("dbt", "test", "--select", "source:landing._rejected_rows")

    warned = w.dataops(*select, check=False)

    assert warned.returncode == 0, warned.stdout[-2000:]
    assert f"WARN {len(EXPECTED_REJECTS)} no_rejected_rows_in_raw_landing" in warned.stdout
    w.execute(
        "insert into raw_landing._rejected_rows"
        " (reject_id, table_name, origin, record_number, error, _dlt_load_id, _dlt_id)"
        " select 'r' || n, 'marketing_spend', 'marketing_spend/big.csv', n, 'bad', 'l', 'd' || n"
        " from generate_series(1, 100) as n"
    )
    failed = w.dataops(*select, check=False)
    assert failed.returncode != 0
    assert f"FAIL {len(EXPECTED_REJECTS) + 100} no_rejected_rows_in_raw_landing" in failed.stdout


def test_more_rejects_than_allowed_turn_the_run_red_after_loading(
    fresh_warehouse: Warehouse, landing: Path
) -> None:
    result = ingest(fresh_warehouse, landing, share="0.5", check=False)

    assert result.returncode == 1
    assert last_line(result.stderr).startswith(
        f"error: landing: {len(EXPECTED_REJECTS)} of 24 records rejected (66.7%),"
        " above sources.landing.max_rejected_share 50.0%"
    )
    assert set(rejects(fresh_warehouse)) == EXPECTED_REJECTS
    assert_good_rows_loaded(fresh_warehouse)


STAGED_SPEND = ("stg_landing__loaded_files", "stg_landing__marketing_spend")


def staged_campaigns(w: Warehouse) -> list[str]:
    """Build the landing staging models; the campaigns in staging, with repeats."""
    built = w.dataops("dbt", "run", "--select", *STAGED_SPEND, check=False)
    assert built.returncode == 0, built.stdout[-3000:]
    return [row[0] for row in w.rows("select campaign from staging.stg_landing__marketing_spend")]


def test_a_corrected_file_replaces_its_rows_and_rejects_and_other_files_load_once(
    fresh_warehouse: Warehouse, tmp_path: Path
) -> None:
    w = fresh_warehouse
    folder = tmp_path / "landing"
    first = drop(
        folder,
        "marketing_spend/day1.csv",
        SPEND_HEADER
        + "2025-01-01,email,a,1.00,10,1\n"
        + "2025-01-01,email,b,2.00,20,2\n"
        + "2025-01-01,email,c,oops,30,3\n"
        + "2025-01-01,email,d,4.00,40,4\n",
        age=60,
    )
    drop(folder, "marketing_spend/day2.csv", SPEND_HEADER + "2025-01-02,email,x,9.00,90,9\n")
    emptied = drop(
        folder, "marketing_spend/day4.csv", SPEND_HEADER + "2025-01-04,email,z,1.00,1,1\n"
    )
    ingest(w, folder)
    assert sorted(staged_campaigns(w)) == ["a", "b", "d", "x", "z"]
    assert set(rejects(w)) == {("marketing_spend/day1.csv", 4)}
    day2_load = w.rows("select _dlt_load_id from raw_landing.marketing_spend where campaign='x'")

    first.write_text(
        SPEND_HEADER + "2025-01-01,email,a,1.50,10,1\n" + "2025-01-01,email,c,3.00,30,3\n"
    )
    touch_later(first, 120)
    emptied.write_text(SPEND_HEADER)  # corrected to no rows at all
    touch_later(emptied, 120)
    drop(folder, "marketing_spend/day3.csv", SPEND_HEADER + "2025-01-03,email,y,1.00,1,1\n")
    ingest(w, folder)

    # the second load read day1, day3 and day4 again, not day2
    latest = w.rows(
        "select source_file, row_count, rejected_count from raw_landing._loaded_files"
        " where _dlt_load_id = (select max(load_id) from raw_landing._dlt_loads)",
    )
    assert sorted(latest) == [
        ("marketing_spend/day1.csv", 2, 0),
        ("marketing_spend/day3.csv", 1, 0),
        ("marketing_spend/day4.csv", 0, 0),
    ]
    # staging shows each file's newest version, once; raw keeps the earlier ones
    assert sorted(staged_campaigns(w)) == ["a", "c", "x", "y"]
    assert w.rows(
        "select spend_eur from staging.stg_landing__marketing_spend where campaign = 'a'"
    ) == [(Decimal("1.50"),)]
    assert w.rows(
        "select count(distinct _dlt_load_id) from raw_landing.marketing_spend where campaign = 'a'",
    ) == [(2,)]
    assert rejects(w) == {}
    assert w.rows(
        "select load_id from staging.stg_landing__marketing_spend where campaign='x'"
    ) == (day2_load)


def test_new_columns_evolve_and_a_type_change_stops_the_load(
    fresh_warehouse: Warehouse, tmp_path: Path
) -> None:
    w = fresh_warehouse
    folder = tmp_path / "landing"
    review = {"review_id": 1, "rating": 5, "helpful_votes": 3}
    drop(folder, "product_reviews/r1.jsonl", json.dumps(review) + "\n", age=60)
    with_coupon = SPEND_HEADER.replace("\n", ",coupon\n") + "2025-01-01,email,a,1,1,1,X\n"
    drop(folder, "marketing_spend/s1.csv", with_coupon)
    ingest(w, folder)
    columns = dict(
        w.rows(
            "select table_name || '.' || column_name, data_type from information_schema.columns"
            " where table_schema = 'raw_landing' and column_name in ('helpful_votes', 'coupon')",
        )
    )
    assert columns == {
        "product_reviews.helpful_votes": "bigint",
        "marketing_spend.coupon": "character varying",
    }
    loads = w.rows("select load_id from raw_landing._dlt_loads")

    other_type = {**review, "review_id": 2, "helpful_votes": "many"}
    changed = drop(folder, "product_reviews/r2.jsonl", json.dumps(other_type) + "\n")
    failed = ingest(w, folder, check=False)

    assert failed.returncode == 1
    assert last_line(failed.stderr).startswith(
        "error: landing: table raw_landing.product_reviews, column helpful_votes:"
        " type changed from bigint to text; nothing was loaded"
    )
    assert w.rows("select load_id from raw_landing._dlt_loads") == loads
    assert raw_keys(w, "raw_landing.product_reviews", "review_id") == {1}

    changed.write_text(json.dumps({**review, "review_id": 2, "helpful_votes": 4}) + "\n")
    touch_later(changed)
    ingest(w, folder)
    assert raw_keys(w, "raw_landing.product_reviews", "review_id") == {1, 2}
    assert w.rows(
        "select count(*) from information_schema.columns where table_schema like 'raw\\_%'"
        " and column_name like '%\\_\\_v\\_%'",
    ) == [(0,)]


def test_a_file_of_many_row_groups_loads_every_row_once(
    fresh_warehouse: Warehouse, tmp_path: Path
) -> None:
    """A Parquet load file goes to PostgreSQL as a stream of batches (ingestion/dlt_seams.py,
    so memory does not grow with the file; `make bench` measures that, as B1m): written in row
    groups of 500 rows, a 5,000-row drop arrives whole, each row once, in one load."""
    from bench.ingest import sessions, write_csv

    w = fresh_warehouse
    write_csv(sessions(5_000), tmp_path / "landing" / "web_sessions" / "big.csv")
    w.dataops(
        "ingest",
        "landing",
        SOURCES__LANDING__BUCKET_URL=(tmp_path / "landing").as_uri(),
        DATA_WRITER__ROW_GROUP_SIZE="500",
    )
    assert raw_keys(w, "raw_landing.web_sessions", "session_id") == set(range(1, 5_001))
    assert w.rows(
        "select count(*), count(distinct _dlt_load_id) from raw_landing.web_sessions"
    ) == [(5_000, 1)]


def test_parquet_load_files_are_copied_as_a_stream_and_a_changed_dlt_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dlt.destinations.impl.postgres import postgres as dlt_postgres

    from ingestion.dlt_seams import StreamedParquetCopyJob, stream_parquet_copies

    original = dlt_postgres.PostgresParquetCopyJob
    # a dlt whose job lacks what the streamed job builds on
    monkeypatch.setattr(dlt_postgres, "PostgresParquetCopyJob", type("OtherJob", (), {}))
    with pytest.raises(RuntimeError, match="adapt StreamedParquetCopyJob"):
        stream_parquet_copies()
    monkeypatch.setattr(dlt_postgres, "PostgresParquetCopyJob", original)
    stream_parquet_copies()
    assert dlt_postgres.PostgresParquetCopyJob is StreamedParquetCopyJob


def test_an_unclosed_quote_rejects_its_line_and_the_lines_after_it_load(
    fresh_warehouse: Warehouse, tmp_path: Path
) -> None:
    """The tester's case: a 300-line file with `"c4_unclosed` on one line loaded 150 rows."""
    lines = [f"2025-01-01,email,c{n},1.00,10,1\n" for n in range(1, 301)]
    lines[3] = '2025-01-01,email,"c4_unclosed,1.00,10,1\n'
    drop(tmp_path / "landing", "marketing_spend/spend.csv", SPEND_HEADER + "".join(lines))

    ingest(fresh_warehouse, tmp_path / "landing", share="0.01")

    assert rejects(fresh_warehouse) == {("marketing_spend/spend.csv", 5): "unclosed quote"}
    assert len(raw_keys(fresh_warehouse, "raw_landing.marketing_spend", "campaign")) == 299
    assert fresh_warehouse.rows(
        "select row_count, rejected_count from raw_landing._loaded_files"
    ) == [(299, 1)]


def _sessions_without_key(rows: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"channel": ["email"] * rows}), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("relative", "content", "error"),
    [
        ("web_sessions/no_key.parquet", _sessions_without_key(300), "unreadable: no column"),
        ("sales_targets/empty.xlsx", b"", "unreadable: "),
    ],
)
def test_a_file_that_cannot_be_read_turns_the_run_red_under_any_share(
    fresh_warehouse: Warehouse, tmp_path: Path, relative: str, content: bytes, error: str
) -> None:
    folder = tmp_path / "landing"
    good = "".join(f"2025-01-01,email,c{n},1.00,10,1\n" for n in range(1, 1001))
    drop(folder, "marketing_spend/spend.csv", SPEND_HEADER + good)
    drop(folder, relative, content)

    result = ingest(fresh_warehouse, folder, share="0.01", check=False)

    assert result.returncode == 1
    assert last_line(result.stderr).startswith(
        f"error: landing: 1 file(s) rejected whole: {relative} ({error}"
    )
    assert set(rejects(fresh_warehouse)) == {(relative, None)}
    assert len(raw_keys(fresh_warehouse, "raw_landing.marketing_spend", "campaign")) == 1000


def test_a_file_rejected_whole_after_some_rows_loaded_shows_none_of_them_in_staging(
    fresh_warehouse: Warehouse, tmp_path: Path
) -> None:
    """The loader marks such a file in `_loaded_files` (see test_landing_integrity for when it
    does); staging then keeps none of its rows, and a corrected drop is read as usual."""
    w = fresh_warehouse
    folder = tmp_path / "landing"
    drop(folder, "marketing_spend/kept.csv", SPEND_HEADER + "2025-01-01,email,kept,1.00,10,1\n")
    drop(folder, "marketing_spend/half.csv", SPEND_HEADER + "2025-01-01,email,half,1.00,10,1\n")
    ingest(w, folder)
    assert sorted(staged_campaigns(w)) == ["half", "kept"]
    assert w.rows("select distinct rejected_whole from raw_landing._loaded_files") == [(False,)]

    # what the loader writes for a file whose records did not add up after `half` loaded
    w.execute(
        "update raw_landing._loaded_files set rejected_whole = true"
        " where source_file = 'marketing_spend/half.csv'"
    )
    assert staged_campaigns(w) == ["kept"]

    drop(folder, "marketing_spend/half.csv", SPEND_HEADER + "2025-01-01,email,fixed,1.00,10,1\n")
    ingest(w, folder)
    assert sorted(staged_campaigns(w)) == ["fixed", "kept"]
