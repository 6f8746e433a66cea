"""The run: sources → reader → transform → sink, with counts, rejects, progress and run state.

Kept as one loop over plain functions so that the hot path is easy to read and to profile.
After every batch the sink commits and only then the run state advances (each object's
committed line, and the sink's rollback mark), so a killed run resumes exactly where the
destination stands. ``request_stop`` (Ctrl-C, SIGTERM) ends the run at the next batch boundary.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from .jsontext import dumps
from .reader import iter_lines, parse_line
from .rejects import RejectWriter
from .report import ProgressView, Summary
from .sinks.base import Record, Sink, WriteResult
from .sources import SourceObject, open_from
from .state import ObjectState, StateKeeper
from .transform import Context, transform_event
from .transform.errors import Rejected, Skipped
from .transform.timestamps import parse_timestamp

if TYPE_CHECKING:
    from .outcomes import LineEngine

log = logging.getLogger("aspects_backfill")


@dataclass
class RunOptions:
    all_events: bool = False
    batch_rows: int | None = None  # None: the sink's own preference
    dry_run: bool = False
    events: frozenset[str] | None = None  # only these event names
    since: dt.datetime | None = None  # event time, inclusive
    until: dt.datetime | None = None  # event time, exclusive
    sleep_between_batches: float = 0.0  # seconds, after each written batch (ERB's throttle)
    commit_seconds: float = 1.0  # commit (and save the run state) at most this often, and at the end
    # the destination's per-record preparation (``sinks.record_preparer``), run where lines are transformed
    prepare: Callable[[list[Record]], list[Record]] | None = None


def transform_line(line: bytes, ctx: Context, opts: RunOptions) -> tuple[str, list[dict]]:
    """(event name, statements) for one line; raises ``Rejected`` / ``Skipped``."""
    event = parse_line(line)
    name = event.get("name")
    if opts.events is not None and name not in opts.events:
        raise Skipped("filtered out", str(name))
    if opts.since is not None or opts.until is not None:
        _check_time_range(event, opts)
    return str(name), transform_event(event, ctx, opts.all_events)


def _check_time_range(event: dict, opts: RunOptions) -> None:
    try:
        when = parse_timestamp(event.get("timestamp"))
    except Rejected:
        return  # the transform rejects it, with its reason
    if opts.since is not None and when < opts.since:
        raise Skipped("before --since")
    if opts.until is not None and when >= opts.until:
        raise Skipped("at or after --until")


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
        lines: LineEngine | None = None,
        state: StateKeeper | None = None,
    ) -> None:
        from .outcomes import InProcess

        self.ctx = ctx
        self.lines = lines or InProcess(ctx, opts)  # parallel.open_engine for more workers
        self.sink = sink
        self.rejects = rejects
        self.opts = opts
        self.progress = progress
        self.state = state
        self.summary = Summary(destination="(dry run)" if sink is None else sink.name)
        rows = opts.batch_rows or (sink.batch_rows if sink is not None else 5000)
        self.batch_rows = max(1, rows)
        self._batch: list[Record] = []
        self._pending: dict[str, ObjectState] = {}  # positions reached, not yet committed
        self._last_commit = time.monotonic()
        self.stop_requested = False
        self.interrupted = False  # stopped before the end; the state says where
        self.finished_before = 0  # objects an earlier run finished (skipped)
        self.resumed_objects = 0

    def request_stop(self) -> None:
        """Stop at the next batch boundary (safe to call from a signal handler)."""
        self.stop_requested = True

    def run(self, sources: Iterable[SourceObject]) -> Summary:
        started = time.monotonic()
        try:
            for src in sources:
                if self.stop_requested:
                    self.interrupted = True
                    break
                if not self._run_object(src):
                    self.interrupted = True
                    break
            self._flush()
            self._commit()
            self._add_notes()
        finally:
            self.summary.seconds = time.monotonic() - started
            self.rejects.flush()
        return self.summary

    def _run_object(self, src: SourceObject) -> bool:
        """Reads one object from its committed position; False if stopped part-way."""
        start = self.state.start(src) if self.state is not None else None
        if start is not None and start.done:
            self.finished_before += 1
            return True
        self.summary.sources += 1
        skip_to = 0
        first_line = 0
        stream, positioned = open_from(src, (start.bytes or 0) if start is not None else 0)
        if start is not None and start.lines:
            self.resumed_objects += 1
            if positioned:
                first_line = start.lines
            else:
                skip_to = start.lines
        with stream:
            finished = self._consume(src, stream, first_line, skip_to)
        return finished

    def _consume(self, src: SourceObject, stream: IO[bytes], first_line: int, skip_to: int) -> bool:
        from .outcomes import OK, REJECTED, SKIPPED

        summary = self.summary
        name = src.name
        batch = self._batch
        opts = self.opts
        line_no = first_line
        if skip_to > first_line:  # a compressed object resumes by re-reading up to its position
            for line_no, _ in iter_lines(stream, first_line):
                if line_no >= skip_to:
                    break
            first_line = line_no
        base = _tell(stream)  # the outcomes say where each line ends, counted from here
        consumed = 0
        for line_no, end, kind, what, payload in self.lines.outcomes(name, stream, first_line):
            summary.bytes_read += end - consumed
            consumed = end
            if kind == OK:
                summary.lines_read += 1
                summary.lines_transformed += 1
                summary.events[what] += 1
                summary.statements_made += len(payload)
                batch.extend(payload)
                if len(batch) >= self.batch_rows:
                    self._reached(src, line_no, None if base is None else base + end, done=False)
                    self._flush()
                    if self.stop_requested or time.monotonic() - self._last_commit >= opts.commit_seconds:
                        self._commit()
                    batch = self._batch
                    if self.progress is not None:
                        self.progress.update(summary, name, summary.bytes_read)
                    if self.stop_requested:
                        return False
                    if opts.sleep_between_batches > 0 and self.sink is not None:
                        time.sleep(opts.sleep_between_batches)
            elif kind == SKIPPED:
                summary.lines_read += payload
                summary.skipped[what] += payload
            elif kind == REJECTED:
                summary.lines_read += 1
                summary.rejected[what] += 1
                detail, line = payload
                self.rejects.add(name, line_no, what, detail, line)
            # BLANK: ERB ignores blank lines; their bytes are read, the lines are not counted
        self._reached(src, max(line_no, skip_to), None if base is None else base + consumed, done=True)
        return True

    def _reached(self, src: SourceObject, line_no: int, position: int | None, done: bool) -> None:
        if self.state is not None:
            self._pending[src.name] = ObjectState(src.size, src.version, line_no, position, done)

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        if self.sink is None:  # dry run: transformed and validated, written nowhere
            return
        self._account(self.sink.write(batch))

    def _commit(self) -> None:
        """Make the destination durable, then (and only then) advance the run state."""
        if self.sink is None:
            return
        self._last_commit = time.monotonic()
        self.sink.commit()
        self.rejects.flush()
        if self.state is not None and self._pending:
            checkpoint = getattr(self.sink, "checkpoint", None)
            sink_mark = checkpoint() if checkpoint is not None else None
            self.state.committed(self._pending, sink_mark, self.rejects.checkpoint())
            self._pending = {}

    def _add_notes(self) -> None:
        if self.finished_before:
            self.summary.notes.append(
                f"{self.finished_before} source object(s) finished by an earlier run were skipped"
            )
        if self.resumed_objects:
            self.summary.notes.append(
                f"{self.resumed_objects} source object(s) resumed from where an earlier run stopped; "
                "counts above are for this run only"
            )

    def _account(self, result: WriteResult) -> None:
        self.summary.statements_written += result.written
        self.summary.statements_already_present += result.already_present
        for record, reason, detail in result.rejected:
            self.summary.statements_rejected[reason] += 1
            self.rejects.add(record.source, record.line, f"destination: {reason}", detail, record.body)


def _tell(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell()
    except (OSError, ValueError, AttributeError):
        return None
