"""dbt's models, seeds and snapshots as assets (dagster-dbt's `@dbt_assets` over the parsed
manifest), dbt's tests as their asset checks.

A run is what `dataops transform` runs for its selection: `dbt build` with unit tests excluded,
as production builds do (`dataops.dbt.PRODUCTION_BUILD_EXCLUDES`), in dbt's environment as the
transformer role (`dataops.dbt.environment`), recorded as a `transform` run with every node it
ran in `dbt_nodes`. A failed test fails its check on the model it tests; one of severity error
stops the models downstream of it, since dbt build skips them (and dagster-dbt marks such
checks blocking); the step then fails, so the run's failure is alerted as a CLI run's is.

dagster-dbt's `DbtCliResource.cli` builds dbt's environment from this process's, with no way
to hand it another one; changing `os.environ` for the call would leak into every other step
of the process. So the invocation is made here with dagster-dbt's own parts (its selection
for the step's subset, `DbtCliInvocation`, whose stream turns dbt's events into Dagster's) and
the environment `dataops.dbt` gives: `_invocation` is the only code of dagster-dbt's `cli`
repeated, and it is pinned with dagster-dbt's version in the lock file.

Groups: `staging_<source>` and `marts_<area>` by folder, `intermediate`, `seeds`,
`snapshots`. Owners: the dbt group's owner, else `meta.owner`, from the dbt YAML; descriptions
are the YAML's.
"""

import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    dbt_assets,
)
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dbt.version import __version__ as dbt_version
from packaging import version

from dataops import dbt as dbt_runner
from dataops import observability, pipeline
from dataops.core.errors import DataOpsError
from dataops.core.paths import dbt_target_dir
from dataops.core.warehouse import WarehouseSettings
from orchestration.assets.project import Warehouse, owners
from orchestration.history import step_history

FOLDER_GROUPS = ("staging", "marts")  # layers grouped by their folder (source, area)


def group_of(props: Mapping[str, Any]) -> str:
    """The asset group of a dbt node: by layer, and by source or area where the layer has
    folders."""
    kind = props["resource_type"]
    if kind in ("seed", "snapshot"):
        return f"{kind}s"
    fqn = props["fqn"]  # [project, layer, (folder,) name]
    layer = fqn[1] if len(fqn) > 2 else "models"
    if layer in FOLDER_GROUPS and len(fqn) > 3:
        return f"{layer}_{fqn[2]}"
    return layer


def model_key(node: Mapping[str, Any]) -> dg.AssetKey:
    """A dbt node's asset key: dagster-dbt's default, `[<schema>, <name>]` for a node with a
    `+schema` (`["marts", "fct_orders"]`), `[<name>]` otherwise."""
    return DagsterDbtTranslator().get_asset_key(node)


class ProjectTranslator(DagsterDbtTranslator):
    """dagster-dbt's keys (`model_key`; `[source, table]` for a source), with the project's
    groups, owners and plain descriptions."""

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
        self._manifest = manifest

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        found = super().get_owners(dbt_resource_props)
        return found or owners(dict(dbt_resource_props), dict(self._manifest)) or None

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        kind, name = dbt_resource_props["resource_type"], dbt_resource_props["name"]
        return dbt_resource_props.get("description") or f"dbt {kind} {name}"


def _invocation(
    context: dg.AssetExecutionContext,
    project_dir: Path,
    settings: WarehouseSettings,
    target: Path,
) -> DbtCliInvocation:
    """`dbt build` of the step's selection, as `DbtCliResource.cli` starts it, in the
    environment `dataops.dbt` gives (the transformer's)."""
    params = get_updated_cli_invocation_params_for_context(
        context=context.op_execution_context,
        manifest={},
        dagster_dbt_translator=DagsterDbtTranslator(),
    )
    env = dbt_runner.environment(settings, target_path=target)
    env.update(
        DAGSTER_DBT_CLI="true",
        PYTHONUNBUFFERED="1",
        DBT_LOG_FORMAT="json",  # dagster-dbt reads dbt's structured log
        DBT_PROJECT_DIR=str(project_dir),
    )
    if params.indirect_selection:
        env["DBT_INDIRECT_SELECTION"] = params.indirect_selection
    arguments = ["build", *dbt_runner.PRODUCTION_BUILD_EXCLUDES, *params.selection_args]
    return DbtCliInvocation.run(
        args=[dbt_runner.executable(), *arguments],
        env=env,
        manifest=params.manifest,
        dagster_dbt_translator=params.dagster_dbt_translator,
        project_dir=project_dir,
        target_path=target,
        raise_on_error=False,
        context=context,
        adapter=None,
        cli_version=version.parse(dbt_version),
        dbt_project=params.dbt_project,
    )


def dbt_project_assets(project_dir: Path, manifest: Mapping[str, Any]) -> dg.AssetsDefinition:
    """Every model, seed and snapshot of the project, its tests as checks."""

    @dbt_assets(
        manifest=dict(manifest),
        dagster_dbt_translator=ProjectTranslator(manifest),
        name="dbt_build",
    )
    def dbt_build(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[Any]:
        settings = warehouse.settings()
        target = dbt_target_dir() / "dagster" / f"{context.run.run_id[:8]}-{uuid.uuid4().hex[:7]}"
        with step_history(context), pipeline.recorded("transform", settings):
            observability.ensure_tables(settings)  # the run-history sources models read
            invocation = _invocation(context, project_dir, settings, target)
            try:
                yield from invocation.stream()
            finally:
                rows = observability.dbt_node_rows(target, "build")
                pipeline.record_history(settings, "dbt_nodes", rows)
                _keep_artifacts(target)
                shutil.rmtree(target, ignore_errors=True)
            if not invocation.is_successful():
                raise DataOpsError(
                    f"`dbt build` failed (exit {invocation.process.returncode}): see the failed"
                    " checks and the step's log"
                )

    return dbt_build


def _keep_artifacts(target: Path) -> None:
    """Leave the build's manifest and run results in dbt's target folder, where a CLI build
    leaves them: the daily deploy publishes them from there for slim CI to defer to."""
    for name in ("manifest.json", "run_results.json"):
        if (target / name).exists():
            shutil.copy2(target / name, dbt_target_dir() / name)
