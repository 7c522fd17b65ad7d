"""The import contracts `make lint` checks (pyproject's [tool.importlinter]): the real tree
keeps them, and a small tree of the same packages breaking each one fails it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dataops.core.paths import REPO_ROOT

BIN = Path(sys.executable).parent
CONFIG = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract for contract in CONFIG["contracts"]}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts, on the packages under `root`."""
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--config", str(REPO_ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(BIN)},
        timeout=120,
    )


def stub_tree(root: Path, imports: dict[str, str]) -> Path:
    """Empty packages for every module the contracts name, plus modules holding `imports`
    (module name -> its source)."""
    modules = {"dataops.core.paths", *CONFIG["root_packages"]}
    for contract in CONFIG["contracts"]:
        for key in ("source_modules", "forbidden_modules", "modules", "ancestors"):
            modules.update(name for name in contract.get(key, []) if "*" not in name)
    modules.update(imports)
    for module in sorted(modules):
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            package = root.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
    for module, source in imports.items():
        (root.joinpath(*module.split(".")) / "__init__.py").write_text(source)
    return root


def test_the_repository_keeps_every_contract() -> None:
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def test_a_tree_that_breaks_nothing_keeps_every_contract(tmp_path: Path) -> None:
    tree = stub_tree(
        tmp_path,
        {
            "dataops.cli.main": "import dataops.pipeline\nimport dashboards\n",
            "dataops.pipeline": "import ingestion\nimport dataops.core.paths\n",
            "ingestion.shop": "import dataops.core.paths\n",
        },
    )
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("contract", "imports", "named"),
    [
        ("ground-floor", {"dataops.core.paths": "import dataops.pipeline\n"}, "dataops.pipeline"),
        ("ground-floor", {"dataops.core.paths": "import ingestion\n"}, "ingestion"),
        ("packages-on-the-ground-floor", {"ingestion.shop": "import dataops.cli\n"}, "dataops.cli"),
        ("packages-on-the-ground-floor", {"dashboards.pages": "import dataops.status\n"}, "status"),
        ("packages-independent", {"dashboards.pages": "import demo\n"}, "demo"),
        (
            "orchestration-on-top",
            {"dataops.pipeline": "import orchestration.definitions\n"},
            "orchestration",
        ),
        (
            "no-cycles",
            {
                "dataops.ci.build": "import dataops.ci.state\n",
                "dataops.ci.state": "import dataops.ci.build\n",
            },
            "dataops.ci",
        ),
        (
            "no-cycles",
            {"dataops.cli": "import dataops.ci\n", "dataops.ci": "import dataops.cli\n"},
            "dataops",
        ),
    ],
)
def test_a_tree_that_breaks_a_contract_fails_it_naming_the_import(
    tmp_path: Path, contract: str, imports: dict[str, str], named: str
) -> None:
    result = lint_imports(stub_tree(tmp_path, imports))
    assert result.returncode == 1, result.stdout
    assert f"{CONTRACTS[contract]['name']} BROKEN" in result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert len(broken) == 1, broken
    assert named in result.stdout.split("Broken contracts", 1)[1]


def test_every_module_of_dataops_but_the_ground_floor_is_forbidden_to_the_packages() -> None:
    """A new dataops module joins the list, or the packages could import it unchecked."""
    present = {
        f"dataops.{path.stem if path.suffix == '.py' else path.name}"
        for path in (REPO_ROOT / "dataops").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    listed = set(CONTRACTS["packages-on-the-ground-floor"]["forbidden_modules"])
    assert present - {"dataops.core"} <= listed, sorted(present - listed)
