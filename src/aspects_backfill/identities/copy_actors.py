"""``aspects-backfill actors``: the LMS's xAPI id map into ``event_sink.external_id``.

These are the rows the Aspects plugin writes on each ExternalId save; dashboards join them
to show learners' names. Rows already there (same id, user and username) are left alone, so
a second run adds only what changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..clickhouse import open_clickhouse
from ..clickhouse.schema import ensure_event_sink
from ..errors import BackfillError, UsageError
from .clickhouse_source import ACTORS_SQL, _stream
from .lms import EXTERNAL_ID, ID_TYPE, UUID_TEXT, Lms, is_lms_url, parse_lms_url
from .new_actors import EXTERNAL_ID_COLUMNS, external_id_rows

BATCH = 50_000


@dataclass
class CopyResult:
    read: int = 0
    written: int = 0
    unchanged: int = 0
    bad: int = 0
    seconds: float = 0.0
    where: str = ""


def copy_actors(source: str, dest: str | None, batch: int = BATCH) -> CopyResult:
    if not is_lms_url(source):
        raise UsageError("--from takes the LMS database: mysql://USER@HOST[:PORT]/DB")
    started = time.monotonic()
    lms = Lms(parse_lms_url(source))
    ch = None
    try:
        lms.require_tables("auth_user", EXTERNAL_ID, ID_TYPE)
        ch = open_clickhouse(dest)
        ensure_event_sink(ch, ("external_id",))
        present = {(uid, name, ext) for uid, name, ext in _stream(ch, ACTORS_SQL)}
        result = CopyResult(where=ch.where)
        pending: list[tuple[int, str, str]] = []
        match = UUID_TEXT.fullmatch
        for row in lms.stream_xapi_ids():
            result.read += 1
            if row[2] is None or not match(row[2]):
                result.bad += 1
            elif (row[0], row[1] or "", row[2]) in present:
                result.unchanged += 1
            else:
                pending.append(row)
                if len(pending) >= batch:
                    result.written += _insert(ch, pending)
        if pending:
            result.written += _insert(ch, pending)
    finally:
        lms.close()
        if ch is not None:
            ch.close()
    result.seconds = time.monotonic() - started
    return result


def _insert(ch, rows: list[tuple[int, str, str]]) -> int:
    try:
        ch.insert("event_sink.external_id", external_id_rows(rows), EXTERNAL_ID_COLUMNS)
    except Exception as exc:
        raise BackfillError(
            f"cannot write {ch.where} event_sink.external_id: {str(exc).splitlines()[0]}"
        ) from exc
    count = len(rows)
    rows.clear()
    return count
