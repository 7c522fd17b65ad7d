"""What the landing readers share: the declaration of a kind of file drop (`FileTable`), the
`Batch`es they yield, and how a rejected record of a file is written."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from openpyxl.utils.exceptions import InvalidFileException

from ingestion.quarantine import Field, Model, rejected
from ingestion.schema import kind_of

BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, which every text format may start with
ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)
# what a broken file raises from the format libraries: the file becomes one reject
UNREADABLE = (pa.ArrowException, OSError, ValueError, zipfile.BadZipFile, InvalidFileException)


@dataclass(frozen=True)
class FileTable:
    """A kind of file drop: the raw table, a glob under the landing location, the primary
    key and the declared columns with their Arrow types. Any supported format may be dropped.
    """

    name: str
    file_glob: str
    primary_key: tuple[str, ...]
    columns: dict[str, pa.DataType] = field(default_factory=dict)

    @property
    def model(self) -> Model:
        """The record model JSON Lines and Excel records are converted with."""
        return Model(
            {
                name: Field(kind_of(type_).name, required=name in self.primary_key)
                for name, type_ in self.columns.items()
            }
        )


@dataclass
class Batch:
    """Conforming records as Arrow (None when there are none), the rejected ones, and how
    many records of the file the batch accounts for (`seen`), counted from the file itself
    (lines, sheet rows, Parquet metadata) rather than from what the parser made of them, so
    `read_file` can check that every record seen was loaded or rejected."""

    table: pa.Table | None
    rejects: list[dict[str, Any]]
    seen: int = 0

    @property
    def loaded(self) -> int:
        return 0 if self.table is None else self.table.num_rows


class FileRejected(Exception):
    """The whole file cannot be read; it becomes one rejected record."""


def reject(
    table: FileTable, origin: str, number: int | None, raw: str | None, error: str
) -> dict[str, Any]:
    """A `_rejected_rows` record of a file: ids tell apart equal lines by their position."""
    return rejected(table.name, origin, number, raw, error, positional=True)


def decode(raw: bytes) -> str:
    """Bytes as text, the ones that are not UTF-8 shown as `\\xNN`."""
    return raw.decode("utf-8", errors="backslashreplace")
