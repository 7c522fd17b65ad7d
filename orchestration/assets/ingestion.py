"""The raw tables as assets: one multi-asset per source of `ingestion.registry.SOURCES`, one
asset per table the dbt sources read, keyed `[source, table]` as dagster-dbt keys the dbt
source, so the graph runs unbroken from each raw table into the models.

dagster-dlt (`@dlt_assets`, `DagsterDltTranslator`) is not used: it runs a dlt pipeline itself,
and our runs must go through `dataops.pipeline.ingest` (`ingestion.runner.run_source`) to keep
what a load is here: the quarantine and its `max_rejected_share`, the crash recovery of a
pending package, the roles (dlt loads as the loader), and the run history. Its translator
would key one asset per dlt resource; we key one per table dbt reads, which also covers the
tables a resource writes beside its own (`_rejected_rows`, `_loaded_files`, an API's child
table) and dlt's `_dlt_loads`.

A run may select some tables of a source. The landing source loads only the selected tables
(each kind of file is a dlt resource of its own); the Shop API and the ECB rates load whole,
whatever is selected, and report the selected tables. The bookkeeping tables (`_dlt_loads`,
`_loaded_files`, `_rejected_rows`) are written by every load of their source.

A failed load is retried with exponential backoff, except where running it again unchanged
cannot help: a usage or configuration error, or a load whose rejects passed the source's limit
(its good rows are loaded; a retry would load nothing and pass).
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dlt.common.configuration.exceptions import ConfigurationException

from dataops import pipeline
from dataops.core.errors import DataOpsError, first_line
from orchestration.assets.project import Warehouse, owners, source_tables
from orchestration.history import step_history

RETRY = dg.RetryPolicy(
    max_retries=3, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def group_name(source: str) -> str:
    return f"raw_{source}"


def _spec(source: str, table: str, node: dict[str, Any], loaded: dict[str, Any]) -> dg.AssetSpec:
    description = node.get("description") or node.get("source_description") or None
    return dg.AssetSpec(
        key=dg.AssetKey([source, table]),
        description=description,
        group_name=group_name(source),
        owners=owners(node, loaded),
        kinds={"dlt", "postgres"},
        metadata={"dagster/table_name": f"{node['schema']}.{node['identifier']}"},
        skippable=True,
    )


def _not_retried(exc: Exception) -> dg.Failure:
    return dg.Failure(description=first_line(exc), allow_retries=False)


def source_assets(source: str, loaded: dict[str, Any]) -> dg.AssetsDefinition:
    """The multi-asset of one source: every table of it the dbt sources read."""
    tables = {
        table: node
        for (name, table), node in sorted(source_tables(loaded).items())
        if name == source
    }
    specs = [_spec(source, table, node, loaded) for table, node in tables.items()]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        can_subset=True,
        retry_policy=RETRY,
        description=f"Load the source `{source}` into raw_{source} (dataops.pipeline.ingest).",
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[Any]:
        selected = sorted(key.path[-1] for key in context.selected_asset_keys)
        data = [table for table in selected if not table.startswith("_")]
        whole = not data or len(selected) == len(tables)
        try:
            with step_history(context):
                counts = pipeline.ingest(
                    [source], tables=() if whole else data, settings=warehouse.settings()
                )
        except DataOpsError as exc:
            if not exc.retryable:
                raise _not_retried(exc) from exc
            raise
        except ConfigurationException as exc:  # a dlt setting missing or invalid
            raise _not_retried(exc) from exc
        rows = counts.get(source, {})
        for table in selected:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey([source, table]),
                metadata={"rows_loaded": int(rows.get(table, 0))},
            )

    return ingest


def ingestion_assets(loaded: dict[str, Any]) -> list[dg.AssetsDefinition]:
    """One multi-asset per registered source that the dbt sources read."""
    read = {source for source, _ in source_tables(loaded)}
    return [source_assets(source, loaded) for source in pipeline.source_names() if source in read]


def history_specs(loaded: dict[str, Any]) -> list[dg.AssetSpec]:
    """The run-history tables the dbt sources read (`observability`): written by every
    recorded step (`dataops.observability`), never materialized on their own."""
    registered = set(pipeline.source_names())
    return [
        dg.AssetSpec(
            key=dg.AssetKey([source, table]),
            description=node.get("description") or None,
            group_name="run_history",
            owners=owners(node, loaded),
            kinds={"postgres"},
            metadata={"dagster/table_name": f"{node['schema']}.{node['identifier']}"},
        )
        for (source, table), node in sorted(source_tables(loaded).items())
        if source not in registered
    ]
