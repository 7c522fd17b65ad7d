"""Progress output: one timestamped line on stderr, so stdout stays clean for values such as
`dataops db url`."""

from __future__ import annotations

import sys
import time


def say(message: str) -> None:
    """Report progress: `[HH:MM:SS] message` on stderr, flushed at once."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
