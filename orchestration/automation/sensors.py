"""A sensor on the landing location: a new or replaced file starts one run of its table's
landing asset and the dbt assets built from it, nothing else.

The location is the landing source's (`sources.landing.bucket_url`, else the demo landing
folder), listed with dlt's `filesystem` resource as the landing source lists it, one glob per
table of `ingestion.landing.tables`, so a file belongs to the table whose glob matches it there.
Names starting with a dot are skipped as the source skips them (a file still being uploaded).

The cursor holds every file seen with its table, size and modification time. A file missing
from it or changed in size or time is new or replaced; the files found so in one evaluation
start one run for their tables. The run key is made of those files, so evaluating again with
nothing changed requests nothing, even with a lost cursor update. The first evaluation sees every
file as new: one run loads what is there (the load itself skips files it read before).
"""

# no `from __future__ import annotations`: Dagster reads the decorated functions' annotations

import hashlib
import json
from pathlib import PurePosixPath

import dagster as dg
import dlt
from dlt.sources.filesystem import filesystem

from dataops.core.paths import demo_dir
from ingestion.landing.tables import FILES
from orchestration.automation.config import dbt_descendants, materializable

LANDING = "landing"
# table, size in bytes, modification time (ISO 8601), per file's path under the location
FileState = list[str | int | None]


def landing_url() -> str:
    """Where the landing source reads: its configured bucket_url, else the demo folder."""
    configured = dlt.config.get(f"sources.{LANDING}.bucket_url")
    return str(configured) if configured else (demo_dir() / LANDING).as_uri()


def landing_files(url: str) -> dict[str, FileState]:
    """Every file the landing source would read at `url`, by its path under it."""
    found: dict[str, FileState] = {}
    for table in FILES:
        for item in filesystem(bucket_url=url, file_glob=table.file_glob):  # file by file
            if not PurePosixPath(item["relative_path"]).name.startswith("."):
                found[item["relative_path"]] = [
                    table.name,
                    item.get("size_in_bytes"),
                    item["modification_date"].isoformat(),
                ]
    return found


def landing_selection(tables: list[str]) -> dg.AssetSelection:
    """The landing assets of `tables` and the dbt assets built from them."""
    return dbt_descendants(dg.AssetSelection.assets(*(dg.AssetKey([LANDING, t]) for t in tables)))


def run_key(changed: dict[str, FileState]) -> str:
    """One key per set of new or replaced files (with their sizes and times)."""
    text = json.dumps(sorted(changed.items()), sort_keys=True)
    return f"{LANDING}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


@dg.sensor(
    name="landing_files",
    target=landing_selection([table.name for table in FILES]),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A new or replaced landing file loads its table and what dbt builds from it.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    url = landing_url()
    seen: dict[str, FileState] = json.loads(context.cursor) if context.cursor else {}
    now = landing_files(url)
    cursor = json.dumps(now, sort_keys=True)
    changed = {path: state for path, state in now.items() if seen.get(path) != state}
    if not changed:
        return dg.SensorResult(skip_reason=f"no new or replaced file in {url}", cursor=cursor)
    tables = sorted({str(state[0]) for state in changed.values()})
    keys = materializable(landing_selection(tables), context.repository_def.asset_graph)
    request = dg.RunRequest(
        run_key=run_key(changed),
        asset_selection=sorted(keys),
        tags={"dataops/trigger": "landing", "dataops/landing_tables": ",".join(tables)},
    )
    context.log.info(f"{len(changed)} new or replaced file(s) of {', '.join(tables)}")
    return dg.SensorResult(run_requests=[request], cursor=cursor)
