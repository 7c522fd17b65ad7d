"""Fixtures of the dbt project's tests: a copy of the project that tests may break."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.project import copy_dbt_project


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dbt project for this module; each test puts back what it breaks."""
    return copy_dbt_project(tmp_path_factory.mktemp("project") / "dbt")
