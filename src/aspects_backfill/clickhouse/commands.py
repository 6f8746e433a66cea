"""``aspects-backfill init`` and ``aspects-backfill query``."""

from __future__ import annotations

import os
import sys

import click
from clickhouse_connect.driver.exceptions import DatabaseError

from ..errors import BackfillError, UsageError
from .connection import ClickHouse, open_clickhouse
from .schema import ensure_schema, split_table


def _objects(ch: ClickHouse) -> set[str]:
    rows = ch.query(
        "SELECT database || '.' || name FROM system.tables WHERE database NOT IN "
        "('system', 'INFORMATION_SCHEMA', 'information_schema')"
    )
    return {r[0] for r in rows}


def run_init(dest: str, xapi_table: str) -> None:
    """Create what is missing and say what was created."""
    try:
        split_table(xapi_table)
    except ValueError as exc:
        raise UsageError(f"--xapi-table: {exc}") from exc
    ch = open_clickhouse(dest)
    try:
        before = _objects(ch)
        ensure_schema(ch, xapi_table)
        created = sorted(_objects(ch) - before)
    except DatabaseError as exc:
        raise BackfillError(f"init on {ch.where} failed: {str(exc).strip().splitlines()[0]}") from exc
    finally:
        ch.close()
    if created:
        click.echo(f"created in {ch.where}: {', '.join(created)}")
    else:
        click.echo(f"nothing to create in {ch.where}: every table exists")


def run_query(dest: str, sql: str, fmt: str) -> None:
    """Print the result of ``sql`` in ClickHouse's output format ``fmt``."""
    if dest.startswith("chdb:") and not os.path.isdir(dest[len("chdb:") :] or "."):
        raise UsageError(
            f"no embedded ClickHouse data in {dest[len('chdb:') :]}: load something first (xapi, courses or init)"
        )
    ch = open_clickhouse(dest)
    try:
        data = ch.raw_query(sql, fmt)
    except DatabaseError as exc:
        text = str(exc).strip()
        if "DB::Exception: " in text:
            text = text.split("DB::Exception: ", 1)[1]
        raise BackfillError(f"query failed: {text.splitlines()[0] if text else exc}") from exc
    finally:
        ch.close()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
