"""Replacing a changed course in real chDB: removed blocks go, leftovers of other loads go."""

from __future__ import annotations

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.courses.command import run_courses
from coursekit import minimal_course, tar_export

KEY = "course-v1:TestX+T101+2024"
TWO = minimal_course(
    '<sequential url_name="s1"/><sequential url_name="s2"/>',
    **{
        "sequential/s1.xml": '<sequential display_name="One"/>',
        "sequential/s2.xml": '<sequential display_name="Two"/>',
    },
)


def state(db):
    ch = open_clickhouse(db)
    try:
        return ch.query(
            "SELECT (SELECT count() FROM event_sink.course_overviews), "
            "(SELECT groupArraySorted(100)(location) FROM event_sink.course_blocks)"
        )[0]
    finally:
        ch.close()


def test_changed_course_replaces_its_rows(tmp_path):
    db = f"chdb:{tmp_path / 'db'}"
    run_courses([str(tar_export(tmp_path / "v1.tar.gz", TWO))], db)
    assert len(state(db)[1]) == 4
    one = {
        **TWO,
        "chapter/ch1.xml": '<chapter display_name="Chapter 1"><sequential url_name="s1"/></chapter>',
    }
    summary = run_courses([str(tar_export(tmp_path / "v2.tar.gz", one))], db)
    assert [o.status for o in summary.outcomes] == ["replaced"]
    overviews, locations = state(db)
    assert overviews == 1 and len(locations) == 3
    assert not any(loc.endswith("block@s2") for loc in locations)


def test_a_leftover_copy_is_not_mistaken_for_unchanged(tmp_path):
    db = f"chdb:{tmp_path / 'db'}"
    export = str(tar_export(tmp_path / "c.tar.gz", TWO))
    run_courses([export], db)
    ch = open_clickhouse(db)  # an interrupted or plugin-made copy: other dump_id, older time
    ch.command(
        "INSERT INTO event_sink.course_blocks SELECT org, course_key, location, display_name, xblock_data_json, "
        "order, edited_on, generateUUIDv4(), '2020-01-01 00:00:00.000001+00:00' FROM event_sink.course_blocks"
    )
    ch.close()
    summary = run_courses([export], db)
    assert [o.status for o in summary.outcomes] == ["replaced"]
    overviews, locations = state(db)
    assert overviews == 1 and len(locations) == len(set(locations)) == 4
