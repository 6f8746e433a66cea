"""The raw xAPI table of ClickHouse (embedded chDB or a server) as a destination.

One row per statement: ``event_id`` = statement id, ``emission_time`` = its timestamp in UTC,
``event`` = the statement text the file destination writes. Per batch:

1. duplicates inside the batch are folded, and ids the table already holds are looked up
   through the primary key (the batch's emission_time range, then the ids): re-runs and
   overlaps with live data insert nothing twice, so ``count()`` stays the number of ids;
2. when views hang off the table, the batch goes first through a Null-engine copy of the
   chain (``clickhouse/preflight.py``); statements a view refuses are isolated by splitting
   and rejected with ClickHouse's message, the rest is loaded;
3. the INSERT itself (TabSeparated, see ``clickhouse/rows.py``); connection failures to a
   server are retried with backoff, and a final failure says what was and was not loaded.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TypeVar

from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from ..clickhouse.connection import ClickHouse, open_clickhouse
from ..clickhouse.pitfalls import COURSE_BLOCKS, PitfallChecks, ttl_cutoff
from ..clickhouse.preflight import Preflight
from ..clickhouse.rows import COLUMNS, FORMAT, INSERT_SETTINGS, BadRow, Row, encode
from ..clickhouse.schema import DEFAULT_XAPI_TABLE, ensure_xapi_table, split_table
from ..clickhouse.views import downstream_views, ttl_tables
from ..errors import BackfillError, UsageError
from .base import Record, WriteResult

log = logging.getLogger("aspects_backfill")
T = TypeVar("T")

# Rows per INSERT. Each INSERT into Aspects' views has a large fixed cost (20,266 statements:
# 25 s in batches of 1,000, 2.2 s in one), so batches are big there; a bare table needs less.
ROWS_WITH_VIEWS = 50_000
ROWS_BARE = 20_000
BYTES_EMBEDDED = 128 * 1024 * 1024
BYTES_SERVER = 32 * 1024 * 1024
LOOKUP_CHUNK = 20_000  # ids per existence query
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
# Errors that no statement causes (rights, limits, a missing table): the run stops with what
# was loaded instead of splitting the batch down to single statements that all fail alike.
NOT_ABOUT_THE_DATA = {
    16,  # NO_SUCH_COLUMN_IN_TABLE
    60,  # UNKNOWN_TABLE
    81,  # UNKNOWN_DATABASE
    159,  # TIMEOUT_EXCEEDED
    164,  # READONLY
    202,  # TOO_MANY_SIMULTANEOUS_QUERIES
    209,  # SOCKET_TIMEOUT
    210,  # NETWORK_ERROR
    241,  # MEMORY_LIMIT_EXCEEDED
    242,  # TABLE_IS_READ_ONLY
    243,  # NOT_ENOUGH_SPACE
    252,  # TOO_MANY_PARTS
    497,  # ACCESS_DENIED
}


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    match = re.search(r"Code: (\d+)", str(exc))
    return int(match.group(1)) if match else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    for marker in ("DB::Exception: ", "server response: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.splitlines()[0][:500] if text else type(exc).__name__


class ClickHouseSink:
    def __init__(
        self,
        dest: str,
        xapi_table: str = DEFAULT_XAPI_TABLE,
        batch_rows: int | None = None,
        batch_bytes: int | None = None,
        strict: bool = False,
        preflight: bool = True,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        try:
            split_table(xapi_table)
        except ValueError as exc:
            raise UsageError(f"--xapi-table: {exc}") from exc
        self.table = xapi_table
        self.retry_delays = () if dest.startswith("chdb:") else retry_delays
        self._notes: list[str] = []
        self.loaded = 0
        self._current: list[Row] = []  # the chunk being loaded, for failure messages
        self.ch: ClickHouse = self._retrying(lambda: open_clickhouse(dest), "connect")
        self.name = f"{self.ch.where} {xapi_table}"
        self.preflight: Preflight | None = None
        try:
            self._retrying(lambda: ensure_xapi_table(self.ch, xapi_table), "create the xAPI table")
            views = self._retrying(lambda: downstream_views(self.ch, xapi_table), "read the views")
            self._retrying(lambda: self._setup_views(views, preflight, strict), "inspect the destination")
        except DatabaseError as exc:
            self.ch.close()
            raise BackfillError(
                f"cannot prepare {xapi_table} on {self.ch.where}: {_first_line(exc)}"
            ) from exc
        except BaseException:
            self.ch.close()
            raise
        self.batch_rows = batch_rows or (ROWS_WITH_VIEWS if views else ROWS_BARE)
        self.batch_bytes = batch_bytes or (BYTES_EMBEDDED if self.ch.embedded else BYTES_SERVER)

    def _setup_views(self, views, preflight: bool, strict: bool) -> None:
        self.views = views
        if not views:
            self.checks = PitfallChecks(self.ch, None, False, strict)
            return
        targets = list(dict.fromkeys(v.target for v in views))
        ttl = ttl_cutoff(self.ch, ttl_tables(self.ch, targets))
        db, table = COURSE_BLOCKS.split(".")
        has_blocks = bool(
            self.ch.query(
                "SELECT 1 FROM system.tables WHERE database = {d:String} AND name = {t:String}",
                {"d": db, "t": table},
            )
        )
        self.checks = PitfallChecks(self.ch, ttl, has_blocks, strict)
        if preflight:
            try:
                self.preflight = Preflight(self.ch, self.table, views)
            except DatabaseError as exc:
                self._notes.append(
                    "could not create the scratch copy of the view chain "
                    f"({_first_line(exc)}): refused batches were split on the real table"
                )

    # -- the Sink interface ---------------------------------------------------------------

    def write(self, batch: list[Record]) -> WriteResult:
        result = WriteResult()
        rows: dict[str, Row] = {}
        for record in batch:
            try:
                row = Row(record)
            except BadRow as bad:
                result.rejected.append((record, bad.args[0], bad.args[1]))
                continue
            if row.id in rows:
                result.already_present += 1  # the same statement twice in this run
            else:
                rows[row.id] = row
        chunk: list[Row] = []
        size = 0
        for row in rows.values():
            chunk.append(row)
            size += len(row.line)
            if len(chunk) >= self.batch_rows or size >= self.batch_bytes:
                self._write_chunk(chunk, result)
                chunk, size = [], 0
        if chunk:
            self._write_chunk(chunk, result)
        return result

    def commit(self) -> None:
        """Every INSERT is synchronous and durable when it returns: nothing is pending."""

    def warnings(self) -> list[str]:
        """What the summary should say (pitfalls, refused INSERTs), complete after ``close``."""
        return list(self._notes)

    def notes(self) -> list[str]:
        return [f"{self.name}: {self.loaded:,} statements loaded", *self._notes]

    def close(self) -> None:
        self._notes.extend(self.checks.notes())
        if self.preflight is not None:
            self.preflight.drop()
            self.preflight = None
        self.ch.close()

    # -- loading ------------------------------------------------------------------------

    def _write_chunk(self, rows: list[Row], result: WriteResult) -> None:
        self._current = rows
        self.checks.before_load(rows, self.loaded)
        present = self._existing(rows)
        result.already_present += len(present)
        new = [r for r in rows if r.id not in present]
        if self.preflight is not None and new:
            new = self._preflight(new, result)
        if new:
            self._load(new, result)

    def _existing(self, rows: list[Row]) -> set[str]:
        """The ids of ``rows`` the table holds, looked up by primary key (time range, then id).

        A range the table has nothing in (a first backfill) costs one count; a range holding
        little more than the batch (a re-run) is fetched whole; otherwise the ids go as data."""
        found: set[str] = set()
        ordered = sorted(rows, key=lambda r: r.time)
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            part = ordered[start : start + LOOKUP_CHUNK]
            where = (
                f"emission_time >= toDateTime64('{part[0].time}', 6, 'UTC') "
                f"AND emission_time <= toDateTime64('{part[-1].time}', 6, 'UTC')"
            )
            in_range = int(self._query(f"SELECT count() FROM {self.table} WHERE {where}") or 0)
            if not in_range:
                continue
            if in_range > 2 * len(part) + 10_000:
                ids = "\\n".join(r.id for r in part)
                where += f" AND event_id IN (SELECT id FROM format(TSV, 'id UUID', '{ids}'))"
            held = self._query(f"SELECT event_id FROM {self.table} WHERE {where}").split()
            wanted = {r.id for r in part}
            found.update(i for i in (h.decode() for h in held) if i in wanted)
        return found

    def _query(self, sql: str) -> bytes:
        settings = {"max_query_size": len(sql) + 1024}
        try:
            return self._retrying(
                lambda: self.ch.client.raw_query(sql, fmt="TSV", settings=settings),
                "look up existing statements",
            )
        except OperationalError:
            raise
        except DatabaseError as exc:
            raise BackfillError(self._failure("look up existing statements", exc, None)) from exc

    def _insert(self, table: str, rows: list[Row]) -> None:
        data = encode(rows)
        self._retrying(
            lambda: self.ch.client.raw_insert(
                table, list(COLUMNS), insert_block=data, fmt=FORMAT, settings=INSERT_SETTINGS
            ),
            "insert",
            rows,
        )

    def _preflight(self, rows: list[Row], result: WriteResult) -> list[Row]:
        """The rows the view chain accepts; the others are rejected with ClickHouse's message."""
        assert self.preflight is not None
        try:
            self._insert(self.preflight.table, rows)
            return rows
        except OperationalError:
            raise
        except DatabaseError as exc:
            if _code(exc) in NOT_ABOUT_THE_DATA:
                raise BackfillError(self._failure("check a batch", exc, rows)) from exc
            if len(rows) == 1:
                result.rejected.append((rows[0].record, "refused by ClickHouse", _first_line(exc)))
                return []
            log.info(
                "a view refused %d statements (%s): splitting to find which", len(rows), _first_line(exc)
            )
        half = len(rows) // 2
        return self._preflight(rows[:half], result) + self._preflight(rows[half:], result)

    def _load(self, rows: list[Row], result: WriteResult) -> None:
        rows = list(rows)
        try:
            self._insert_new(rows, result)
        except DatabaseError as exc:
            if _code(exc) in NOT_ABOUT_THE_DATA:
                raise BackfillError(self._failure("insert", exc, rows)) from exc
            # Refused after the preflight (or without one): what landed before the failing view
            # stays; never insert it twice, split the rest.
            landed = self._existing(rows)
            if landed:
                self._notes.append(
                    f"{len(landed)} statements reached {self.table} in an INSERT that a view refused "
                    f"({_first_line(exc)}); views after the failing one may lack them"
                )
                self._count(len(landed), result)
                rows = [r for r in rows if r.id not in landed]
            if len(rows) == 1:
                result.rejected.append((rows[0].record, "refused by ClickHouse", _first_line(exc)))
            elif rows:
                half = len(rows) // 2
                self._load(rows[:half], result)
                self._load(rows[half:], result)

    def _insert_new(self, rows: list[Row], result: WriteResult) -> None:
        """Insert ``rows``; after a lost connection, re-insert only what did not land.

        ``rows`` is narrowed in place to what is still not loaded, for the caller's error path."""
        for attempt in range(len(self.retry_delays) + 1):
            try:
                self.ch.client.raw_insert(
                    self.table, list(COLUMNS), insert_block=encode(rows), fmt=FORMAT, settings=INSERT_SETTINGS
                )
            except OperationalError as exc:
                if attempt == len(self.retry_delays):
                    raise BackfillError(self._failure("insert", exc, rows)) from exc
                delay = self.retry_delays[attempt]
                log.warning("insert failed (%s); retrying in %.1f s", _first_line(exc), delay)
                time.sleep(delay)
                landed = self._existing(rows)
                self._count(len(landed), result)
                rows[:] = [r for r in rows if r.id not in landed]
                if not rows:
                    return
                continue
            self._count(len(rows), result)
            return
        raise AssertionError("unreachable")

    def _count(self, written: int, result: WriteResult) -> None:
        result.written += written
        self.loaded += written

    def _retrying(self, call: Callable[[], T], what: str, rows: list[Row] | None = None) -> T:
        """``call``, retried with backoff while a server cannot be reached."""
        delays = self.retry_delays
        for attempt in range(len(delays) + 1):
            try:
                return call()
            except (OperationalError, BackfillError) as exc:
                if isinstance(exc, BackfillError) and not isinstance(exc.__cause__, OperationalError):
                    raise  # e.g. a refused password: trying again will not help
                if attempt == len(delays):
                    raise BackfillError(self._failure(what, exc, rows)) from exc
                log.warning("%s failed (%s); retrying in %.1f s", what, _first_line(exc), delays[attempt])
                time.sleep(delays[attempt])
        raise AssertionError("unreachable")

    def _failure(self, what: str, exc: BaseException, rows: list[Row] | None) -> str:
        where = getattr(getattr(self, "ch", None), "where", "ClickHouse")
        text = f"could not {what} ({where}): {_first_line(exc)}. {self.loaded:,} statements were loaded in this run"
        rows = rows or self._current
        if rows:
            first, last = rows[0].record, rows[-1].record
            text += (
                f"; a batch of {len(rows):,} statements was not loaded ({first.source} line {first.line} to "
                f"{last.source} line {last.line}); re-run the same command: what is loaded is skipped"
            )
        return text
