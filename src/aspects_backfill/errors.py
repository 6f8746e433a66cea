"""Errors that end a run, with the exit code the CLI gives them."""


class BackfillError(Exception):
    """A fatal error: the run stops with exit code 1 and this one-line message."""

    exit_code = 1


class UsageError(BackfillError):
    """The command line or its inputs are wrong: exit code 2."""

    exit_code = 2
