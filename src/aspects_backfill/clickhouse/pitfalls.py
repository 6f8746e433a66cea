"""Aspects pitfalls checked on each batch before it is loaded (research notes §3.5).

- Derived tables with a TTL (1 year by default) drop older events at once or at the next merge:
  the raw table keeps them but dashboards never show them.
- Aspects' views join course blocks at insert time: statements of a course whose
  ``event_sink.course_blocks`` rows are missing get empty names forever.

Both are checked lazily, batch by batch, on data the sink already has (UTC times, the
statement text), so the checks cost one regex pass and one small query per new course.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from clickhouse_connect.driver.exceptions import DatabaseError

from ..errors import BackfillError
from .connection import ClickHouse
from .rows import Row
from .views import TtlTable

log = logging.getLogger("aspects_backfill")

_COURSE = re.compile(rb'/course/([^"\\]+)"')
COURSE_BLOCKS = "event_sink.course_blocks"


def ttl_cutoff(ch: ClickHouse, tables: list[TtlTable]) -> tuple[str, list[str]] | None:
    """(UTC text, tables): events older than this are already expired in those tables."""
    if not tables:
        return None
    spans = []
    for t in tables:
        rows = ch.query(
            f"SELECT toInt64(toUnixTimestamp({t.expression})) - toInt64(toUnixTimestamp(emission_time)) "
            "FROM (SELECT toDateTime64('2000-01-01 00:00:00', 6, 'UTC') AS emission_time)"
        )
        spans.append(int(rows[0][0]))
    cutoff = datetime.now(UTC) - timedelta(seconds=min(spans))
    return cutoff.strftime("%Y-%m-%d %H:%M:%S.%f"), [t.table for t in tables]


class PitfallChecks:
    def __init__(self, ch: ClickHouse, ttl: tuple[str, list[str]] | None, check_courses: bool, strict: bool):
        self.ch = ch
        self.cutoff, self.ttl_tables = ttl if ttl else (None, [])
        self.check_courses = check_courses
        self.strict = strict
        self.expired = 0
        self.courses_seen: set[str] = set()
        self.courses_missing: list[str] = []

    def before_load(self, rows: list[Row], loaded_so_far: int) -> None:
        """Warn (or, strict, abort before this batch) about what Aspects would hide or mislabel."""
        if self.cutoff is not None:
            old = sum(1 for r in rows if r.time < self.cutoff)
            if old:
                if self.strict:
                    raise BackfillError(
                        f"{old} statements in this batch are older than the TTL of {', '.join(self.ttl_tables)} "
                        f"(before {self.cutoff} UTC) and would not show in Aspects; --strict stops here: "
                        f"{loaded_so_far} statements were loaded before, none of this batch"
                    )
                if not self.expired:
                    log.warning(
                        "%d statements older than %s UTC: %s drop them by TTL (the raw table keeps them)",
                        old,
                        self.cutoff,
                        ", ".join(self.ttl_tables),
                    )
                self.expired += old
        if self.check_courses:
            self._check_courses(rows)

    def _check_courses(self, rows: list[Row]) -> None:
        found = {m.decode("utf-8", "replace") for r in rows for m in _COURSE.findall(r.record.body)}
        new = sorted(found - self.courses_seen)
        if not new:
            return
        self.courses_seen.update(new)
        try:
            rows = self.ch.query(
                f"SELECT DISTINCT course_key FROM {COURSE_BLOCKS} WHERE course_key IN {{keys:Array(String)}}",
                {"keys": new},
            )
        except DatabaseError as exc:  # e.g. no SELECT on event_sink: the check is advice, not a must
            log.warning(
                "cannot check %s (%s): course data is not checked", COURSE_BLOCKS, str(exc).splitlines()[0]
            )
            self.check_courses = False
            return
        present = {row[0] for row in rows}
        missing = [c for c in new if c not in present]
        if missing:
            log.warning(
                "no %s rows for %d course(s) in the input (%s): load course data first "
                "(aspects-backfill courses), Aspects' views join it at insert time",
                COURSE_BLOCKS,
                len(missing),
                ", ".join(missing[:5]),
            )
            self.courses_missing.extend(missing)

    def notes(self) -> list[str]:
        out = []
        if self.expired:
            out.append(
                f"{self.expired:,} statements are older than the TTL of {', '.join(self.ttl_tables)} "
                f"(before {self.cutoff} UTC): the raw table has them, Aspects' derived tables drop them"
            )
        if self.courses_missing:
            shown = ", ".join(self.courses_missing[:5]) + (" …" if len(self.courses_missing) > 5 else "")
            out.append(
                f"{len(self.courses_missing)} course(s) had no {COURSE_BLOCKS} rows when their statements "
                f"were loaded ({shown}): their dashboard rows lack block names; load courses first"
            )
        return out
