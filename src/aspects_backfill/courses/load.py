"""Replace a course's rows in ClickHouse without duplicates and without a gap.

``course_overviews`` and ``course_blocks`` are plain MergeTree tables: nothing collapses
there. A load therefore (1) inserts the new copy, stamped with a ``time_last_dumped`` later
than any existing one, then (2) removes every other copy of that course with a lightweight
``DELETE`` (synchronous). Between the two steps a reader sees two copies (Aspects' own
models pick the newest), never none. The ``dump_id`` is derived from the rows' content, so
"unchanged" is one indexed query: exactly one overview and one row per block, all with it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..clickhouse.connection import ClickHouse
from ..clickhouse.schema import ensure_event_sink
from .rows import BLOCK_COLUMNS, OVERVIEW_COLUMNS, CourseRows
from .values import dump_time

log = logging.getLogger("aspects_backfill")

OVERVIEWS = "event_sink.course_overviews"
BLOCKS = "event_sink.course_blocks"
# Aspects' dbt MV target holding the newest copy of each block (stale copies removed too).
MOST_RECENT_BLOCKS = "event_sink.dim_most_recent_course_blocks"
# Aspects' dictionaries built from the course tables, reloaded after a load.
COURSE_DICTIONARIES = (
    "event_sink.dim_course_names",
    "reporting.dim_course_block_names",
    "reporting.dim_most_recent_course_tags",
)
_DUMP_NAMESPACE = uuid.UUID("5b0c8d2e-6f53-4f0a-9a43-6c1d2f7e9b10")
_DUMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f+00:00"


def content_dump_id(rows: CourseRows) -> uuid.UUID:
    """The same content always gets the same dump_id: what makes "unchanged" checkable."""
    return uuid.uuid5(_DUMP_NAMESPACE, f"{rows.course_key}\n{rows.fingerprint}")


@dataclass
class Stored:
    """What the destination holds for one course."""

    overviews: int
    overview_dump_ids: set[str]
    blocks: int
    distinct_locations: int
    block_dump_ids: set[str]
    latest_dumped: str | None

    def is_exactly(self, dump_id: uuid.UUID, block_count: int) -> bool:
        want = {str(dump_id)}
        return (
            self.overviews == 1
            and self.overview_dump_ids == want
            and self.blocks == block_count == self.distinct_locations
            and (self.block_dump_ids == want or block_count == 0)
        )


def stored(ch: ClickHouse, org: str, course_key: str) -> Stored:
    """Counts for one course (org first: both tables are sorted by org, course_key)."""
    params = {"org": org, "key": course_key}
    (ov,) = ch.query(
        f"SELECT count(), groupUniqArray(toString(dump_id)), max(time_last_dumped) FROM {OVERVIEWS} "
        "WHERE org = {org:String} AND course_key = {key:String}",
        params,
    )
    (bl,) = ch.query(
        f"SELECT count(), uniqExact(location), groupUniqArray(toString(dump_id)), max(time_last_dumped) "
        f"FROM {BLOCKS} WHERE org = {{org:String}} AND course_key = {{key:String}}",
        params,
    )
    latest = max((t for t in (ov[2], bl[3]) if t), default=None)
    return Stored(int(ov[0]), set(ov[1]), int(bl[0]), int(bl[1]), set(bl[2]), latest)


def next_dump_time(latest: str | None) -> str:
    """Now, or just after the newest existing copy (so it sorts last whatever the clock says)."""
    now = datetime.now(UTC)
    if latest:
        try:
            previous = datetime.strptime(latest, _DUMP_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            previous = None
        if previous and previous >= now:
            now = previous + timedelta(microseconds=1)
    return dump_time(now)


def table_exists(ch: ClickHouse, name: str) -> bool:
    db, table = name.split(".")
    rows = ch.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        {"db": db, "t": table},
    )
    return bool(rows[0][0])


def replace_course(
    ch: ClickHouse, rows: CourseRows, dump_id: uuid.UUID, dumped: str, had_rows: bool = True
) -> None:
    """Insert the new copy, then delete every other copy of the course (never a gap)."""
    ch.insert(BLOCKS, rows.block_values(dump_id, dumped), BLOCK_COLUMNS)
    ch.insert(OVERVIEWS, rows.overview_values(dump_id, dumped), OVERVIEW_COLUMNS)
    if not had_rows:
        return
    params = {"org": rows.org, "key": rows.course_key, "dumped": dumped}
    # Waits for the delete on any version (newer servers also wait by lightweight_deletes_sync).
    stale = "course_key = {key:String} AND time_last_dumped != {dumped:String} SETTINGS mutations_sync = 2"
    for table in (OVERVIEWS, BLOCKS):
        ch.command(f"DELETE FROM {table} WHERE org = {{org:String}} AND {stale}", params)
    if table_exists(ch, MOST_RECENT_BLOCKS):
        ch.command(f"DELETE FROM {MOST_RECENT_BLOCKS} WHERE {stale}", params)


def reload_dictionaries(ch: ClickHouse) -> list[str]:
    """``SYSTEM RELOAD DICTIONARY`` for Aspects' course dictionaries that exist here."""
    reloaded = []
    for name in COURSE_DICTIONARIES:
        db, dictionary = name.split(".")
        exists = ch.query(
            "SELECT count() FROM system.dictionaries WHERE database = {db:String} AND name = {n:String}",
            {"db": db, "n": dictionary},
        )
        if exists[0][0]:
            try:
                ch.command(f"SYSTEM RELOAD DICTIONARY {name}")
                reloaded.append(name)
            except Exception as exc:  # a broken dictionary must not undo a finished load
                log.warning("could not reload %s: %s", name, str(exc).splitlines()[0])
    return reloaded


def prepare(ch: ClickHouse) -> None:
    ensure_event_sink(ch, ("course_overviews", "course_blocks"))


def load_course_names(ch: ClickHouse) -> dict[str, str]:
    """course_key → display_name from the destination's course_overviews (latest row per course)."""
    if not table_exists(ch, OVERVIEWS):
        return {}
    rows = ch.query(
        f"SELECT course_key, argMax(display_name, (modified, time_last_dumped)) FROM {OVERVIEWS} "
        "GROUP BY course_key"
    )
    return {key: name for key, name in rows}


def course_names_from_destination(dest: str | None) -> dict[str, str]:
    """The ``xapi`` course map when ``--courses`` is not given: the destination's overviews."""
    from ..clickhouse.connection import is_clickhouse_dest, open_clickhouse
    from ..errors import UsageError

    if not dest or dest == "-" or not is_clickhouse_dest(dest):
        raise UsageError(
            "course names are needed: pass --courses courses.csv (or load courses into a ClickHouse --to)"
        )
    ch = open_clickhouse(dest)
    try:
        names = load_course_names(ch)
    finally:
        ch.close()
    if not names:
        raise UsageError(
            f"{ch.where} has no course_overviews rows: run `aspects-backfill courses` first, or pass --courses"
        )
    return names
