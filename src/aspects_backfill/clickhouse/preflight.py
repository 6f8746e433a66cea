"""A dry copy of the view chain, to test a batch before it touches real tables.

An INSERT into a table with materialized views is not atomic: when one view fails (Aspects'
``problem_events`` cast of attempt-id), the rows are already in the raw table and in every view
that ran before it. So a batch is first inserted into a scratch copy of the chain whose tables
are all ``Null`` engines: the views' expressions run on it (and fail where the real ones would),
nothing is stored, and a failing batch can be split to find its offending statements without
leaving anything behind. The scratch database belongs to this run and is dropped at the end.
"""

from __future__ import annotations

import logging
import re
import secrets

from .connection import ClickHouse
from .views import View

log = logging.getLogger("aspects_backfill")


def _clone_name(table: str) -> str:
    return table.replace(".", "__")


def _reference(table: str) -> re.Pattern[str]:
    db, name = table.split(".", 1)
    return re.compile(rf"(?<![\w.`])`?{re.escape(db)}`?\.`?{re.escape(name)}`?(?![\w`])")


PREFIX = "aspects_backfill_check_"


def drop_abandoned(ch: ClickHouse, older_than_hours: int = 24) -> None:
    """Scratch databases of runs that were killed: their tables are older than any live run's."""
    rows = ch.query(
        "SELECT database FROM system.tables WHERE startsWith(database, {p:String}) "
        "GROUP BY database HAVING max(metadata_modification_time) < now() - toIntervalHour({h:UInt32})",
        {"p": PREFIX, "h": older_than_hours},
    )
    for (database,) in rows:
        log.info("dropping the scratch database %s left by an interrupted run", database)
        ch.command(f"DROP DATABASE IF EXISTS {database} SYNC")


class Preflight:
    """Null-engine clones of ``table`` and every view below it, in a database of this run."""

    def __init__(self, ch: ClickHouse, table: str, views: list[View]) -> None:
        self.ch = ch
        drop_abandoned(ch)
        self.database = f"{PREFIX}{secrets.token_hex(4)}"
        self.table = f"{self.database}.{_clone_name(table)}"
        ch.command(f"CREATE DATABASE {self.database}")
        try:
            ch.command(f"CREATE TABLE {self.table} AS {table} ENGINE = Null")
            for view in views:
                target = f"{self.database}.{_clone_name(view.target)}"
                ch.command(f"CREATE TABLE IF NOT EXISTS {target} AS {view.target} ENGINE = Null")
            for view in views:
                source = f"{self.database}.{_clone_name(view.source)}"
                target = f"{self.database}.{_clone_name(view.target)}"
                select = _reference(view.source).sub(source, view.select)
                name = f"{self.database}.{_clone_name(view.database + '.' + view.name)}"
                ch.command(f"CREATE MATERIALIZED VIEW {name} TO {target} {view.columns} AS {select}")
        except Exception:
            self.drop()
            raise

    def drop(self) -> None:
        try:
            self.ch.command(f"DROP DATABASE IF EXISTS {self.database} SYNC")
        except Exception as exc:  # the run's data is safe; only the scratch copy is left
            log.warning("could not drop the scratch database %s: %s", self.database, exc)
