"""What the ingestion assumes of dlt beyond its documented API (`ingestion.dlt_seams`): each
assumption holds in the installed dlt, and a dlt that breaks one fails naming it.

Each fixture in `BREAKS` plays a dlt upgrade that breaks one assumption."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from dlt.common import jsonpath
from dlt.common.configuration.container import Container
from dlt.common.schema import utils as schema_utils
from dlt.common.schema.exceptions import DataValidationError
from dlt.destinations.impl.postgres import postgres as dlt_postgres
from dlt.extract.pipe import Pipe
from dlt.sources.helpers.rest_client import RESTClient

from ingestion import dlt_seams
from ingestion.dlt_seams import ASSUMPTIONS, SeamBroken


def _body_parsed_again(client: RESTClient, response: requests.Response, selector: Any) -> Any:
    return jsonpath.find_values(selector, json.loads(response.content))


BREAKS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "bound generator": lambda patch: patch.delattr(Pipe, "replace_gen"),
    "thread context": lambda patch: patch.setattr(
        Container, "thread_pool_prefix", staticmethod(lambda: "another-pool-")
    ),
    "postgres parquet copy job": lambda patch: patch.setattr(
        dlt_postgres, "PostgresParquetCopyJob", type("AnotherJob", (), {})
    ),
    "frozen data type error": lambda patch: patch.setattr(
        DataValidationError, "__str__", lambda self: "the contract was violated"
    ),
    "response json": lambda patch: patch.setattr(
        RESTClient, "extract_response", _body_parsed_again
    ),
    "compiled json path": lambda patch: patch.delattr(jsonpath, "compile_path"),
    "nested table": lambda patch: patch.setattr(
        schema_utils, "is_nested_table", lambda table: False
    ),
}


def test_every_assumption_has_a_check_and_a_fixture_that_breaks_it() -> None:
    assert set(BREAKS) == set(ASSUMPTIONS)
    for name in ASSUMPTIONS:
        assert f"`{name}`" in (dlt_seams.__doc__ or ""), f"{name}: not in the module's docstring"


@pytest.mark.parametrize("name", sorted(ASSUMPTIONS))
def test_the_installed_dlt_keeps_the_assumption(name: str) -> None:
    dlt_seams.check(name)


@pytest.mark.parametrize("name", sorted(ASSUMPTIONS))
def test_a_dlt_that_breaks_the_assumption_fails_naming_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    BREAKS[name](monkeypatch)

    with pytest.raises(SeamBroken, match=re.escape(f"assumption '{name}'")) as raised:
        dlt_seams.check(name)
    assert raised.value.assumption == name
