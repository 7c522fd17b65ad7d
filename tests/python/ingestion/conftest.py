"""Fixtures for the ingestion tests: a small demo shop generated once, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.ingest import SHOP_DAYS, SHOP_ORDERS, DemoShop

from demo.generator import generate


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state_dir = tmp_path_factory.mktemp("shop_template")
    generate(state_dir, days=SHOP_DAYS, orders=SHOP_ORDERS)
    return state_dir


@pytest.fixture
def shop(shop_template: Path, tmp_path: Path) -> DemoShop:
    """A private copy of the demo shop."""
    state_dir = tmp_path / "shop"
    shutil.copytree(shop_template, state_dir)
    return DemoShop(state_dir)
