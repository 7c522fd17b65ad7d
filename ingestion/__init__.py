"""dlt pipelines, one package per source, registered in `ingestion.registry`.

- `registry`: the sources the CLI can run; `runner`: how one run is carried out.
- `schema`: the column kinds (Arrow type, dlt type, validation), each declared once.
- `quarantine`: record models and the `_rejected_rows` table that keeps what cannot load.
- `pages`: API pages as Arrow tables, batched and fetched ahead.
- `dlt_seams`: every reliance on dlt beyond its documented API, each with its check.
- `shop`, `ecb`, `landing`: one package per source.

This package imports only the ground floor of `dataops` (`dataops.core`) and itself.
"""
