"""Run state kept in ClickHouse itself, next to the data (``aspects_backfill.run_state``).

For a ClickHouse server this means a resumed run needs no local disk (a Kubernetes Job can be
rescheduled anywhere). Each save is one single-row INSERT, which ClickHouse applies
atomically; the newest row per run key wins (ReplacingMergeTree collapses older ones). Clearing
writes an empty row, so nothing is ever altered or deleted.
"""

from __future__ import annotations

import time

from ..state import RunState
from .connection import ClickHouse

TABLE = "aspects_backfill.run_state"
DDL = (
    "CREATE DATABASE IF NOT EXISTS aspects_backfill",
    f"CREATE TABLE IF NOT EXISTS {TABLE} (run_key String, saved DateTime64(6, 'UTC'), state String) "
    "ENGINE = ReplacingMergeTree(saved) ORDER BY run_key",
)


class ClickHouseStateStore:
    def __init__(self, ch: ClickHouse, key: str) -> None:
        self.ch = ch
        self.key = key
        self.location = f"{ch.where} {TABLE} (run_key {key})"
        self._last = 0  # microseconds of the last save: every save sorts after the one before
        for sql in DDL:
            ch.command(sql)

    def load(self) -> RunState | None:
        rows = self.ch.query(
            f"SELECT state FROM {TABLE} WHERE run_key = {{k:String}} ORDER BY saved DESC LIMIT 1",
            {"k": self.key},
        )
        if not rows or not rows[0][0]:
            return None
        return RunState.from_json(rows[0][0].encode())

    def save(self, state: RunState) -> None:
        self._write(state.to_json().decode())

    def clear(self) -> None:
        self._write("")

    def _write(self, text: str) -> None:
        self._last = max(time.time_ns() // 1000, self._last + 1)
        self.ch.command(
            f"INSERT INTO {TABLE} (run_key, saved, state) "
            "VALUES ({k:String}, fromUnixTimestamp64Micro({t:Int64}, 'UTC'), {s:String})",
            {"k": self.key, "t": self._last, "s": text},
        )
