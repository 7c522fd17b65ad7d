"""The column kinds (`ingestion.schema`): each entry agrees with itself, so a kind added as one
entry works on every path (record models, Arrow pages, landing files, dlt's hints)."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from ingestion.quarantine import Field, Model, column_hints
from ingestion.schema import KINDS, Kind, describe, kind_of


def problems(kind: Kind) -> list[str]:
    """What does not agree within one kind's entry."""
    found = []
    if (kind.arrow is None) != (kind.dlt is None) or (kind.arrow is None) != (kind.wire is None):
        found.append("arrow, dlt and wire types must be all set or all None")
    if kind.arrow is not None:
        if not kind.holds(kind.arrow):
            found.append(f"holds() does not accept its own Arrow type {kind.arrow}")
        elif kind_of(kind.arrow) != kind:
            found.append(f"its Arrow type {kind.arrow} is held by {kind_of(kind.arrow).name}")
        if not kind.inferred(kind.wire):
            found.append(f"inferred() does not accept its wire type {kind.wire}")
    return found


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_agrees_with_itself(name: str) -> None:
    assert problems(KINDS[name]) == []


def test_a_kind_that_disagrees_is_found() -> None:
    number = KINDS["number"]
    assert problems(dataclasses.replace(number, holds=pa.types.is_integer)) != []
    assert problems(dataclasses.replace(number, dlt=None)) != []
    assert problems(dataclasses.replace(KINDS["date"], wire=pa.date32())) != []


def test_the_kinds_reach_every_path() -> None:
    model = Model({name: Field(name) for name in KINDS if KINDS[name].is_column})
    assert column_hints(model) == {name: {"data_type": KINDS[name].dlt} for name in model.fields}
    assert describe(pa.int32()) == "an integer"
    assert describe(pa.large_string()) == "text"
    assert describe(pa.binary()) == "binary"
    with pytest.raises(ValueError, match="unknown kind 'decimal'"):
        Field("decimal")


def test_values_already_of_a_kind_convert_to_it() -> None:
    samples = {
        "integer": 7,
        "number": 2.5,
        "text": "x",
        "boolean": True,
        "date": "2025-03-01",
        "timestamp": "2025-03-01T10:00:00Z",
    }
    assert set(samples) == {name for name in KINDS if KINDS[name].is_column}
    for name, value in samples.items():
        kind = KINDS[name]
        assert kind.already(value), name
        converted = pa.array([kind.convert(value)], kind.arrow)
        assert converted.type == kind.arrow, name
