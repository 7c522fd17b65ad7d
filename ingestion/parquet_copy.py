"""How a Parquet load file reaches PostgreSQL: one COPY (ADBC) fed as a stream of batches.

dlt's own job hands the ADBC driver a Python generator of batches, and the driver turns any
object that is not an Arrow stream into one table in memory first, so the load step held the
whole file: 1.3 GiB for a 10M-row landing file, 5.4 GiB for a 50M-row one, 3 GiB for the Shop
API's 30M records. dlt's other mode, one COPY per row group, keeps memory down but took 15-20 %
longer. This job gives the driver an Arrow stream (`RecordBatchReader`) that decodes the file a
row group at a time: one COPY, memory of about one row group (the 50M-row file's load step
peaked at 0.4 GiB), in the one transaction dlt's job commits. (A stream over
`ParquetFile.iter_batches` grew again, to 1.4 GiB for that file.)
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from dlt.destinations.impl.postgres import postgres as dlt_postgres


class StreamedParquetCopyJob(dlt_postgres.PostgresParquetCopyJob):
    """dlt's Parquet copy job for PostgreSQL, reading the file as a stream."""

    def run(self) -> None:
        catalog, schema = self._set_catalog_and_schema()
        target = {"catalog_name": catalog, "db_schema_name": schema}
        with (
            pq.ParquetFile(self._file_path) as parquet,
            self._connect() as connection,
            connection.cursor() as cursor,
        ):
            batches = (
                batch
                for group in range(parquet.num_row_groups)
                for batch in parquet.read_row_group(group).to_batches()
            )
            cursor.adbc_ingest(
                self.load_table_name,
                pa.RecordBatchReader.from_batches(parquet.schema_arrow, batches),
                mode="append",
                **{name: value for name, value in target.items() if value is not None},
            )
            connection.commit()


def stream_parquet_copies() -> None:
    """Make dlt's PostgreSQL client create `StreamedParquetCopyJob`s (it looks the job class up
    in its module on every Parquet file). If a new dlt moves the pieces this relies on, the
    error says where to look rather than loading with memory that grows with the file."""
    needed = ("_set_catalog_and_schema", "_connect", "load_table_name")
    if not all(hasattr(dlt_postgres.PostgresParquetCopyJob, name) for name in needed):
        raise RuntimeError(
            "dlt's PostgresParquetCopyJob is not what ingestion/parquet_copy.py expects"
            f" (a class with {', '.join(needed)}): adapt StreamedParquetCopyJob to this dlt"
        )
    dlt_postgres.PostgresParquetCopyJob = StreamedParquetCopyJob
