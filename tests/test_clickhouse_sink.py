"""The ClickHouse sink on a bare raw table in chDB: rows, idempotence, lookups, bad records."""

from __future__ import annotations

import pytest

from aspects_backfill.clickhouse.rows import prepare_records, utc_text
from aspects_backfill.sinks import open_sink
from aspects_backfill.sinks.base import Record, WriteResult
from aspects_backfill.sinks.clickhouse import ClickHouseSink
from support.chtest import chdb, distinct, insert_directly, oracle_statements, raw_counts, records


def _write(dest: str, recs: list[Record], **options) -> WriteResult:
    sink = open_sink(dest, **options)
    try:
        return sink.write(recs)
    finally:
        sink.close()


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2020-07-15T06:52:55.057099+00:00", "2020-07-15 06:52:55.057099"),
        ("2020-07-15T06:52:55Z", "2020-07-15 06:52:55.000000"),
        ("2020-07-15T06:52:55.1234567+00:00", "2020-07-15 06:52:55.123456"),
        ("2024-01-01T01:30:00.5+01:30", "2024-01-01 00:00:00.500000"),
        ("2024-01-01T00:00:00", "2024-01-01 00:00:00.000000"),
    ],
)
def test_utc_text(text: str, utc: str) -> None:
    assert utc_text(text) == utc


# prepared: what the worker processes do before the single writer gets the records
@pytest.mark.parametrize("prepared", [False, True])
def test_rows_hold_id_utc_time_and_the_exact_statement_text(tmp_path, prepared: bool) -> None:
    statements = distinct(oracle_statements())[:3]
    statements[0] = {**statements[0], "timestamp": "2024-01-01T01:30:00.25+01:30"}
    statements[1] = {**statements[1], "note": 'tab\there, "quoted" \\ and newline\n'}
    recs = records(statements)
    recs[2] = recs[2]._replace(body=recs[2].body[:-1] + b',"raw":"a\tb\nc\rd"}')  # not JSON's escapes
    if prepared:
        recs = prepare_records(recs)
        assert all(r.prepared is not None for r in recs)
    assert _write(f"chdb:{tmp_path}", recs).written == 3
    with chdb(tmp_path) as ch:
        got = ch.query(
            "SELECT toString(event_id), toString(emission_time, 'UTC'), event FROM xapi.xapi_events_all"
        )
    by_id = {r[0]: r for r in got}
    assert by_id[statements[0]["id"]][1] == "2024-01-01 00:00:00.250000"
    for rec in recs:
        assert by_id[rec.statement_id][2].encode() == rec.body  # the file destination's bytes


def test_reruns_and_live_data_overlap_insert_each_id_once(tmp_path) -> None:
    statements = oracle_statements()  # holds repeated ids
    unique = distinct(statements)
    with chdb(tmp_path) as ch:
        ch.command("CREATE DATABASE xapi")
    sink = ClickHouseSink(f"chdb:{tmp_path}")  # creates the table
    sink.close()
    with chdb(tmp_path) as ch:
        insert_directly(ch, unique[::2])  # "live" data already there
    first = _write(f"chdb:{tmp_path}", records(statements))
    assert first.written == len(unique) - len(unique[::2])
    assert first.already_present == len(statements) - first.written
    second = _write(f"chdb:{tmp_path}", records(statements))
    assert (second.written, second.already_present) == (0, len(statements))
    with chdb(tmp_path) as ch:
        assert raw_counts(ch) == (len(unique), len(unique))


