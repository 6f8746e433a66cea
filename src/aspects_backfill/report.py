"""Counting what a run did, showing progress, and the final summary.

The invariant the summary keeps: every line read is transformed, skipped or rejected
(``lines_read = lines_transformed + sum(skipped) + sum(rejected)``). Statements a
destination refuses are counted apart, under ``statements_rejected``.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

log = logging.getLogger("aspects_backfill")


@dataclass
class Summary:
    lines_read: int = 0
    lines_transformed: int = 0
    statements_made: int = 0
    statements_written: int = 0
    statements_already_present: int = 0
    events: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    statements_rejected: Counter = field(default_factory=Counter)
    sources: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    destination: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "sources": self.sources,
            "bytes_read": self.bytes_read,
            "lines_read": self.lines_read,
            "lines_transformed": self.lines_transformed,
            "statements_made": self.statements_made,
            "statements_written": self.statements_written,
            "statements_already_present": self.statements_already_present,
            "events": dict(sorted(self.events.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "rejected": dict(sorted(self.rejected.items())),
            "statements_rejected": dict(sorted(self.statements_rejected.items())),
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }

    def write_json(self, path: str) -> None:
        with open(path, "wb") as fh:
            fh.write(orjson.dumps(self.as_dict(), option=orjson.OPT_INDENT_2) + b"\n")

    def render(self, console: Console) -> None:
        rate = self.lines_read / self.seconds if self.seconds > 0 else 0.0
        table = Table(title="aspects-backfill summary", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column(justify="right")
        table.add_row("destination", self.destination)
        table.add_row("sources", f"{self.sources:,}")
        table.add_row("lines read", f"{self.lines_read:,}")
        table.add_row("lines transformed", f"{self.lines_transformed:,}")
        table.add_row("lines skipped", f"{sum(self.skipped.values()):,}")
        table.add_row("lines rejected", f"{sum(self.rejected.values()):,}")
        table.add_row("statements made", f"{self.statements_made:,}")
        table.add_row("statements written", f"{self.statements_written:,}")
        table.add_row("statements already present", f"{self.statements_already_present:,}")
        table.add_row("statements refused by destination", f"{sum(self.statements_rejected.values()):,}")
        table.add_row("time", f"{self.seconds:.1f} s ({rate:,.0f} lines/s)")
        console.print(table)
        for title, counter in (
            ("statements by event", self.events),
            ("skipped by reason", self.skipped),
            ("rejected by reason", self.rejected),
            ("refused by destination", self.statements_rejected),
        ):
            if counter:
                t = Table(title=title, title_justify="left")
                t.add_column("name")
                t.add_column("count", justify="right")
                for key, count in counter.most_common():
                    t.add_row(str(key), f"{count:,}")
                console.print(t)
        for note in self.notes:
            console.print(f"[yellow]note:[/yellow] {note}")


class ProgressView:
    """Rich progress on a terminal; a log line every ``interval`` seconds otherwise."""

    def __init__(
        self, console: Console, total_bytes: int | None, enabled: bool = True, interval: float = 10.0
    ) -> None:
        self.console = console
        self.interactive = enabled and console.is_terminal
        self.enabled = enabled
        self.interval = interval
        self._last = time.monotonic()
        self._progress: Progress | None = None
        self._task = None
        if self.interactive:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task("backfill", total=total_bytes)
            self._progress.start()

    def update(self, summary: Summary, source: str, bytes_done: int) -> None:
        if self._progress is not None:
            self._progress.update(
                self._task,
                completed=bytes_done,
                description=f"{_short(source)}  {summary.lines_read:,} lines",
            )
            return
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            log.info(
                "progress: %s lines read, %s statements written, %s rejected, %s skipped (%s)",
                summary.lines_read,
                summary.statements_written,
                sum(summary.rejected.values()),
                sum(summary.skipped.values()),
                _short(source),
            )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def stderr_console() -> Console:
    return Console(file=sys.stderr)
