"""The sources the CLI can run.

Adding a source is one line in `SOURCES`: its name (the raw schema becomes `raw_<name>`), the
dlt source function, the load-file format its data travels in, and whether a run may load only
some of its tables. How a run is carried out is `ingestion.runner`.
"""

from ingestion.ecb import ecb_source
from ingestion.landing import landing_source
from ingestion.runner import Source, run_source
from ingestion.shop import shop_source

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("shop", shop_source, loader_file_format="parquet"),
        Source("ecb", ecb_source),
        Source("landing", landing_source, loader_file_format="parquet", tables_selectable=True),
    )
}

__all__ = ["SOURCES", "Source", "run_source"]
