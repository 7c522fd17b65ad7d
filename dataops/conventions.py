"""Our dbt conventions, checked on dbt's manifest: `dataops conventions`.

dbt-project-evaluator does this job for projects that can reach the dbt hub; ours cannot, so
this module checks the rules `docs/models.md` and the house style set, and names the file to
fix for every break:

- **naming**: `models/staging/<source>/stg_<source>__<entity>`, `models/intermediate/int_...`,
  `models/marts/.../fct_|dim_|rpt_...`; every model sits in one of those three folders;
- **layers**: a staging model reads its folder's source and no model but the staging model of
  that source's load metadata (a table named `_...`: `stg_landing__loaded_files` says which
  load of a landing file is current); a child table meets its parent in intermediate, as
  order lines meet their orders; intermediate models and marts never read a source; no layer
  reads a later one (staging never reads intermediate or marts, intermediate never reads
  marts);
- **YAML**: each model folder has exactly one models file, `_<folder>__models.yml`, which
  describes every model in the folder; each staging folder has exactly one sources file,
  `_<source>__sources.yml`, declaring that source; no sources are declared anywhere else;
- **docs**: every model has a description, every column in its YAML has one; given dbt's
  catalog (`dbt docs generate`), every column the model really has is in its YAML;
- **primary keys**: every model has a column tested both `unique` and `not_null`, or tested
  `unique` and kept non-null by a `not_null` constraint of the model's enforced contract;
- **contracts**: every mart enforces its contract;
- **portability**: a model's SQL holds no PostgreSQL-only syntax (`::`, `at time zone`,
  `filter (where ...)`, `generate_series`, `interval '...'`, `distinct on`, `ilike`, `->>`);
  that belongs in a macro with adapter dispatch (see `macros/dates.sql`).

Without `--manifest` the check runs `dbt parse` first, which needs no database.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dataops.core.errors import DataOpsError
from dataops.core.paths import REPO_ROOT, dbt_target_dir

LAYERS = ("staging", "intermediate", "marts")
MART_PREFIXES = ("fct_", "dim_", "rpt_")
PRIMARY_KEY_TESTS = {"unique", "not_null"}

# PostgreSQL-only syntax a model must leave to a dispatched macro: (pattern, what it is)
POSTGRES_ONLY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), label)
    for pattern, label in (
        (r"::\s*[a-z_]", "a `::` cast (use cast(... as ...))"),
        (r"\bat\s+time\s+zone\b", "`at time zone` (use utc_date or a macro)"),
        (r"\bfilter\s*\(\s*where\b", "an aggregate `filter (where ...)` (use sum(case ...))"),
        (r"\bgenerate_series\s*\(", "`generate_series` (use date_spine or month_spine)"),
        (r"\binterval\s+'", "an `interval '...'` literal (use add_days)"),
        (r"\bdistinct\s+on\b", "`distinct on` (use row_number())"),
        (r"\bilike\b", "`ilike` (use lower(...) like ...)"),
        (r"->>?", "a JSON operator (use a macro)"),
    )
)


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.message}"


class ConventionsError(DataOpsError):
    """The project cannot be parsed or its artifacts read."""


# -- checks -----------------------------------------------------------------------------------


def check(
    manifest: dict[str, Any], project_dir: Path, catalog: dict[str, Any] | None = None
) -> list[Violation]:
    """Every break of the conventions in the project the manifest describes."""
    project = manifest["metadata"].get("project_name") or _project_name(project_dir)
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == project
    }
    sources = {
        uid: node for uid, node in manifest["sources"].items() if node["package_name"] == project
    }
    tests_by_column = _tests_by_column(manifest)
    found: list[Violation] = []
    for uid, node in models.items():
        found += _naming(node)
        found += _layers(node, models, sources)
        found += _documentation(node, catalog.get("nodes", {}).get(uid) if catalog else None)
        found += _primary_key(node, tests_by_column.get(uid, {}))
        found += _contract(node)
        found += _portability(node)
    found += _yaml_files(models, sources, project_dir)
    return sorted(set(found))


def _layer(node: dict[str, Any]) -> str | None:
    parts = PurePosixPath(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" and parts[1] in LAYERS else None


def _folder(node: dict[str, Any]) -> PurePosixPath:
    return PurePosixPath(node["original_file_path"]).parent


def _naming(node: dict[str, Any]) -> list[Violation]:
    path, name, layer = node["original_file_path"], node["name"], _layer(node)
    if layer is None:
        return [Violation(path, "naming", "a model lives in models/staging, intermediate or marts")]
    if layer == "staging":
        source = _folder(node).name
        if not re.fullmatch(rf"stg_{re.escape(source)}__[a-z0-9_]+", name):
            return [
                Violation(path, "naming", f"a staging model here is named stg_{source}__<entity>")
            ]
    elif layer == "intermediate" and not name.startswith("int_"):
        return [Violation(path, "naming", "an intermediate model is named int_<entity>s_<verb>ed")]
    elif layer == "marts" and not name.startswith(MART_PREFIXES):
        return [Violation(path, "naming", "a mart is named fct_, dim_ or rpt_<...>")]
    return []


def _layers(
    node: dict[str, Any], models: dict[str, Any], sources: dict[str, Any]
) -> list[Violation]:
    path, layer = node["original_file_path"], _layer(node)
    if layer is None:
        return []
    found = []
    parents = node["depends_on"]["nodes"]
    read_sources = [sources[p] for p in parents if p in sources]
    read_models = [models[p] for p in parents if p in models]
    if layer == "staging":
        folder_source = _folder(node).name
        if not read_sources:
            found.append(Violation(path, "layers", "a staging model reads its source"))
        for source in read_sources:
            if source["source_name"] != folder_source:
                found.append(
                    Violation(
                        path,
                        "layers",
                        f"a staging model reads only its folder's source ({folder_source}),"
                        f" not {source['source_name']}",
                    )
                )
        for parent in read_models:
            if not _stages_load_metadata(parent, node, sources):
                found.append(
                    Violation(
                        path,
                        "layers",
                        f"a staging model reads no other model ({parent['name']}) but its"
                        " source's load metadata; join in intermediate",
                    )
                )
    else:
        for source in read_sources:
            found.append(
                Violation(
                    path,
                    "layers",
                    f"{layer} never read a source ({source['source_name']}.{source['name']});"
                    " read its staging model",
                )
            )
        for parent in read_models:
            if layer == "intermediate" and _layer(parent) == "marts":
                found.append(
                    Violation(path, "layers", f"intermediate never reads a mart ({parent['name']})")
                )
    return found


def _stages_load_metadata(
    parent: dict[str, Any], node: dict[str, Any], sources: dict[str, Any]
) -> bool:
    """Whether `parent` is a staging model of the node's folder that reads only its source's
    load metadata (tables named `_...`, which the loader writes), never a business table."""
    read = [sources[p] for p in parent["depends_on"]["nodes"] if p in sources]
    return (
        _layer(parent) == "staging"
        and _folder(parent) == _folder(node)
        and bool(read)
        and all(source["name"].startswith("_") for source in read)
    )


def _documentation(node: dict[str, Any], catalog_node: dict[str, Any] | None) -> list[Violation]:
    where = _yaml_path(node) or node["original_file_path"]
    found = []
    if not node.get("description", "").strip():
        found.append(
            Violation(where, "docs", f"{node['name']} has no description (state the grain)")
        )
    documented = {name.lower() for name in node.get("columns", {})}
    for name, column in node.get("columns", {}).items():
        if not (column.get("description") or "").strip():
            found.append(Violation(where, "docs", f"{node['name']}.{name} has no description"))
    if catalog_node is not None:
        for name in catalog_node.get("columns", {}):
            if name.lower() not in documented:
                found.append(
                    Violation(where, "docs", f"{node['name']}.{name} is not in the models YAML")
                )
    return found


def _enforced_not_null(node: dict[str, Any]) -> set[str]:
    """Columns PostgreSQL keeps non-null for the model: a `not_null` constraint under an
    enforced contract. A `not_null` test on them could never fail."""
    if not _enforces_contract(node):
        return set()
    return {
        name.lower()
        for name, column in node.get("columns", {}).items()
        if any(c.get("type") == "not_null" for c in column.get("constraints") or [])
    }


def _primary_key(node: dict[str, Any], tests: dict[str, set[str]]) -> list[Violation]:
    enforced = _enforced_not_null(node)
    if any(
        kinds | ({"not_null"} if column in enforced else set()) >= PRIMARY_KEY_TESTS
        for column, kinds in tests.items()
    ):
        return []
    where = _yaml_path(node) or node["original_file_path"]
    return [
        Violation(
            where,
            "primary key",
            f"{node['name']} has no column tested unique and kept not null (a not_null test"
            " or, under an enforced contract, a not_null constraint)",
        )
    ]


def _enforces_contract(node: dict[str, Any]) -> bool:
    return bool(
        (node.get("contract") or {}).get("enforced")
        or (node["config"].get("contract") or {}).get("enforced")
    )


def _contract(node: dict[str, Any]) -> list[Violation]:
    if _layer(node) != "marts":
        return []
    if _enforces_contract(node):
        return []
    return [
        Violation(
            node["original_file_path"],
            "contracts",
            f"mart {node['name']} does not enforce its contract (contract: {{enforced: true}})",
        )
    ]


def _portability(node: dict[str, Any]) -> list[Violation]:
    sql = node.get("raw_code") or ""
    # comments and Jinja say what they like; line numbers stay those of the file
    sql = re.sub(
        r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}",
        lambda match: "\n" * match.group(0).count("\n"),
        sql,
        flags=re.DOTALL,
    )
    found = []
    for number, line in enumerate(sql.splitlines(), start=1):
        code = re.sub(r"'[^']*'", "''", re.sub(r"--.*$", "", line))
        for pattern, label in POSTGRES_ONLY:
            if pattern.search(code):
                found.append(
                    Violation(
                        f"{node['original_file_path']}:{number}",
                        "portability",
                        f"{label}: PostgreSQL-only SQL belongs in a macro with adapter dispatch",
                    )
                )
    return found


def _yaml_files(
    models: dict[str, Any], sources: dict[str, Any], project_dir: Path
) -> list[Violation]:
    folders: dict[PurePosixPath, list[dict[str, Any]]] = defaultdict(list)
    for node in models.values():
        folders[_folder(node)].append(node)
    found = []
    for folder, nodes in sorted(folders.items()):
        layer = _layer(nodes[0])
        if layer is not None:
            found += _folder_yaml(folder, layer, nodes, project_dir)
    for source in sources.values():
        path = PurePosixPath(source["original_file_path"])
        expected = f"models/staging/{source['source_name']}/_{source['source_name']}__sources.yml"
        if str(path) != expected:
            found.append(
                Violation(
                    str(path),
                    "yaml",
                    f"source {source['source_name']} is declared in {expected} only",
                )
            )
    return found


def _folder_yaml(
    folder: PurePosixPath, layer: str, nodes: list[dict[str, Any]], project_dir: Path
) -> list[Violation]:
    """One models YAML (and, in staging, one sources YAML) in the folder, describing every
    model of the folder."""
    yamls = sorted(
        path.name for path in (project_dir / folder).iterdir() if path.suffix in {".yml", ".yaml"}
    )
    models_yaml = f"_{folder.name}__models.yml"
    expected = {models_yaml}
    if layer == "staging":
        expected.add(f"_{folder.name}__sources.yml")
    found = [
        Violation(str(folder / name), "yaml", "missing: one per folder")
        for name in sorted(expected - set(yamls))
    ]
    for name in sorted(set(yamls) - expected):
        kind = "sources" if name.endswith("__sources.yml") else "models"
        found.append(
            Violation(
                str(folder / name),
                "yaml",
                f"one {kind} YAML per folder, named {models_yaml}"
                + (f" or _{folder.name}__sources.yml" if layer == "staging" else ""),
            )
        )
    for node in nodes:
        described_in = _yaml_path(node)
        if described_in is None:
            message = f"{node['name']} is not described in {folder / models_yaml}"
            found.append(Violation(node["original_file_path"], "yaml", message))
        elif described_in != str(folder / models_yaml):
            message = f"{node['name']} is described here, not in {folder / models_yaml}"
            found.append(Violation(described_in, "yaml", message))
    return found


def _yaml_path(node: dict[str, Any]) -> str | None:
    patch = node.get("patch_path")
    return patch.split("://", 1)[-1] if patch else None


def _tests_by_column(manifest: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """model id -> column -> names of the generic tests on it."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata")
        if node["resource_type"] != "test" or not metadata:
            continue
        column = node.get("column_name")
        attached = node.get("attached_node")
        if column and attached and not (node["config"].get("where")):
            out[attached][column.lower()].add(metadata["name"])
    return out


