"""The run: sources → reader → transform → sink, with counts, rejects and progress.

Kept as one loop over plain functions so that the hot path is easy to read and to profile.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .jsontext import dumps
from .reader import iter_lines, parse_line
from .rejects import RejectWriter
from .report import ProgressView, Summary
from .sinks.base import Record, Sink, WriteResult
from .sources import SourceObject
from .transform import Context, transform_event
from .transform.errors import Rejected, Skipped


@dataclass
class RunOptions:
    all_events: bool = False
    batch_rows: int | None = None  # None: the sink's own preference
    dry_run: bool = False
    events: frozenset[str] | None = None  # only these event names
    extra: dict = field(default_factory=dict)


def transform_line(line: bytes, ctx: Context, opts: RunOptions) -> tuple[str, list[dict]]:
    """(event name, statements) for one line; raises ``Rejected`` / ``Skipped``."""
    event = parse_line(line)
    name = event.get("name")
    if opts.events is not None and name not in opts.events:
        raise Skipped("filtered out", str(name))
    return str(name), transform_event(event, ctx, opts.all_events)


def to_records(statements: list[dict], source: str, line_no: int) -> list[Record]:
    return [Record(s["id"], s.get("timestamp", ""), dumps(s), source, line_no) for s in statements]


class Runner:
    def __init__(
        self,
        ctx: Context,
        sink: Sink | None,
        rejects: RejectWriter,
        opts: RunOptions,
        progress: ProgressView | None = None,
    ) -> None:
        self.ctx = ctx
        self.sink = sink
        self.rejects = rejects
        self.opts = opts
        self.progress = progress
        self.summary = Summary(destination="(dry run)" if sink is None else sink.name)
        rows = opts.batch_rows or (sink.batch_rows if sink is not None else 5000)
        self.batch_rows = max(1, rows)
        self._batch: list[Record] = []

    def run(self, sources: Iterable[SourceObject]) -> Summary:
        started = time.monotonic()
        try:
            for src in sources:
                self.summary.sources += 1
                with src.open() as stream:
                    self._consume(src, stream)
            self._flush()
            if self.sink is not None:
                self.sink.commit()
        finally:
            self.summary.seconds = time.monotonic() - started
            self.rejects.flush()
        return self.summary

    def _consume(self, src: SourceObject, stream) -> None:
        summary = self.summary
        ctx, opts, name = self.ctx, self.opts, src.name
        batch = self._batch
        for line_no, line in iter_lines(stream):
            summary.bytes_read += len(line)
            if not line.strip():  # ERB ignores blank lines; they are not counted
                continue
            summary.lines_read += 1
            try:
                event_name, statements = transform_line(line, ctx, opts)
            except Skipped as skip:
                summary.skipped[skip.reason] += 1
                continue
            except Rejected as rej:
                summary.rejected[rej.reason] += 1
                self.rejects.add(name, line_no, rej.reason, rej.detail, line)
                continue
            summary.lines_transformed += 1
            summary.events[event_name] += 1
            summary.statements_made += len(statements)
            batch.extend(to_records(statements, name, line_no))
            if len(batch) >= self.batch_rows:
                self._flush()
                batch = self._batch
                if self.progress is not None:
                    self.progress.update(summary, name, summary.bytes_read)

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        if self.sink is None:  # dry run: transformed and validated, written nowhere
            return
        self._account(self.sink.write(batch))

    def _account(self, result: WriteResult) -> None:
        self.summary.statements_written += result.written
        self.summary.statements_already_present += result.already_present
        for record, reason, detail in result.rejected:
            self.summary.statements_rejected[reason] += 1
            self.rejects.add(record.source, record.line, f"destination: {reason}", detail, record.body)
