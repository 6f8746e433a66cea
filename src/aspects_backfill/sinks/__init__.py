"""Destinations: ``-`` (stdout), ``file:PATH``, ``lrs+http(s)://…``, ``chdb:PATH``, ``clickhouse://…``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import UsageError
from .base import Record, Sink, WriteResult

if TYPE_CHECKING:
    from .lrs import LrsOptions


def open_sink(dest: str, lrs: LrsOptions | None = None, **options) -> Sink:
    """The sink a ``--to`` value names; ``lrs`` carries the LRS options (defaults if None),
    ``options`` the ClickHouse ones (``xapi_table``, ``batch_rows``, ``batch_bytes``, ``strict``)."""
    if dest == "-":
        from .files import FileSink

        return FileSink(None)
    if dest.startswith("file:"):
        from .files import FileSink

        path = dest[len("file:") :]
        if not path:
            raise UsageError("--to file:PATH needs a path")
        return FileSink(path)
    if dest.startswith(("lrs+https://", "lrs+http://")):
        from .lrs import LrsOptions, LrsSink

        return LrsSink(dest, lrs or LrsOptions().with_env_secrets())
    if dest.startswith(("chdb:", "clickhouse://", "clickhouses://")):
        from .clickhouse import ClickHouseSink

        known = ("xapi_table", "batch_rows", "batch_bytes", "strict", "preflight")
        return ClickHouseSink(dest, **{k: v for k, v in options.items() if k in known and v is not None})
    if "@" in dest:  # never echo what may be a password in a URL we do not know
        raise UsageError("unsupported destination (userinfo hidden)")
    raise UsageError(f"unsupported destination: {dest}")


def record_preparer(dests: list[str]) -> Callable[[list[Record]], list[Record]] | None:
    """Work a destination does on each record before the write, done where records are made.

    With ``--workers N`` that is the worker processes, so a single writer (chDB) only joins and
    inserts. The function is pure and module level (workers are forked after it is chosen)."""
    if any(d.startswith(("chdb:", "clickhouse://", "clickhouses://")) for d in dests):
        from ..clickhouse.rows import prepare_records

        return prepare_records
    return None


def open_sinks(dests: list[str], lrs: LrsOptions | None = None, **options) -> Sink:
    """One sink for one ``--to``; a fan-out that writes every statement to each for several."""
    if len(set(dests)) != len(dests):
        raise UsageError("the same --to is given twice")
    sinks: list[Sink] = []
    try:
        for dest in dests:
            sinks.append(open_sink(dest, lrs, **options))
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    if len(sinks) == 1:
        return sinks[0]
    from .fanout import FanOutSink

    return FanOutSink(sinks)


__all__ = ["Record", "Sink", "WriteResult", "open_sink", "open_sinks"]
