"""The session's dashboard: `dataops dashboard` (gunicorn) on the built warehouse, shared by
every test here. Tests that need other settings start their own with `dashclient.serve`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.dashboard import Dashboard, dataops_dashboard
from support.warehouse import Warehouse


@pytest.fixture(scope="session")
def dashboard_url(built_warehouse: Warehouse) -> Iterator[str]:
    with dataops_dashboard(built_warehouse) as url:
        yield url


@pytest.fixture(scope="session")
def dashboard(dashboard_url: str) -> Dashboard:
    return Dashboard(dashboard_url)
