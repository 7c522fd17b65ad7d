"""`dataops docs` builds dbt's documentation site from the warehouse and serves it; the site
describes every model and column, and declares the dashboard's pages as exposures."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.warehouse import DATAOPS, Warehouse

from dataops.conventions import check
from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import free_port

# every page reads the shell's marts too: dates, filter options, "data as of", latest tests
SHELL = {"rpt_revenue_daily", "rpt_source_freshness", "fct_orders", "rpt_data_health_runs"}
PAGES = {
    "dashboard_overview": SHELL | {"rpt_targets_monthly"},
    "dashboard_sales": SHELL | {"rpt_category_sales_daily"},
    "dashboard_customers": SHELL | {"rpt_customer_cohorts"},
    "dashboard_marketing": SHELL | {"rpt_marketing_daily"},
    "dashboard_products": SHELL
    | {"rpt_product_totals_daily", "rpt_product_sales_daily", "rpt_category_sales_daily"},
    "dashboard_data_health": SHELL
    | {"rpt_data_health_sources", "rpt_data_health_runs", "rpt_data_health_row_counts"},
}


@pytest.fixture(scope="module")
def docs_site(built_warehouse: Warehouse) -> Iterator[str]:
    """`dataops docs` serving the built warehouse's docs on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [DATAOPS, "docs", "--port", str(port)],
        cwd=REPO_ROOT,
        env=built_warehouse.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = ""
        for line in process.stdout:  # dbt's log, then the URL once the site is up
            if line.startswith("http://"):
                url = line.strip()
                break
        assert url == f"http://127.0.0.1:{port}", url or process.stderr.read()
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def fetch(url: str) -> Any:
    deadline = time.monotonic() + 10
    while True:
        try:
            response = requests.get(url, timeout=10)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert response.status_code == 200, url
    return response.json() if url.endswith(".json") else response.text


def test_the_docs_site_is_served(docs_site: str) -> None:
    page = fetch(f"{docs_site}/index.html")
    assert "dbt" in page.lower()
    catalog = fetch(f"{docs_site}/catalog.json")
    columns = catalog["nodes"]["model.dataops_retail.fct_orders"]["columns"]
    assert {"order_id", "net_revenue_eur", "updated_at"} <= set(columns)


def test_every_dashboard_page_is_an_exposure_with_the_marts_it_reads(docs_site: str) -> None:
    manifest = fetch(f"{docs_site}/manifest.json")
    exposures = {
        node["name"]: {parent.split(".")[-1] for parent in node["depends_on"]["nodes"]}
        for node in manifest["exposures"].values()
    }
    assert exposures == PAGES


def test_every_column_each_model_really_has_is_documented(docs_site: str) -> None:
    manifest = fetch(f"{docs_site}/manifest.json")
    catalog = fetch(f"{docs_site}/catalog.json")
    found = [str(violation) for violation in check(manifest, REPO_ROOT, catalog)]
    undocumented = [line for line in found if ": docs: " in line]
    assert undocumented == []


def test_an_undocumented_column_shows_with_the_catalog(docs_site: str) -> None:
    manifest = fetch(f"{docs_site}/manifest.json")
    catalog = fetch(f"{docs_site}/catalog.json")
    del manifest["nodes"]["model.dataops_retail.dim_products"]["columns"]["review_count"]
    found = [str(violation) for violation in check(manifest, REPO_ROOT, catalog)]
    assert (
        "models/marts/_marts__models.yml: docs: dim_products.review_count is not in the models YAML"
        in found
    )


def test_a_taken_port_is_one_clear_line(built_warehouse: Warehouse, docs_site: str) -> None:
    port = docs_site.rsplit(":", 1)[1]
    result = built_warehouse.dataops("docs", "--no-generate", "--port", port, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: port {port} on 127.0.0.1 is already in use; choose another with --port"
    )
