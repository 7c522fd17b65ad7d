"""dbt source freshness as asset checks on the raw assets: one `freshness` check per source
table with limits in the dbt sources YAML.

One run of `dataops.pipeline.freshness` (`dbt source freshness`, recorded in the run history
as the CLI's) checks every source; each check reads its table's result from dbt's
`sources.json`: pass passes, warn fails with severity WARN, error (and a table dbt could not
check) fails with severity ERROR. A stale source fails its check, not the run's other steps,
as `dataops run` builds anyway; a freshness run that could not check anything (the warehouse
away) fails the step.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from dataops import observability, pipeline
from dataops.core.errors import DataOpsError
from dataops.core.paths import dbt_target_dir
from orchestration.assets.project import Warehouse, source_tables
from orchestration.history import step_history

CHECK_NAME = "freshness"
SEVERITY = {"warn": dg.AssetCheckSeverity.WARN}


def has_limits(node: dict[str, Any]) -> bool:
    """Whether dbt checks the table's freshness: a warn or error limit with a count."""
    limits = node.get("freshness") or {}
    return any((limits.get(kind) or {}).get("count") for kind in ("warn_after", "error_after"))


def _limit(node: dict[str, Any], kind: str) -> str:
    limit = (node.get("freshness") or {}).get(kind) or {}
    return f"{limit['count']} {limit['period']}" if limit.get("count") else "none"


def freshness_checks(loaded: dict[str, Any]) -> dg.AssetChecksDefinition:
    """The freshness checks of every source table that has limits."""
    nodes = {
        dg.AssetKey([source, table]): node
        for (source, table), node in sorted(source_tables(loaded).items())
        if has_limits(node)
    }
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            description=(
                f"dbt source freshness: warn after {_limit(node, 'warn_after')},"
                f" error after {_limit(node, 'error_after')}"
            ),
        )
        for key, node in nodes.items()
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name="source_freshness")
    def source_freshness(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse
    ) -> Iterator[dg.AssetCheckResult]:
        failure: DataOpsError | None = None
        try:
            with step_history(context):
                pipeline.freshness(settings=warehouse.settings())
        except DataOpsError as exc:  # stale past the error limit: the checks below say which
            failure = exc
        results = {
            (row["source_name"], row["table_name"]): row
            for row in observability.freshness_rows(dbt_target_dir())
        }
        if failure is not None and not results:
            raise failure
        for check in sorted(context.selected_asset_check_keys, key=str):
            yield _result(check.asset_key, results.get(tuple(check.asset_key.path)))

    return source_freshness


def _result(key: dg.AssetKey, row: dict[str, Any] | None) -> dg.AssetCheckResult:
    if row is None:
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=False,
            metadata={"status": "not checked"},
        )
    status = str(row["status"])
    metadata = {
        "status": status,
        "max_loaded_at": str(row.get("max_loaded_at")),
        "age_s": float(row.get("age_s") or 0.0),
    }
    if row.get("error"):
        metadata["error"] = str(row["error"])
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=CHECK_NAME,
        passed=status == "pass",
        severity=SEVERITY.get(status, dg.AssetCheckSeverity.ERROR),
        metadata=metadata,
    )
