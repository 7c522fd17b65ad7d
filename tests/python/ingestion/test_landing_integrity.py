"""Nothing lost, nothing guessed, in each landing format; the readers alone, no database.

- a CSV line with an unclosed quote is rejected by line number and the lines after it load;
- every file's records add up to rows loaded plus rows rejected, and a reader that lost a
  record (a fault injected per format) makes the file one whole-file reject with the counts;
- a UTF-8 byte order mark starts a text file without costing it a record;
- each declared kind against each type a format carries: cast where the meaning is kept,
  rejected where a cast would guess.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from ingestion.landing import csv_reader, readers
from ingestion.landing.files import Batch, FileTable
from ingestion.landing.readers import read_file

TABLE = FileTable(
    "spend",
    "spend/*",
    ("campaign",),
    {"campaign": pa.string(), "spend_eur": pa.float64(), "clicks": pa.int64()},
)
ROWS = 300


def records() -> list[dict[str, Any]]:
    """300 records; the 10th has a value that is not a number (one reject)."""
    found = [
        {"campaign": f"c{n}", "spend_eur": 1.5 if n != 10 else "ten", "clicks": n}
        for n in range(1, ROWS + 1)
    ]
    return found


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    lines = ["campaign,spend_eur,clicks"] + [
        f"{r['campaign']},{r['spend_eur']},{r['clicks']}" for r in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def as_jsonl(rows: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(r) for r in rows) + "\n").encode()


def as_parquet(rows: list[dict[str, Any]]) -> bytes:
    table = pa.table(
        {
            "campaign": [r["campaign"] for r in rows],
            "spend_eur": [str(r["spend_eur"]) for r in rows],
            "clicks": [r["clicks"] for r in rows],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=64)
    return buffer.getvalue()


def as_xlsx(rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    workbook.active.append(("campaign", "spend_eur", "clicks"))
    for r in rows:
        workbook.active.append((r["campaign"], r["spend_eur"], r["clicks"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMATS: dict[str, Callable[[list[dict[str, Any]]], bytes]] = {
    ".csv": as_csv,
    ".jsonl": as_jsonl,
    ".parquet": as_parquet,
    ".xlsx": as_xlsx,
}


def read(content: bytes, suffix: str, table: FileTable = TABLE) -> tuple[int, list[tuple]]:
    """(rows loaded, [(record number, error)]) of one file."""
    batches = list(read_file(io.BytesIO(content), table, f"spend/file{suffix}"))
    loaded = sum(batch.table.num_rows for batch in batches if batch.table is not None)
    return loaded, [(r["record_number"], r["error"]) for b in batches for r in b.rejects]


# -- 1: silent loss ----------------------------------------------------------------------------


def test_an_unclosed_quote_is_one_reject_and_the_lines_after_it_load() -> None:
    rows = records()
    content = as_csv(rows).replace(b"\nc4,", b'\n"c4_unclosed,', 1)
    # a quote inside a field (not at its start) is a plain character, not a quote left open
    content = content.replace(b"\nc7,", b'\nc7 "the 7",', 1)

    loaded, rejects = read(content, ".csv")

    # c4 is the file's 5th line, c10 (not a number) its 11th
    assert rejects == [(5, "unclosed quote"), (11, "spend_eur: 'ten' is not a number")]
    assert loaded == ROWS - 2


def test_unclosed_quotes_in_several_blocks_keep_their_line_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csv_reader, "CSV_BLOCK_BYTES", 1024)
    content = as_csv(records())
    for campaign in (b"c40", b"c41", b"c250"):
        content = content.replace(b"\n" + campaign + b",", b'\n"' + campaign + b",", 1)

    loaded, rejects = read(content, ".csv")

    assert [number for number, error in rejects if error == "unclosed quote"] == [41, 42, 251]
    assert loaded == ROWS - 4


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_record_of_a_file_is_loaded_or_rejected(suffix: str) -> None:
    loaded, rejects = read(FORMATS[suffix](records()), suffix)

    assert loaded == ROWS - 1
    assert [number for number, _ in rejects] == [11 if suffix in (".csv", ".xlsx") else 10]


def _drop_last_row(batch: Batch) -> Batch:
    if batch.table is None or batch.table.num_rows == 0:
        return batch
    return Batch(batch.table.slice(0, batch.table.num_rows - 1), batch.rejects, batch.seen)


# where each format's records become Arrow: a fault there loses a record
FAULTS = {
    ".csv": (csv_reader, "conform"),
    ".jsonl": (readers, "_record_batch"),
    ".parquet": (readers, "conform"),
    ".xlsx": (readers, "_record_batch"),
}


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_a_reader_that_loses_a_record_makes_the_file_a_whole_file_reject(
    suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, name = FAULTS[suffix]
    original = getattr(module, name)
    lost: list[int] = []

    def losing(*args: Any, **kwargs: Any) -> Batch:
        batch = original(*args, **kwargs)
        if lost:
            return batch
        lost.append(1)
        return _drop_last_row(batch)

    monkeypatch.setattr(module, name, losing)

    loaded, rejects = read(FORMATS[suffix](records()), suffix)

    assert lost and loaded == ROWS - 2
    assert rejects[-1] == (
        None,
        f"records do not add up: {ROWS} read, {ROWS - 2} loaded, 1 rejected;"
        " the file is rejected whole",
    )


# -- 4: encoding -------------------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".ndjson"])
def test_a_text_file_may_start_with_a_byte_order_mark(suffix: str) -> None:
    content = FORMATS[".csv" if suffix == ".csv" else ".jsonl"](records())

    assert read(BOM + content, suffix) == read(content, suffix)
    loaded, _ = read(BOM + content, suffix)
    assert loaded == ROWS - 1


# -- 2: silent corruption: each declared kind against each type a format carries ---------------

KIND_TYPES = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "text": pa.string(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
NUMERIC = {"integer", "number", "text"}
MIDNIGHT = datetime(2025, 1, 2)
# a Parquet column's type with one value in it, and the kinds that load it (the others reject)
PARQUET_TYPES: dict[str, tuple[pa.Array, set[str]]] = {
    **{
        str(t): (pa.array([1], t), NUMERIC | {"boolean"})
        for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint64())
    },
    "int64 epoch seconds": (pa.array([1735725600], pa.int64()), NUMERIC),
    "float": (pa.array([2.0], pa.float32()), NUMERIC),
    "double": (pa.array([2.0], pa.float64()), NUMERIC),
    "double with a fraction": (pa.array([2.5], pa.float64()), {"number", "text"}),
    "decimal": (pa.array([Decimal("2.00")], pa.decimal128(5, 2)), NUMERIC),
    "string of a number": (pa.array(["2"]), NUMERIC),
    "string of a date": (pa.array(["2025-01-02"]), {"text", "date"}),
    "large_string": (pa.array(["2"], pa.large_string()), NUMERIC),
    "dictionary string": (pa.array(["2"]).dictionary_encode(), NUMERIC),
    "binary": (pa.array([b"x"]), {"text"}),
    "bool": (pa.array([True]), {"text", "boolean"}),
    "date32": (pa.array([date(2025, 1, 2)], pa.date32()), {"date"}),
    "date64": (pa.array([date(2025, 1, 2)], pa.date64()), {"date"}),
    **{
        f"timestamp[{unit}{', UTC' if zone else ''}] at midnight": (
            pa.array([MIDNIGHT], pa.timestamp(unit, tz=zone)),
            {"date", "timestamp"},
        )
        for unit in ("ms", "us", "ns")
        for zone in (None, "UTC")
    },
    "timestamp with a time of day": (
        pa.array([datetime(2025, 1, 2, 10, 30)], pa.timestamp("us")),
        {"timestamp"},
    ),
    "time": (pa.array([time(10, 30)], pa.time64("us")), set()),
    "duration": (pa.array([timedelta(seconds=3)], pa.duration("us")), set()),
    "list": (pa.array([[1, 2]]), set()),
    "struct": (pa.array([{"a": 1}]), set()),
}


def _one_value_table(target: pa.DataType) -> FileTable:
    return FileTable("t", "t/*", ("k",), {"k": pa.int64(), "v": target})


@pytest.mark.parametrize("kind", sorted(KIND_TYPES))
@pytest.mark.parametrize("physical", sorted(PARQUET_TYPES))
def test_parquet_types_load_as_a_kind_only_when_the_meaning_is_kept(
    physical: str, kind: str
) -> None:
    values, kinds = PARQUET_TYPES[physical]
    buffer = io.BytesIO()
    pq.write_table(pa.table({"k": pa.array([1], pa.int64()), "v": values}), buffer)

    loaded, rejects = read(buffer.getvalue(), ".parquet", _one_value_table(KIND_TYPES[kind]))

    if kind in kinds:
        assert (loaded, rejects) == (1, [])
    else:
        assert loaded == 0 and [number for number, _ in rejects] == [1], rejects
        assert rejects[0][1].startswith("v: ")


def test_an_epoch_column_declared_a_timestamp_names_its_type() -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"k": [1, 2], "v": pa.array([1735725600, None])}), buffer)

    loaded, rejects = read(buffer.getvalue(), ".parquet", _one_value_table(KIND_TYPES["timestamp"]))

    assert loaded == 1  # the row without a value
    assert rejects == [
        (1, "v: 1735725600 is not an ISO-8601 timestamp (the file's column is int64)")
    ]


# a value as JSON or an Excel cell carries it, and the kinds that load it
RECORD_VALUES: dict[str, tuple[Any, set[str], bool]] = {
    # name: (value, kinds that load it, whether Excel can carry it)
    "integer": (1, NUMERIC | {"boolean"}, True),
    "integer 2": (2, NUMERIC, True),
    "fraction": (2.5, {"number", "text"}, True),
    "true": (True, {"text", "boolean"}, True),
    "text of a number": ("2", NUMERIC, True),
    "text of a timestamp": ("2025-01-02T10:30:00Z", {"text", "timestamp"}, True),
    "list": ([1, 2], set(), False),
    "object": ({"a": 1}, set(), False),
    "datetime at midnight": (MIDNIGHT, {"date", "timestamp"}, True),
    "datetime with a time of day": (datetime(2025, 1, 2, 10, 30), {"timestamp"}, True),
}


@pytest.mark.parametrize("kind", sorted(KIND_TYPES))
@pytest.mark.parametrize("value_name", sorted(RECORD_VALUES))
@pytest.mark.parametrize("suffix", [".jsonl", ".xlsx"])
def test_record_values_load_as_a_kind_only_when_the_meaning_is_kept(
    suffix: str, value_name: str, kind: str
) -> None:
    value, kinds, in_excel = RECORD_VALUES[value_name]
    if isinstance(value, datetime) and suffix == ".jsonl":
        pytest.skip("JSON carries timestamps as text")
    if suffix == ".xlsx" and not in_excel:
        pytest.skip("a cell holds no lists or objects")
    if suffix == ".jsonl":
        content = (json.dumps({"k": 1, "v": value}) + "\n").encode()
    else:
        workbook = Workbook()
        workbook.active.append(("k", "v"))
        workbook.active.append((1, value))
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()

    loaded, rejects = read(content, suffix, _one_value_table(KIND_TYPES[kind]))

    if kind in kinds:
        assert (loaded, rejects) == (1, []), rejects
    else:
        assert loaded == 0 and len(rejects) == 1 and rejects[0][1].startswith("v: "), rejects


def test_a_loaded_timestamp_keeps_its_instant() -> None:
    buffer = io.BytesIO()
    moment = datetime(2025, 1, 2, 10, 30, tzinfo=UTC)
    pq.write_table(
        pa.table({"k": [1], "v": pa.array([moment], pa.timestamp("s", tz="UTC"))}), buffer
    )
    batches = list(
        read_file(
            io.BytesIO(buffer.getvalue()), _one_value_table(KIND_TYPES["timestamp"]), "t/a.parquet"
        )
    )
    assert [row["v"] for b in batches if b.table is not None for row in b.table.to_pylist()] == [
        moment
    ]


def test_the_loaded_files_row_of_a_file_rejected_whole_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Staging keeps no row of a file whose `_loaded_files` row says `rejected_whole`."""
    from ingestion.landing import source

    loaded = pa.table({"campaign": ["a", "b"]})
    whole = {"record_number": None, "error": "records do not add up"}
    line = {"record_number": 7, "error": "bad number"}
    item = {"relative_path": "marketing_spend/x.csv", "modification_date": None}

    def loaded_files_row(*batches: Batch) -> dict[str, Any]:
        monkeypatch.setattr(source, "_batches", lambda item, table: iter(batches))
        monkeypatch.setattr(source, "_with_source_file", lambda data, origin: data)
        monkeypatch.setattr(source.quarantine, "route", lambda rows: rows)
        items = list(source._file_items(item, TABLE))  # type: ignore[arg-type]
        return items[-1].data[0]  # dlt's marked item: the `_loaded_files` record

    assert loaded_files_row(Batch(loaded, [line]))["rejected_whole"] is False
    marked = loaded_files_row(Batch(loaded, [line]), Batch(None, [whole]))
    assert marked["rejected_whole"] is True
    assert (marked["row_count"], marked["rejected_count"]) == (2, 2)
