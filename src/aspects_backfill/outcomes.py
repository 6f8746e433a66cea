"""What became of each log line, as plain tuples the run loop counts (the seam to the workers).

``line_outcome`` does everything a line needs short of writing: parse, transform, serialise
the statements into ``Record``s. The run loop (``pipeline.Runner``) only counts, rejects and
batches what it gets, so the same loop serves the in-process path and the worker processes
(``parallel.WorkerPool``), and both give identical output in identical order.

An outcome is ``(line number, end, kind, name, payload)``; ``end`` is the bytes consumed from
the stream up to the end of that line (where a resumed run may start again):
- ``OK``: name = event name, payload = the line's records;
- ``SKIPPED``: name = reason, payload = how many lines (the workers merge runs of skipped
  lines with one reason into one outcome; ``line number`` and ``end`` are the last one's);
- ``REJECTED``: name = reason, payload = (detail, the raw line);
- ``BLANK``: empty lines, payload = how many (their bytes count as read; the lines do not).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

from .pipeline import RunOptions, to_records, transform_line
from .reader import iter_lines_ends
from .transform import Context, Rejected, Skipped

BLANK, OK, SKIPPED, REJECTED = 0, 1, 2, 3

Outcome = tuple[int, int, int, str, Any]


def line_outcome(line_no: int, end: int, line: bytes, ctx: Context, opts: RunOptions, source: str) -> Outcome:
    if not line.strip():  # ERB ignores blank lines
        return (line_no, end, BLANK, "", 1)
    try:
        name, statements = transform_line(line, ctx, opts)
    except Skipped as skip:
        return (line_no, end, SKIPPED, skip.reason, 1)
    except Rejected as rej:
        return (line_no, end, REJECTED, rej.reason, (rej.detail, line))
    records = to_records(statements, source, line_no)
    if opts.prepare is not None:
        records = opts.prepare(records)
    return (line_no, end, OK, name, records)


def merge_runs(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """Consecutive blank lines, or skipped lines with one reason, as one counted outcome."""
    merged: list[Outcome] = []
    for out in outcomes:
        kind = out[2]
        if kind in (BLANK, SKIPPED) and merged:
            prev = merged[-1]
            if prev[2] == kind and prev[3] == out[3]:
                merged[-1] = (out[0], out[1], kind, out[3], prev[4] + out[4])
                continue
        merged.append(out)
    return merged


class LineEngine(Protocol):
    """Turns a source's stream into outcomes, in input order."""

    workers: int

    def outcomes(self, source: str, stream: IO[bytes], first_line: int = 0) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


class InProcess:
    """The plain path: each line transformed in this process as it is read."""

    workers = 1

    def __init__(self, ctx: Context, opts: RunOptions) -> None:
        self.ctx = ctx
        self.opts = opts

    def outcomes(self, source: str, stream: IO[bytes], first_line: int = 0) -> Iterator[Outcome]:
        ctx, opts = self.ctx, self.opts
        for line_no, line, end in iter_lines_ends(stream, first_line):
            yield line_outcome(line_no, end, line, ctx, opts, source)

    def close(self) -> None:
        pass

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
