"""Where the repository and its local state live.

Local state (the embedded PostgreSQL, demo data, dlt working folders) sits in a gitignored
`.local/` folder of the repository, so one clone is one self-contained environment.
`DATAOPS_STATE_DIR` moves it elsewhere (the tests use a temporary folder).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def state_dir() -> Path:
    """The folder holding everything this clone creates at run time."""
    configured = os.environ.get("DATAOPS_STATE_DIR")
    path = Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_dir() -> Path:
    """The demo business: its SQLite shop and its landing folder of file drops."""
    return state_dir() / "demo"
