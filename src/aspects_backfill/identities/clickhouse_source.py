"""Learner ids and course names from the ClickHouse destination's ``event_sink`` tables.

The Aspects plugin mirrors the LMS there (``external_id`` on every ExternalId save,
``course_overviews`` on every publish), appending a row per dump: the latest row per user
(type ``xapi``) and per course is the current one.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..clickhouse.connection import ClickHouse
from ..errors import BackfillError
from ..transform import ActorLookup
from .lms import UUID_TEXT

ACTORS_SQL = """
SELECT user_id, argMax(username, time_last_dumped), toString(argMax(external_user_id, time_last_dumped))
FROM event_sink.external_id WHERE external_id_type = 'xapi' GROUP BY user_id
"""
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def _stream(ch: ClickHouse, sql: str) -> Iterator[tuple]:
    try:
        with ch.client.query_row_block_stream(sql) as blocks:
            for block in blocks:
                yield from block
    except Exception as exc:
        raise BackfillError(f"cannot read {ch.where}: {str(exc).splitlines()[0]}") from exc


def table_has_rows(ch: ClickHouse, table: str, where: str = "1") -> bool:
    db, _, name = table.partition(".")
    exists = ch.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {name:String}",
        {"db": db, "name": name},
    )
    return bool(exists[0][0]) and bool(ch.query(f"SELECT count() > 0 FROM {table} WHERE {where}")[0][0])


def load_actors_clickhouse(ch: ClickHouse) -> ActorLookup:
    from .lookup import MapActorLookup

    actors = MapActorLookup()
    by_id, by_name, match = actors.by_id, actors.by_name, UUID_TEXT.fullmatch
    for user_id, username, external in _stream(ch, ACTORS_SQL):
        if not match(external) or external == ZERO_UUID:
            continue  # a row ClickHouse filled with the default UUID names no learner
        by_id[user_id] = external
        if username:
            by_name[username] = external
    return actors


def load_courses_clickhouse(ch: ClickHouse) -> dict[str, str]:
    """One definition of "the current name" for the whole tool: the courses loader's."""
    from ..courses import load_course_names

    return load_course_names(ch)
