"""The landing source: file drops read into one raw table each.

`tables` declares the kinds of drop, `source` is the dlt source, `readers` (with
`csv_reader` and `conform`) read each format into Arrow and find the rejected records.
"""

from ingestion.landing.source import landing_source

__all__ = ["landing_source"]
