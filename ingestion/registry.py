"""The sources the CLI can run, and how one pipeline run is carried out.

Adding a source is one line in `SOURCES`: its name (the raw schema becomes `raw_<name>`), the
dlt source function, and the load-file format its data travels in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

from dataops.errors import DataOpsError
from dataops.paths import state_dir
from dataops.warehouse import Connection
from ingestion.ecb import ecb_source
from ingestion.landing import landing_source
from ingestion.shop import shop_source


@dataclass(frozen=True)
class Source:
    name: str
    factory: Callable[..., Any]
    loader_file_format: str | None = None

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("shop", shop_source),
        Source("ecb", ecb_source),
        Source("landing", landing_source, loader_file_format="parquet"),
    )
}


class IngestionFailed(DataOpsError):
    """A pipeline step failed; the message names the source and the step."""


def make_pipeline(source: Source, conn: Connection) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=source.name,
        destination=dlt.destinations.postgres(credentials=conn.url()),
        dataset_name=source.dataset,
        pipelines_dir=str(state_dir() / "dlt" / "pipelines"),
    )


def run_source(source: Source, conn: Connection, **kwargs: Any) -> dict[str, int]:
    """Load one source into its raw schema; returns rows loaded per table."""
    pipeline = make_pipeline(source, conn)
    try:
        info = pipeline.run(source.factory(**kwargs), loader_file_format=source.loader_file_format)
        info.raise_on_failed_jobs()
    except PipelineStepFailed as exc:
        cause = exc.__context__ or exc.exception
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise IngestionFailed(f"{source.name}: {exc.step} step failed: {reason}") from None
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    return {
        table: rows
        for table, rows in sorted(counts.items())
        if not table.startswith("_dlt") and not table.endswith("_files")
    }
