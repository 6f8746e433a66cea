"""The one interface every destination implements.

The pipeline hands a sink batches of ``Record``s in input order. ``write`` returns what
happened to each record; ``commit`` makes everything written so far durable (the run state
advances only after it); ``close`` releases resources. A sink refuses individual statements
by listing them in ``WriteResult.rejected``; it raises ``BackfillError`` only when it cannot
go on at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol


class Record(NamedTuple):
    statement_id: str
    timestamp: str  # the statement's timestamp text (ISO 8601 with offset)
    body: bytes  # the statement as compact JSON
    source: str
    line: int
    # what a destination prepared from the statement in the worker that made it (so the single
    # writer does less per statement), or None; see ``sinks.record_preparer``
    prepared: tuple | None = None


@dataclass
class WriteResult:
    written: int = 0
    already_present: int = 0
    rejected: list[tuple[Record, str, str]] = field(default_factory=list)  # (record, reason, detail)

    def merge(self, other: WriteResult) -> None:
        self.written += other.written
        self.already_present += other.already_present
        self.rejected.extend(other.rejected)


class Sink(Protocol):
    name: str
    batch_rows: int  # the batch size this destination works best with

    def write(self, batch: list[Record]) -> WriteResult: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...
