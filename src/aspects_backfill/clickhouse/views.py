"""What hangs off the raw xAPI table: the materialized views an INSERT drives, and their tables.

Aspects' dbt models fan every insert out to ``xapi_events_all_parsed``, the per-event tables and
the reporting tables. They matter to the loader for three reasons: one failing view fails the
whole INSERT (and leaves the rows that landed before it), derived tables may carry a TTL, and
their joins read course data at insert time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .connection import ClickHouse


@dataclass(frozen=True)
class View:
    database: str
    name: str
    source: str  # DB.TABLE whose inserts trigger the view
    target: str  # DB.TABLE the view writes to
    columns: str  # the "(`a` T, ...)" column list of the view, as ClickHouse prints it
    select: str  # the view's SELECT


@dataclass(frozen=True)
class TtlTable:
    table: str
    expression: str


_TO = re.compile(r"^CREATE MATERIALIZED VIEW \S+ TO (\S+)(?: (\(.*?\)))? AS ", re.S)
_TTL = re.compile(r"\bTTL (.+?)(?: SETTINGS |$)", re.S)


def _plain(name: str) -> str:
    return name.replace("`", "")


def downstream_views(ch: ClickHouse, table: str) -> list[View]:
    """Every materialized view an insert into ``table`` runs, parents before children."""
    db, name = table.split(".", 1)
    views: list[View] = []
    queue = [(db, name)]
    seen: set[tuple[str, str]] = set()
    while queue:
        src_db, src = queue.pop(0)
        if (src_db, src) in seen:
            continue
        seen.add((src_db, src))
        rows = ch.query(
            "SELECT dependencies_database, dependencies_table FROM system.tables "
            "WHERE database = {db:String} AND name = {name:String}",
            {"db": src_db, "name": src},
        )
        if not rows:
            continue
        for mv_db, mv in zip(*rows[0], strict=True):
            found = ch.query(
                "SELECT create_table_query, as_select FROM system.tables "
                "WHERE database = {db:String} AND name = {name:String} AND engine = 'MaterializedView'",
                {"db": mv_db, "name": mv},
            )
            if not found:
                continue
            create, select = found[0]
            match = _TO.match(create)
            if not match:  # an inner-engine view (no TO): its storage is internal; nothing to follow
                continue
            target = _plain(match.group(1))
            views.append(View(mv_db, mv, f"{src_db}.{src}", target, match.group(2) or "", select))
            queue.append(tuple(target.split(".", 1)))  # type: ignore[arg-type]
    return views


def ttl_tables(ch: ClickHouse, tables: list[str]) -> list[TtlTable]:
    """The tables among ``tables`` that delete rows by a TTL, with the TTL expression."""
    out = []
    for table in tables:
        db, name = table.split(".", 1)
        rows = ch.query(
            "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}",
            {"db": db, "name": name},
        )
        if rows:
            match = _TTL.search(rows[0][0])
            if match:
                out.append(TtlTable(table, match.group(1).strip()))
    return out
