"""Several destinations at once (``--to`` given more than once): each gets every statement.

Destinations are written in parallel, one thread each. A statement counts as delivered
only when every destination acknowledged it; one refused anywhere is a reject that names
the destination(s). Per-destination counts are in ``notes()``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..errors import BackfillError
from .base import Record, Sink, WriteResult


class FanOutSink:
    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks
        self.name = " + ".join(s.name for s in sinks)
        self.batch_rows = max(s.batch_rows for s in sinks)
        self.sizes_own_batches = any(getattr(s, "sizes_own_batches", False) for s in sinks)
        self._pool = ThreadPoolExecutor(len(sinks), thread_name_prefix="fanout")

    def write(self, batch: list[Record]) -> WriteResult:
        self._raise_if_failed()
        futures = [self._pool.submit(s.write, batch) for s in self.sinks]
        results, errors = [], []
        for sink, future in zip(self.sinks, futures, strict=True):
            try:
                results.append((sink, future.result()))
            except BackfillError as exc:
                errors.append(str(exc))
        if errors:
            raise BackfillError(" | ".join(errors))
        return combine(batch, results)

    def commit(self) -> None:
        self._raise_if_failed()
        for sink in self.sinks:
            sink.commit()

    def checkpoint(self) -> dict:
        """Each destination's rollback mark (None for those that de-duplicate instead)."""
        return {"sinks": [getattr(s, "checkpoint", lambda: None)() for s in self.sinks]}

    def resume(self, mark: dict) -> None:
        """Roll each destination that can back to its mark of the last commit."""
        marks = mark.get("sinks") or [{} for _ in self.sinks]
        for sink, own in zip(self.sinks, marks, strict=True):
            if own is not None and hasattr(sink, "resume"):
                sink.resume(own)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for sink in self.sinks:
            sink.close()

    def notes(self) -> list[str]:
        return [note for s in self.sinks for note in getattr(s, "notes", list)()]

    def _raise_if_failed(self) -> None:
        failures = [f for s in self.sinks if (f := getattr(s, "failure", None))]
        if failures:
            raise BackfillError(" | ".join(failures))


def combine(batch: list[Record], results: list[tuple[Sink, WriteResult]]) -> WriteResult:
    """One result for the batch: refused anywhere → rejected (once); delivered only if everywhere.

    Sinks report written/already-present as counts, so "already present" is what every
    destination had (at most the smallest count); a destination that stopped part-way makes
    the delivered count a lower bound, and its own message says exactly what it delivered.
    """
    refused: dict[int, tuple[Record, str, list[str]]] = {}
    unacknowledged = 0
    for sink, result in results:
        for record, reason, detail in result.rejected:
            entry = refused.setdefault(id(record), (record, reason, []))
            entry[2].append(f"{sink.name}: {detail}" if len(results) > 1 else detail)
        unacknowledged += len(batch) - result.written - result.already_present - len(result.rejected)
    out = WriteResult()
    out.rejected = [(record, reason, " | ".join(details)) for record, reason, details in refused.values()]
    delivered = max(0, len(batch) - len(out.rejected) - unacknowledged)
    out.already_present = min([delivered] + [r.already_present for _, r in results])
    out.written = delivered - out.already_present
    return out
