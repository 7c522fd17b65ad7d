"""The CSV reader's two paths: a clean block parsed by Arrow straight into the declared types,
and the careful path (bytes, then a cast per column) that finds each bad line. Both must give
the same rows and the same rejects; no database is needed."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ingestion.landing import csv_reader as readers
from ingestion.landing.files import Batch, FileTable

TABLE = FileTable(
    "things",
    "things/*",
    ("thing_id",),
    {
        "thing_id": pa.int64(),
        "label": pa.string(),
        "price_eur": pa.float64(),
        "made_on": pa.date32(),
        "made_at": pa.timestamp("us", tz="UTC"),
        "parts": pa.int32(),
    },
)
HEADER = b"thing_id,label,price_eur,made_on,made_at,parts,colour\n"
NAMES = ["thing_id", "label", "price_eur", "made_on", "made_at", "parts", "colour"]

CLEAN = (
    b"1,plain,1.5,2025-01-01,2025-01-01T10:00:00Z,3,red\n"
    b'2,"quoted, with comma",0,2025-02-28,2025-02-28T23:59:59.123456+02:00,,\n'
    b'3,"",-2.25e3,,2025-03-01 00:00:00Z,0,""\n'
    b"4,,,,,,\n"
    b",no key,9.99,2025-01-02,2025-01-02T00:00:00Z,1,blue\n"
    b"6,crlf line,7,2025-01-03,2025-01-03T00:00:00Z,2,green\r\n"
)
# each one line the typed path cannot take, and the reject the careful path makes of it
BAD = {
    "a field missing": (b"7,short,1,2025-01-01,2025-01-01T00:00:00Z,1\n", "expected 7 fields"),
    "a field too many": (b"7,long,1,2025-01-01,2025-01-01T00:00:00Z,1,x,y\n", "expected 7 fields"),
    "not a number": (b"7,x,ten,2025-01-01,2025-01-01T00:00:00Z,1,x\n", "price_eur"),
    "not a date": (b"7,x,1,2025-02-30,2025-01-01T00:00:00Z,1,x\n", "made_on"),
    "bad UTF-8": (b"7,\xffx,1,2025-01-01,2025-01-01T00:00:00Z,1,x\n", "not valid UTF-8"),
}


def both_paths(block: bytes, first_line: int = 2) -> tuple[Batch, Batch]:
    chosen = readers._csv_block(HEADER, NAMES, first_line, block, TABLE, "things/a.csv")
    careful = readers._careful_block(HEADER, NAMES, first_line, block, TABLE, "things/a.csv")
    return chosen, careful


def summary(batch: Batch) -> tuple[list[dict], list[tuple]]:
    rows = batch.table.to_pylist() if batch.table is not None else []
    rejects = [(r["record_number"], r["raw_text"], r["error"]) for r in batch.rejects]
    return rows, rejects


def test_a_clean_block_takes_the_typed_path_and_matches_the_careful_one() -> None:
    typed = readers._typed_block(HEADER, NAMES, CLEAN, TABLE)
    assert typed is not None, "a block with no bad line must be parsed straight into its types"
    assert typed.schema.field("made_at").type == pa.timestamp("us", tz="UTC")
    assert typed.schema.field("colour").type == pa.string()

    chosen, careful = both_paths(CLEAN, first_line=11)
    assert chosen.table.schema == careful.table.schema
    assert summary(chosen) == summary(careful)
    rows, rejects = summary(chosen)
    assert [row["thing_id"] for row in rows] == [1, 2, 3, 4, 6]
    # the keyless line is the block's fifth: line 15 of the file, with its own text
    assert rejects == [
        (15, ",no key,9.99,2025-01-02,2025-01-02T00:00:00Z,1,blue", "thing_id: missing")
    ]
    assert rows[1]["label"] == "quoted, with comma" and rows[1]["parts"] is None
    assert rows[2]["label"] == "" and rows[2]["colour"] == ""
    assert rows[3]["label"] is None and rows[3]["made_at"] is None


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_block_with_a_bad_line_takes_the_careful_path(kind: str) -> None:
    line, error = BAD[kind]
    block = CLEAN[:50] + line + CLEAN[50:]  # the bad line second
    assert readers._typed_block(HEADER, NAMES, block, TABLE) is None

    chosen, careful = both_paths(block, first_line=2)
    assert summary(chosen) == summary(careful)
    rows, rejects = summary(chosen)
    assert [row["thing_id"] for row in rows] == [1, 2, 3, 4, 6]
    numbers = {number: text for number, _, text in rejects}
    assert set(numbers) == {3, 7}, rejects
    assert error in numbers[3]


def test_blank_lines_keep_every_line_number() -> None:
    block = b"1,a,1,,,1,x\n\n,b,1,,,1,x\n\n\n3,c,1,,,1,x\n"
    chosen, careful = both_paths(block, first_line=2)
    assert summary(chosen) == summary(careful)
    rows, rejects = summary(chosen)
    assert [row["thing_id"] for row in rows] == [1, 3]
    assert [(number, error) for number, _, error in rejects] == [(4, "thing_id: missing")]
