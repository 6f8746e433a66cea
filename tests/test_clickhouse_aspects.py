"""The ClickHouse sink against a real Aspects schema in chDB (../shared/aspects-schema).

The oracle's statements for ERB's own fixtures and its tracking.log excerpt (every event family)
are loaded through the sink; Aspects' per-event tables must then hold exactly what they hold
when the same statements are inserted directly, and a re-run must change nothing.
"""

from __future__ import annotations

import orjson
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from aspects_backfill.errors import BackfillError
from aspects_backfill.sinks.base import WriteResult
from aspects_backfill.sinks.clickhouse import ClickHouseSink
from support.aspects_schema import EVENT_TABLES
from support.chtest import (
    aspects_dir,
    chdb,
    distinct,
    insert_directly,
    oracle_statements,
    raw_counts,
    records,
    require_aspects_schema,
    table_contents,
)

EVALUATED = "https://w3id.org/xapi/acrossx/verbs/evaluated"
ATTEMPT = "http://id.tincanapi.com/extension/attempt-id"
PROBLEM_VERBS = (EVALUATED, "http://adlnet.gov/expapi/verbs/passed", "http://adlnet.gov/expapi/verbs/asked")


def _load(path, statements, batch=20, **options) -> tuple[WriteResult, list[str]]:
    sink = ClickHouseSink(f"chdb:{path}", **options)
    result = WriteResult()
    try:
        recs = records(statements)
        for start in range(0, len(recs), batch):
            result.merge(sink.write(recs[start : start + batch]))
    finally:
        sink.close()
    return result, sink.warnings()


def test_views_hold_what_a_direct_insert_gives_and_reruns_change_nothing(tmp_path) -> None:
    require_aspects_schema()
    statements = oracle_statements()
    ours = aspects_dir(tmp_path / "ours")
    result, _ = _load(ours, statements)

    refused = {r.statement_id: detail for r, _, detail in result.rejected}
    assert result.written + result.already_present + len(result.rejected) == len(statements)
    # ERB's multi-question children carry no attempt-id: Aspects' problem_events cast refuses them.
    assert refused, "expected the attempt-id refusals"
    for s in distinct(statements):
        if s["id"] in refused:
            assert s["verb"]["id"] == EVALUATED and ATTEMPT not in s["object"]["definition"].get(
                "extensions", {}
            )
            assert "Int16" in refused[s["id"]]
    accepted = [s for s in distinct(statements) if s["id"] not in refused]
    assert result.written == len(accepted)
    with chdb(ours) as ch:
        loaded = table_contents(ch)
        assert raw_counts(ch) == (len(accepted), len(accepted))

    reference = aspects_dir(tmp_path / "reference")
    with chdb(reference) as ch:
        insert_directly(ch, accepted)  # one plain INSERT: it succeeds, so the rest is all accepted
        expected = table_contents(ch)
        with pytest.raises(DatabaseError, match="Int16"):
            insert_directly(ch, [next(s for s in statements if s["id"] in refused)])
    for table in EVENT_TABLES:
        assert loaded[table] == expected[table], table
        assert expected[table], f"{table} is empty: the comparison would prove nothing"

    again, _ = _load(ours, statements, batch=25)
    assert again.written == 0
    assert again.already_present == len(statements) - len(again.rejected)
    assert {r.statement_id for r, _, _ in again.rejected} == set(refused)
    with chdb(ours) as ch:
        assert table_contents(ch) == loaded
        assert raw_counts(ch) == (len(accepted), len(accepted))


def _with_bad_attempt(statements: list[dict]) -> tuple[list[dict], dict]:
    good = [s for s in distinct(statements) if s["id"] not in _refused_ids(statements)]
    bad = orjson.loads(orjson.dumps(next(s for s in good if s["verb"]["id"] == EVALUATED)))
    bad["id"] = "00000000-0000-4000-8000-000000000001"
    bad["object"]["definition"]["extensions"][ATTEMPT] = "not a number"
    mixed = [*good[: len(good) // 2], bad, *good[len(good) // 2 :]]
    return mixed, bad


def _refused_ids(statements: list[dict]) -> set[str]:
    return {
        s["id"]
        for s in statements
        if s["verb"]["id"] == EVALUATED and ATTEMPT not in s["object"]["definition"].get("extensions", {})
    }


@pytest.mark.parametrize("preflight", [True, False], ids=["preflight", "split-on-real-table"])
def test_a_refused_statement_is_isolated_and_the_rest_loaded(tmp_path, preflight) -> None:
    require_aspects_schema()
    mixed, bad = _with_bad_attempt(oracle_statements())
    path = aspects_dir(tmp_path / "db")
    result, notes = _load(path, mixed, batch=len(mixed), preflight=preflight)
    good = len(mixed) - 1
    with chdb(path) as ch:
        count, ids = raw_counts(ch)
        problems = int(ch.query("SELECT count() FROM xapi.problem_events")[0][0])
    assert count == ids  # nothing inserted twice, whatever landed before the failing view
    if preflight:
        assert [r.statement_id for r, _, _ in result.rejected] == [bad["id"]]
        assert "Int16" in result.rejected[0][2]
        assert result.written == good and count == good
        assert problems == sum(1 for s in mixed if s is not bad and s["verb"]["id"] in PROBLEM_VERBS)
    else:  # an INSERT that a view refuses leaves rows behind: they are counted, not re-sent
        assert result.written == count
        assert any("reached xapi.xapi_events_all" in n for n in notes)


def test_old_events_warn_and_strict_aborts_before_loading(tmp_path) -> None:
    require_aspects_schema()
    statements = distinct(oracle_statements())  # 2020-2023: past Aspects' 1-year TTL
    path = aspects_dir(tmp_path / "db", without_ttl=False)
    with pytest.raises(BackfillError, match=r"older than the TTL .* none of this batch"):
        _load(path, statements, strict=True)
    with chdb(path) as ch:
        assert raw_counts(ch) == (0, 0)
    result, notes = _load(path, statements[:5])
    assert result.written == 5
    assert any(
        "5 statements are older than the TTL" in n and "xapi.xapi_events_all_parsed" in n for n in notes
    )


def test_courses_without_blocks_are_reported(tmp_path) -> None:
    require_aspects_schema()
    statements = distinct(oracle_statements())[:30]
    path = aspects_dir(tmp_path / "db")
    with chdb(path) as ch:
        ch.command(
            "INSERT INTO event_sink.course_blocks (org, course_key, location, display_name, xblock_data_json,"
            " order, edited_on, dump_id, time_last_dumped) VALUES ('edX', 'course-v1:edX+DemoX+Demo_Course',"
            " 'block-v1:edX+DemoX+Demo_Course+type@course+block@course', 'Demo', '{}', 1, '',"
            " generateUUIDv4(), '2024-01-01 00:00:00.000001+00:00')"
        )
    sink = ClickHouseSink(f"chdb:{path}")
    try:
        sink.write(records(statements))
        missing = list(sink.checks.courses_missing)
    finally:
        sink.close()
    text = b"".join(r.body for r in records(statements)).decode()
    assert missing, "the input has courses without blocks"
    assert "course-v1:edX+DemoX+Demo_Course" not in missing
    assert all(f"/course/{course}" in text for course in missing)
    assert any("course_blocks" in n for n in sink.warnings())
