"""Progress output: one timestamped line on stderr, so stdout stays clean for values such as
`dataops db url`."""

from __future__ import annotations

import sys
import time


def say(message: str, *, source: str | None = None) -> None:
    """Report progress: `[HH:MM:SS] message` on stderr, flushed at once; `source` names who
    speaks when several tools share a terminal (`[bench HH:MM:SS] ...`)."""
    prefix = f"{source} " if source else ""
    print(f"[{prefix}{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
