"""The marts behind each page, kept in step three ways: what the page's queries select from,
`dashboards.report.MARTS_BY_PAGE` (the "Report a data issue" link), and the dashboard's
exposures in the dbt project.

What a page reads is parsed from the SQL text: every `{marts}.<name>` in the modules the page
imports (directly or through other dashboards modules), and in those the shell imports, since
the shell's queries run on every page. Each comparison is made both ways (nothing missing,
nothing extra), and each kind of check is shown failing on a wrong fixture.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dataops.core.paths import REPO_ROOT

MODELS = REPO_ROOT / "models"
# `{marts}.rpt_revenue_daily`, and `{marts}.{mart}`, a name no reader of the text can know
READ = re.compile(r"\{marts\}\.(\{\w+\}|\w+)")
REF = re.compile(r"""^ref\(\s*['"](\w+)['"]\s*\)$""")


def dashboards_modules(module: ModuleType) -> list[ModuleType]:
    """`module` and every module of the dashboards package it reaches through its imports
    (a module imported whole, or a function or class imported from one)."""
    found: dict[str, ModuleType] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        if current.__name__ in found:
            continue
        found[current.__name__] = current
        for value in vars(current).values():
            name = value.__name__ if isinstance(value, ModuleType) else _defined_in(value)
            if name and name.startswith("dashboards.") and name not in found:
                todo.append(importlib.import_module(name))
    return list(found.values())


def _defined_in(value: Any) -> str | None:
    if inspect.isfunction(value) or inspect.isclass(value):
        return value.__module__
    return None


def marts_read(modules: list[ModuleType]) -> set[str]:
    """The marts the SQL text of `modules` selects from; a mart named through an identifier
    cannot be read off the text, and fails here."""
    marts: set[str] = set()
    for module in modules:
        for name in READ.findall(inspect.getsource(module)):
            assert not name.startswith("{"), f"{module.__name__} reads a mart through {name}"
            marts.add(name)
    return marts


def page_reads() -> dict[str, set[str]]:
    """Each page's path and the marts its view reads: its own queries' and the shell's."""
    import dash

    import dashboards.app

    shell = marts_read(dashboards_modules(dashboards.app))
    return {
        page["path"]: shell
        | marts_read(dashboards_modules(importlib.import_module(page["module"])))
        for page in dash.page_registry.values()
    }


def exposure_name(page_name: str) -> str:
    """The exposure of a page: `dashboard_` and the page's name ("Data health" ->
    `dashboard_data_health`)."""
    return "dashboard_" + page_name.lower().replace(" ", "_")


def exposures(models: Path) -> dict[str, set[str]]:
    """Every exposure declared in the YAML under `models` and what it depends on."""
    found: dict[str, set[str]] = {}
    for path in sorted(models.rglob("*.yml")):
        for exposure in (yaml.safe_load(path.read_text()) or {}).get("exposures") or []:
            refs = set()
            for entry in exposure.get("depends_on") or []:
                match = REF.match(entry.strip())
                refs.add(match.group(1) if match else entry)
            found[exposure["name"]] = refs
    return found


def differences(expected: dict[str, set[str]], declared: dict[str, Any]) -> list[str]:
    """What `declared` misses of `expected` and what it has besides, per key, both ways."""
    lines = [f"{key}: not declared" for key in sorted(set(expected) - set(declared))]
    lines += [f"{key}: no such page" for key in sorted(set(declared) - set(expected))]
    for key in sorted(set(expected) & set(declared)):
        lines += [f"{key}: misses {mart}" for mart in sorted(expected[key] - set(declared[key]))]
        lines += [
            f"{key}: also lists {mart}" for mart in sorted(set(declared[key]) - expected[key])
        ]
    return lines


def reads_by_exposure() -> dict[str, set[str]]:
    import dash

    reads = page_reads()
    return {
        exposure_name(page["name"]): reads[page["path"]] for page in dash.page_registry.values()
    }


# -- the checks -------------------------------------------------------------------------------


def test_every_page_reads_marts_the_project_builds() -> None:
    reads = page_reads()
    assert set(reads) == {"/", "/sales", "/customers", "/marketing", "/products", "/health"}
    built = {path.stem for path in (MODELS / "marts").rglob("*.sql")}
    read = set().union(*reads.values())
    assert read and read <= built, sorted(read - built)


def test_the_issue_report_lists_what_each_page_reads() -> None:
    from dashboards.report import MARTS_BY_PAGE

    assert differences(page_reads(), MARTS_BY_PAGE) == []


def test_each_exposure_depends_on_what_its_page_reads() -> None:
    assert differences(reads_by_exposure(), exposures(MODELS)) == []


# -- the checks failing on wrong fixtures -----------------------------------------------------


def test_a_wrong_marts_by_page_list_is_named_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboards import report

    wrong = [*report.MARTS_BY_PAGE["/sales"], "rpt_kpis_daily"]
    wrong.remove("rpt_category_sales_daily")
    monkeypatch.setitem(report.MARTS_BY_PAGE, "/sales", wrong)
    monkeypatch.setitem(report.MARTS_BY_PAGE, "/orders", ["fct_orders"])
    assert differences(page_reads(), report.MARTS_BY_PAGE) == [
        "/orders: no such page",
        "/sales: misses rpt_category_sales_daily",
        "/sales: also lists rpt_kpis_daily",
    ]


def test_a_wrong_exposure_is_named_both_ways(tmp_path: Path) -> None:
    declared = exposures(MODELS)
    declared["dashboard_products"] = {*declared["dashboard_products"], "dim_products"}
    declared["dashboard_marketing"].discard("rpt_marketing_daily")
    del declared["dashboard_customers"]
    folder = tmp_path / "models" / "dashboard"
    folder.mkdir(parents=True)
    entries = [
        {"name": name, "depends_on": [f"ref('{mart}')" for mart in sorted(marts)]}
        for name, marts in declared.items()
    ]
    (folder / "_dashboard__exposures.yml").write_text(
        yaml.safe_dump({"version": 2, "exposures": entries})
    )
    assert differences(reads_by_exposure(), exposures(tmp_path / "models")) == [
        "dashboard_customers: not declared",
        "dashboard_marketing: misses rpt_marketing_daily",
        "dashboard_products: also lists dim_products",
    ]


def test_a_mart_named_through_an_identifier_cannot_pass_unseen() -> None:
    from dashboards.queries import coverage

    with pytest.raises(AssertionError, match="reads a mart through"):
        marts_read([coverage])
