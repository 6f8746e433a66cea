"""``aspects-backfill courses``: read exports, build rows, replace what changed, report."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field

import click

from ..clickhouse import open_clickhouse
from ..errors import BackfillError, UsageError
from .archive import open_export
from .load import content_dump_id, next_dump_time, prepare, reload_dictionaries, replace_course, stored
from .olx import parse_course
from .rows import CourseRows, build_rows

log = logging.getLogger("aspects_backfill")


@dataclass
class Outcome:
    source: str
    status: str  # loaded | replaced | skipped | failed
    course_key: str | None = None
    blocks: int = 0
    reason: str = ""


@dataclass
class CoursesSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    dictionaries: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def render(self) -> None:
        for o in self.outcomes:
            what = f"{o.course_key} ({o.blocks} blocks)" if o.status != "failed" else o.source
            detail = f": {o.reason}" if o.reason else ""
            click.echo(f"{o.status:8} {what}{detail}", err=True)
        click.echo(
            f"courses: {self.count('loaded')} loaded, {self.count('replaced')} replaced, "
            f"{self.count('skipped')} unchanged (skipped), {self.count('failed')} failed "
            f"in {self.seconds:.1f}s",
            err=True,
        )
        if self.dictionaries:
            click.echo(f"reloaded dictionaries: {', '.join(self.dictionaries)}", err=True)

    def write_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)


def read_sources(
    sources: list[str], course_key: str | None
) -> tuple[list[tuple[str, CourseRows]], list[Outcome]]:
    """Parse every export; a bad one fails alone, and a course given twice loads once."""
    parsed: list[tuple[str, CourseRows]] = []
    failed: list[Outcome] = []
    seen: dict[str, str] = {}
    for source in sources:
        try:
            rows = build_rows(parse_course(open_export(source)), course_key)
        except BackfillError as exc:
            failed.append(Outcome(source, "failed", reason=str(exc)))
            continue
        if rows.course_key in seen:
            failed.append(
                Outcome(
                    source,
                    "failed",
                    rows.course_key,
                    reason=f"{rows.course_key} is also in {seen[rows.course_key]}",
                )
            )
            continue
        seen[rows.course_key] = source
        parsed.append((source, rows))
    return parsed, failed


def load_one(ch, source: str, rows: CourseRows, force: bool) -> Outcome:
    dump_id = content_dump_id(rows)
    before = stored(ch, rows.org, rows.course_key)
    if not force and before.is_exactly(dump_id, len(rows.blocks)):
        return Outcome(source, "skipped", rows.course_key, len(rows.blocks), "unchanged since its last load")
    had_rows = bool(before.overviews or before.blocks)
    replace_course(ch, rows, dump_id, next_dump_time(before.latest_dumped), had_rows)
    status = "replaced" if had_rows else "loaded"
    reason = "forced" if force and status == "replaced" else ""
    return Outcome(source, status, rows.course_key, len(rows.blocks), reason)


def run_courses(
    sources: list[str],
    dest: str | None,
    force: bool = False,
    course_key: str | None = None,
    summary_path: str | None = None,
) -> CoursesSummary:
    if course_key and len(sources) > 1:
        raise UsageError("--course-key applies to one export; give one SOURCE with it")
    started = time.monotonic()
    parsed, failed = read_sources(sources, course_key)
    summary = CoursesSummary(outcomes=list(failed))
    if parsed:
        ch = open_clickhouse(dest)
        try:
            prepare(ch)
            for source, rows in parsed:
                try:
                    summary.outcomes.append(load_one(ch, source, rows, force))
                except Exception as exc:  # one course's failure is reported, the others still load
                    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    summary.outcomes.append(Outcome(source, "failed", rows.course_key, reason=message))
            if any(o.status in ("loaded", "replaced") for o in summary.outcomes):
                summary.dictionaries = reload_dictionaries(ch)
        finally:
            ch.close()
    summary.seconds = time.monotonic() - started
    if summary_path:
        summary.write_json(summary_path)
    summary.render()
    if summary.count("failed"):
        raise BackfillError(f"{summary.count('failed')} of {len(sources)} course exports failed (see above)")
    return summary