def _project_name(project_dir: Path) -> str:
    import yaml

    return yaml.safe_load((project_dir / "dbt_project.yml").read_text())["name"]


# -- running dbt parse ------------------------------------------------------------------------


def parse(project_dir: Path) -> Path:
    """Run `dbt parse` on the project in this process (no database needed; a second parse of
    the same folder only reads what changed); return the manifest's path."""
    from dataops import dbt

    target = (
        dbt_target_dir() / "conventions"
        if project_dir.resolve() == REPO_ROOT
        else project_dir / "target"
    )
    failure = dbt.parse(project_dir, target)
    manifest = target / "manifest.json"
    if failure is not None or not manifest.exists():
        lines = [
            line.strip() for line in str(failure or "no manifest").splitlines() if line.strip()
        ]
        raise ConventionsError(f"dbt parse failed in {project_dir}: {' '.join(lines[:3])}")
    return manifest


def check_project(project_dir: Path, catalog: Path | None = None) -> list[Violation]:
    """Parse the project and check it (what `dataops conventions` prints)."""
    manifest = parse(project_dir)
    return check(
        json.loads(manifest.read_text()),
        project_dir,
        json.loads(catalog.read_text()) if catalog else None,
    )


def run(project_dir: Path, manifest: Path | None, catalog: Path | None) -> int:
    """Check and print; 1 when anything breaks the conventions."""
    manifest = manifest or parse(project_dir)
    try:
        loaded = json.loads(manifest.read_text())
        loaded_catalog = json.loads(catalog.read_text()) if catalog else None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConventionsError(f"cannot read dbt artifacts: {exc}") from None
    violations = check(loaded, project_dir, loaded_catalog)
    checked = sum(
        1
        for node in loaded["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == loaded["metadata"].get("project_name")
    )
    for violation in violations:
        print(violation)
    if violations:
        print(f"conventions: {len(violations)} to fix in {checked} models", file=sys.stderr)
        return 1
    print(f"conventions: {checked} models follow every rule", file=sys.stderr)
    return 0
