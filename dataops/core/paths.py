"""Where the repository and its local state live.

Local state (the embedded PostgreSQL, demo data, dlt working folders) sits in a gitignored
`.local/` folder of the repository, so one clone is one self-contained environment.
`DATAOPS_STATE_DIR` moves it elsewhere (the tests use a temporary folder).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def state_dir() -> Path:
    """The folder holding everything this clone creates at run time."""
    configured = os.environ.get("DATAOPS_STATE_DIR")
    path = Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_dir() -> Path:
    """The demo business: its SQLite shop and its landing folder of file drops."""
    return state_dir() / "demo"


def dbt_target_dir(state: Path | None = None) -> Path:
    """Where dbt writes its artifacts (manifest.json, run_results.json, compiled SQL).

    The clone's own runs use `target/` as usual. A run with its own state folder
    (`DATAOPS_STATE_DIR`: tests, benchmarks) keeps its artifacts there, so parallel runs never
    share a manifest or a partial-parse file. `DBT_TARGET_PATH` overrides both. `state` asks
    for the folder of a run with that state folder (a benchmark reading its subprocess's).
    """
    if state is not None:
        return state / "dbt" / "target"
    configured = os.environ.get("DBT_TARGET_PATH")
    if configured:
        return Path(configured)
    if os.environ.get("DATAOPS_STATE_DIR"):
        return dbt_target_dir(state_dir())
    return REPO_ROOT / "target"
