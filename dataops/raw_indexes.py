"""The indexes the sources declare on raw tables (`config: meta: indexes:` in the sources
YAML), which dbt's incremental models look changed keys up by; created as the loader, which
owns the raw tables, before dbt builds as the transformer, which may not create them.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import psycopg2
import yaml
from psycopg2 import sql

from dataops.core.paths import REPO_ROOT
from dataops.core.warehouse import WarehouseSettings

# the databases whose declared raw indexes all exist (checked once per process)
_INDEXED: set[tuple[str, int, str]] = set()


def source_indexes(project_dir: Path = REPO_ROOT) -> list[tuple[str, str, tuple[str, ...]]]:
    """(schema, table, columns) of every index a source table declares (`config: meta:
    indexes:`, a list of column lists), as `macros/source_indexes.sql` reads them: read here
    from the YAML (~15 ms), as a `dbt run-operation` would cost a dbt process (~3 s)."""
    declared: list[tuple[str, str, tuple[str, ...]]] = []
    for path in sorted((project_dir / "models").rglob("*.yml")):
        text = path.read_text()
        if "sources:" not in text or "indexes:" not in text:
            continue
        for source in (yaml.safe_load(text) or {}).get("sources") or []:
            for table in source.get("tables") or []:
                meta = {
                    **(table.get("meta") or {}),
                    **((table.get("config") or {}).get("meta") or {}),
                }
                for columns in meta.get("indexes") or []:
                    name = table.get("identifier", table["name"])
                    declared.append((source.get("schema", source["name"]), name, tuple(columns)))
    return declared


def ensure_source_indexes(loader: WarehouseSettings, project_dir: Path = REPO_ROOT) -> None:
    """Create the raw indexes the sources declare and the warehouse lacks, as the loader, the
    raw tables' owner: dbt runs as the transformer, which may not (its `on-run-start` stops a
    build whose index is missing). A table not loaded yet is skipped."""
    key = (loader.host, loader.port, loader.dbname)
    if key in _INDEXED:
        return
    declared = [
        (schema, table, columns, f"{table}_by_{'_'.join(columns)}")
        for schema, table, columns in source_indexes(project_dir)
    ]
    ident = sql.Identifier
    complete = True
    with loader.session(autocommit=True) as connection, connection.cursor() as cursor:
        for schema, table, columns, index in declared:
            cursor.execute(
                "select to_regclass(%s) is not null, to_regclass(%s) is not null",
                (ident(schema, table).as_string(cursor), ident(schema, index).as_string(cursor)),
            )
            table_exists, index_exists = cursor.fetchone()
            complete = complete and table_exists
            if not table_exists or index_exists:
                continue
            create = sql.SQL("create index if not exists {} on {} ({})").format(
                ident(index), ident(schema, table), sql.SQL(", ").join(map(ident, columns))
            )
            with contextlib.suppress(psycopg2.errors.UniqueViolation):  # another process's
                cursor.execute(create)
    if complete:
        _INDEXED.add(key)
