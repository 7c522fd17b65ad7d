"""Errors a user can cause: the CLI prints their message on one line and exits non-zero."""

from __future__ import annotations


class DataOpsError(Exception):
    """A problem the user can fix; the message names what to fix."""

    exit_code = 1
    # whether the same step run again unchanged may succeed (a server or an API away for a
    # while): an orchestrator retries only these; a usage or configuration error, or data
    # that broke a rule, needs a change first
    retryable = True


class UsageError(DataOpsError):
    """A command called the wrong way: usage errors exit 2, as argparse's and click's do."""

    exit_code = 2
    retryable = False


class WarehouseUnavailable(DataOpsError):
    """PostgreSQL cannot be reached or started."""


def first_line(error: BaseException | str | None, default: str | None = None) -> str:
    """The first non-empty line of an error's text (a message, a traceback, a tool's output).

    An exception or text with nothing to say gives `default`, else the exception's class name
    (or "no output" for text).
    """
    text = str(error or "").strip()
    if text:
        return text.splitlines()[0].strip()
    if default is not None:
        return default
    return type(error).__name__ if isinstance(error, BaseException) else "no output"


def last_line(text: str | None, default: str = "no output") -> str:
    """The last non-empty line of a tool's output, where its own summary usually is."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else default
