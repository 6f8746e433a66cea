"""Our rows, sent the plugin's way (positional CSV, QUOTE_NONNUMERIC), store the same values."""

from __future__ import annotations

import csv
import io
import uuid

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.courses.archive import open_export
from aspects_backfill.courses.load import prepare
from aspects_backfill.courses.olx import parse_course
from aspects_backfill.courses.rows import BLOCK_COLUMNS, OVERVIEW_COLUMNS, build_rows
from coursekit import DEMO_TGZ, need


def plugin_csv(values: list[list]) -> bytes:
    """platform-plugin-aspects' ModelBaseSink: csv.writer(QUOTE_NONNUMERIC).writerow(dict.values())."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for row in values:
        writer.writerow(row)
    return out.getvalue().encode()


def test_positional_csv_and_native_insert_agree(tmp_path):
    rows = build_rows(parse_course(open_export(str(need(DEMO_TGZ)))))
    dump_id, dumped = uuid.uuid4(), "2026-12-04 19:44:20.589103+00:00"
    ch = open_clickhouse(f"chdb:{tmp_path / 'db'}")
    try:
        prepare(ch)
        for table, columns, values in (
            ("course_overviews", OVERVIEW_COLUMNS, rows.overview_values(dump_id, dumped)),
            ("course_blocks", BLOCK_COLUMNS, rows.block_values(dump_id, dumped)),
        ):
            ch.command(f"CREATE TABLE event_sink.csv_{table} AS event_sink.{table}")
            ch.raw_insert(f"event_sink.csv_{table}", None, plugin_csv(values), "CSV")
            ch.insert(f"event_sink.{table}", values, columns)
            order = "location" if table == "course_blocks" else "course_key"
            native = ch.query(f"SELECT * FROM event_sink.{table} ORDER BY {order}")
            assert native == ch.query(f"SELECT * FROM event_sink.csv_{table} ORDER BY {order}")
            assert len(native) == len(values)
    finally:
        ch.close()
