"""Destinations: ``-`` (stdout), ``file:PATH``; more register in ``open_sink``."""

from __future__ import annotations

from ..errors import UsageError
from .base import Record, Sink, WriteResult


def open_sink(dest: str) -> Sink:
    """The sink a ``--to`` value names."""
    if dest == "-":
        from .files import FileSink

        return FileSink(None)
    if dest.startswith("file:"):
        from .files import FileSink

        path = dest[len("file:") :]
        if not path:
            raise UsageError("--to file:PATH needs a path")
        return FileSink(path)
    raise UsageError(f"unsupported destination: {dest}")


__all__ = ["Record", "Sink", "WriteResult", "open_sink"]
