"""dlt pipelines: one module per source, registered in `ingestion.registry`."""
