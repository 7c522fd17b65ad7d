"""A dashboard served by gunicorn, exactly as `dataops dashboard` serves it, on a free port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import Warehouse

from dataops.paths import REPO_ROOT
from dataops.warehouse import free_port

DATAOPS = str(Path(sys.executable).with_name("dataops"))


@pytest.fixture(scope="session")
def dashboard_url(built_warehouse: Warehouse) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [DATAOPS, "dashboard", "--port", str(port)],
        cwd=REPO_ROOT,
        env=built_warehouse.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"dashboard exited: {process.stderr.read()}")
            try:
                if requests.get(f"{url}/_dash-layout", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("dashboard did not answer within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
