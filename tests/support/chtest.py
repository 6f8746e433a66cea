"""Shared pieces of the ClickHouse tests: chDB directories, the Aspects schema, oracle statements.

chDB runs one engine per process and one data directory per engine at a time: every helper
here opens a directory, does its work and closes it again before the next one is opened.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.clickhouse.connection import ClickHouse
from aspects_backfill.sinks.base import Record

from .aspects_schema import EVENT_TABLES, SCHEMA_DIR, load_aspects_schema

TESTS = Path(__file__).resolve().parents[1]
ORACLE_STATEMENTS = TESTS / "clickhouse_data" / "erb-fixtures.oracle.jsonl"


def require_aspects_schema() -> None:
    """Skip without ../shared, except in CI where its absence is a failure."""
    if not (SCHEMA_DIR / "effective_03_dbt_models.sql").exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Aspects schema is missing: {SCHEMA_DIR}")
        pytest.skip(f"the Aspects schema is missing: {SCHEMA_DIR}")


@contextlib.contextmanager
def chdb(path: Path) -> Iterator[ClickHouse]:
    ch = open_clickhouse(f"chdb:{path}")
    try:
        yield ch
    finally:
        ch.close()


def aspects_dir(path: Path, without_ttl: bool = True) -> Path:
    with chdb(path) as ch:
        load_aspects_schema(ch.command, without_ttl=without_ttl)
    return path


def oracle_statements(path: Path = ORACLE_STATEMENTS) -> list[dict]:
    out = []
    for line in path.read_bytes().splitlines():
        out.extend(orjson.loads(line).get("statements") or [])
    return out


def records(statements: list[dict], source: str = "oracle") -> list[Record]:
    return [Record(s["id"], s["timestamp"], orjson.dumps(s), source, n) for n, s in enumerate(statements, 1)]


def distinct(statements: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for s in statements:
        seen.setdefault(s["id"], s)
    return list(seen.values())


def insert_directly(ch: ClickHouse, statements: list[dict], table: str = "xapi.xapi_events_all") -> None:
    """What a plain client does: one INSERT of (id, UTC time, statement JSON) rows, Native format."""
    rows = [
        [s["id"], datetime.fromisoformat(s["timestamp"]).astimezone(UTC), _json_text(s)] for s in statements
    ]
    ch.client.insert(table, rows, column_names=["event_id", "emission_time", "event"])


def _json_text(value) -> str:
    """Compact JSON; the standard library also takes what orjson refuses (lone surrogates, big ints)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


def _sorted_json(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True)


def table_contents(ch: ClickHouse, tables=EVENT_TABLES) -> dict[str, list[tuple]]:
    """Every row of each table (no FINAL: duplicates count), sorted.

    A statement's key order is the transformer's business and no view depends on it, so
    ``event`` columns are compared as JSON with sorted keys."""
    out = {}
    for table in tables:
        result = ch.client.query(f"SELECT * FROM {table}")
        names = result.column_names
        rows = []
        for row in result.result_rows:
            rows.append(
                tuple(_sorted_json(v) if n == "event" else repr(v) for n, v in zip(names, row, strict=True))
            )
        out[table] = sorted(rows)
    return out


def raw_counts(ch: ClickHouse, table: str = "xapi.xapi_events_all") -> tuple[int, int]:
    rows = ch.query(f"SELECT count(), uniqExact(event_id) FROM {table}")
    return int(rows[0][0]), int(rows[0][1])