def test_lookup_in_a_crowded_time_range(tmp_path) -> None:
    """Many other rows in the batch's time range: ids are looked up as data, not fetched whole."""
    statements = distinct(oracle_statements())
    times = sorted(utc_text(s["timestamp"]) for s in statements)
    _write(f"chdb:{tmp_path}", records(statements[:1]))
    with chdb(tmp_path) as ch:
        ch.command(
            "INSERT INTO xapi.xapi_events_all SELECT generateUUIDv4(), "
            f"toDateTime64('{times[0]}', 6, 'UTC') + toIntervalSecond(number * 5000), '{{}}' "
            "FROM numbers(30000)"
        )
    first = _write(f"chdb:{tmp_path}", records(statements))
    again = _write(f"chdb:{tmp_path}", records(statements))
    assert (first.written, first.already_present) == (len(statements) - 1, 1)
    assert (again.written, again.already_present) == (0, len(statements))
    with chdb(tmp_path) as ch:
        assert raw_counts(ch) == (30000 + len(statements),) * 2


@pytest.mark.parametrize("prepared", [False, True])
def test_bad_ids_and_timestamps_are_rejected_not_lost(tmp_path, prepared: bool) -> None:
    good = records(distinct(oracle_statements())[:2])
    bad_id = good[0]._replace(statement_id="not-a-uuid", line=98)
    bad_time = Record("9b7e6a54-0d51-4f6b-9d1c-8f1b3c1e0a11", "yesterday", b"{}", "x", 99)
    batch = [bad_id, *good, bad_time]
    if prepared:
        batch = prepare_records(batch)
        assert [r.prepared is not None for r in batch] == [False, True, True, False]
    result = _write(f"chdb:{tmp_path}", batch)
    assert result.written == 2
    assert sorted((r.line, reason) for r, reason, _ in result.rejected) == [
        (98, "invalid statement id"),
        (99, "invalid timestamp"),
    ]


def test_batches_split_by_bytes(tmp_path) -> None:
    statements = distinct(oracle_statements())
    sink = ClickHouseSink(f"chdb:{tmp_path}", batch_bytes=4000)
    inserts = []
    original = sink.ch.client.raw_insert
    sink.ch.client.raw_insert = lambda *a, **k: inserts.append(len(k["insert_block"])) or original(*a, **k)
    try:
        assert sink.write(records(statements)).written == len(statements)
    finally:
        sink.close()
    assert len(inserts) > 5
    assert max(inserts) < 4000 + max(len(r.body) for r in records(statements)) + 100


def test_vector_table_shape(tmp_path) -> None:
    result = _write(
        f"chdb:{tmp_path}", records(distinct(oracle_statements())[:4]), xapi_table="openedx.xapi_events_all"
    )
    assert result.written == 4
    with chdb(tmp_path) as ch:
        engine = ch.query(
            "SELECT engine_full FROM system.tables WHERE database='openedx' AND name='xapi_events_all'"
        )
        assert "PARTITION BY" not in engine[0][0]
        assert raw_counts(ch, "openedx.xapi_events_all") == (4, 4)


def test_scratch_databases_of_killed_runs_are_dropped(tmp_path) -> None:
    import time

    from aspects_backfill.clickhouse.preflight import PREFIX, drop_abandoned

    with chdb(tmp_path) as ch:
        ch.command(f"CREATE DATABASE {PREFIX}dead")
        ch.command(f"CREATE TABLE {PREFIX}dead.t (x UInt8) ENGINE = Null")
        ch.command("CREATE DATABASE keep")
        ch.command("CREATE TABLE keep.t (x UInt8) ENGINE = Null")
        drop_abandoned(ch)  # a day old at least: a running run's copy is never touched
        assert ch.query(f"SELECT count() FROM system.databases WHERE name = '{PREFIX}dead'")[0][0] == 1
        time.sleep(1.1)
        drop_abandoned(ch, older_than_hours=0)
        names = {r[0] for r in ch.query("SELECT name FROM system.databases")}
    assert f"{PREFIX}dead" not in names and "keep" in names


def test_one_process_may_open_its_directory_twice(tmp_path) -> None:
    """Lookups and the sink share the engine: our own lock is not "another process"."""
    from aspects_backfill.clickhouse import open_clickhouse

    first = open_clickhouse(f"chdb:{tmp_path}")
    try:
        second = open_clickhouse(f"chdb:{tmp_path}")
        assert second.query("SELECT 1") == [(1,)]
        second.close()
    finally:
        first.close()
