"""The session's dashboard: `dataops dashboard` (gunicorn) on the built warehouse, shared by
every test here, with "Report a data issue" pointed at `REPOSITORY` and its log kept in a
file (`dashboard_log`). Tests that need other settings start their own with
`support.dashboard.serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dashboard import REPOSITORY, Dashboard, ServerLog, dataops_dashboard
from support.warehouse import Warehouse


@pytest.fixture(scope="session")
def dashboard_log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard") / "server.log"


@pytest.fixture(scope="session")
def dashboard_url(built_warehouse: Warehouse, dashboard_log_path: Path) -> Iterator[str]:
    with dataops_dashboard(
        built_warehouse, log=dashboard_log_path, DATAOPS_REPOSITORY_URL=REPOSITORY
    ) as url:
        yield url


@pytest.fixture(scope="session")
def dashboard(dashboard_url: str) -> Dashboard:
    return Dashboard(dashboard_url)


@pytest.fixture
def dashboard_log(dashboard_url: str, dashboard_log_path: Path) -> ServerLog:
    """The session dashboard's log from the start of the test on."""
    log = ServerLog(dashboard_log_path)
    log.mark()
    return log
