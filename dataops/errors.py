"""Errors a user can cause: the CLI prints their message on one line and exits non-zero."""


class DataOpsError(Exception):
    """A problem the user can fix; the message names what to fix."""

    exit_code = 1
