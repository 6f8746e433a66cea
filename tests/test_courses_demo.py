"""The demo course export into real chDB with Aspects' schema: rows, hierarchy, re-runs."""

from __future__ import annotations

import json
import re
import tarfile
from datetime import datetime

import pytest

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.courses import load_course_names
from aspects_backfill.courses.command import run_courses
from coursekit import DEMO_TGZ, PLUGIN_DUMP_FORMAT, load_aspects_schema, need

KEY = "course-v1:OpenedX+DemoX+DemoCourse"
GRADED_SEQUENTIALS = 3
CONTAINER_DIRS = ("course", "chapter", "sequential", "vertical", "library_content")


def published_block_count(tgz) -> int:
    """Counted from the raw text, not the parser: each tree block is referenced by one url_name
    attribute in its container's file (course.xml for the course), plus one block per about/
    and info/ page."""
    count = 0
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            name = member.name.split("/", 1)[1]
            text = tar.extractfile(member).read().decode()
            top = name.split("/")[0]
            if name == "course.xml" or (name.endswith(".xml") and top in CONTAINER_DIRS):
                count += len(re.findall(r"<[\w-]+[^>]*\surl_name=", text))
            elif top in ("about", "info") and name.endswith(".html"):
                count += 1
    return count


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "db"
    ch = open_clickhouse(f"chdb:{path}")
    load_aspects_schema(ch)
    ch.close()
    summary = run_courses([str(need(DEMO_TGZ))], f"chdb:{path}")
    assert [o.status for o in summary.outcomes] == ["loaded"]
    return path


def query(path, sql):
    ch = open_clickhouse(f"chdb:{path}")
    try:
        return ch.query(sql)
    finally:
        ch.close()


def test_one_row_per_published_block(demo_db):
    expected = published_block_count(DEMO_TGZ)
    [(blocks, locations, first, last)] = query(
        demo_db,
        f"SELECT count(), uniqExact(location), min(order), max(order) FROM event_sink.course_blocks WHERE course_key = '{KEY}'",
    )
    assert blocks == locations == expected == last and first == 1
    [(overviews,)] = query(demo_db, "SELECT count() FROM event_sink.course_overviews")
    assert overviews == 1


def test_hierarchy_numbers(demo_db):
    rows = query(
        demo_db,
        "SELECT JSONExtractString(xblock_data_json, 'block_type') AS t, "
        "JSONExtractInt(xblock_data_json, 'section') AS s, JSONExtractInt(xblock_data_json, 'subsection') AS ss, "
        "JSONExtractInt(xblock_data_json, 'unit') AS u, JSONExtractInt(xblock_data_json, 'detached') AS d, order "
        f"FROM event_sink.course_blocks WHERE course_key = '{KEY}' ORDER BY order",
    )
    by_type = {}
    for t, s, ss, u, d, _ in rows:
        by_type.setdefault(t, []).append((s, ss, u, d))
    assert (
        len(by_type["chapter"]) == 6 and len(by_type["sequential"]) == 17 and len(by_type["vertical"]) == 58
    )
    assert [s for s, *_ in by_type["chapter"]] == [1, 2, 3, 4, 5, 6]
    assert len({(s, ss) for s, ss, *_ in by_type["sequential"]}) == 17
    assert len({(s, ss, u) for s, ss, u, _ in by_type["vertical"]}) == 58
    assert all(u == 0 for *_, u, _ in by_type["sequential"])
    assert by_type["course"] == [(0, 0, 0, 0)]
    # Detached blocks come last, at 0:0:0.
    detached = [r for r in rows if r[4] == 1]
    assert {r[0] for r in detached} == {"about", "course_info"}
    assert all(r[1:4] == (0, 0, 0) for r in detached)
    assert min(r[5] for r in detached) == len(rows) - len(detached) + 1


def test_graded_is_inherited_from_graded_subsections(demo_db):
    rows = query(
        demo_db,
        "SELECT JSONExtractString(xblock_data_json, 'block_type'), JSONExtractInt(xblock_data_json, 'section'), "
        "JSONExtractInt(xblock_data_json, 'subsection'), JSONExtractInt(xblock_data_json, 'graded'), "
        f"JSONExtractInt(xblock_data_json, 'detached') FROM event_sink.course_blocks WHERE course_key = '{KEY}'",
    )
    graded_seqs = {(s, ss) for t, s, ss, g, _ in rows if t == "sequential" and g}
    assert len(graded_seqs) == GRADED_SEQUENTIALS
    for t, s, ss, g, d in rows:
        inside = (s, ss) in graded_seqs and t not in ("chapter", "course") and not d
        assert bool(g) == inside, (t, s, ss, g)


def test_aspects_models_show_the_course(demo_db):
    ch = open_clickhouse(f"chdb:{demo_db}")
    try:
        ch.command("SYSTEM RELOAD DICTIONARIES")
        names = ch.query(
            f"SELECT dictGet('event_sink.dim_course_names', 'course_name', tuple('{KEY}')), "
            f"dictGet('event_sink.dim_course_names', 'course_run', tuple('{KEY}'))"
        )
        assert names == [("Open edX Demo Course", "DemoCourse")]
        blocks = ch.query(
            "SELECT block_type, count(), countIf(graded), uniqExact(block_id) FROM reporting.dim_course_blocks "
            f"WHERE course_key = '{KEY}' GROUP BY block_type ORDER BY block_type"
        )
        by_type = {t: (n, g, u) for t, n, g, u in blocks}
        assert by_type["section"] == (6, 0, 6)
        assert by_type["subsection"] == (17, 3, 17)
        assert by_type["unit"][0] == 58
        [(total,)] = ch.query(f"SELECT count() FROM reporting.dim_course_blocks WHERE course_key = '{KEY}'")
        [(raw,)] = ch.query(f"SELECT count() FROM event_sink.course_blocks WHERE course_key = '{KEY}'")
        assert total == raw
        # A problem in a graded subsection, with its place in the hierarchy, as dashboards show it.
        [(name, loc, section_name)] = ch.query(
            "SELECT display_name_with_location, hierarchy_location, section_with_name FROM reporting.dim_course_blocks "
            f"WHERE course_key = '{KEY}' AND block_type = 'problem' AND graded ORDER BY course_order LIMIT 1"
        )
        assert re.fullmatch(r"\d+:\d+:\d+", loc) and name.startswith(loc + " - ")
        assert section_name.startswith(loc.split(":")[0] + ":0:0 - ")
    finally:
        ch.close()


def test_formats_match_the_plugin(demo_db):
    [row] = query(demo_db, "SELECT * FROM event_sink.course_overviews")
    org, key, name, start, end, enr_start, enr_end, self_paced, data, created, modified, _, dumped = row
    assert (org, key, name) == ("OpenedX", KEY, "Open edX Demo Course")
    assert start == "2020-01-01 00:00:00+00:00" and end == enr_start == enr_end == ""
    assert self_paced is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", created) and created == modified
    datetime.strptime(dumped, PLUGIN_DUMP_FORMAT)  # the plugin's parse must not fail
    assert list(json.loads(data)) == [
        "advertised_start", "announcement", "lowest_passing_grade", "invitation_only",
        "max_student_enrollments_allowed", "effort", "enable_proctored_exams", "entrance_exam_enabled",
        "external_id", "language", "tags",
    ]  # fmt: skip
    assert json.dumps(json.loads(data)) == data  # default separators
    assert json.loads(data)["lowest_passing_grade"] == 0.5
    [(location, xblock_data, dumped_b)] = query(
        demo_db,
        "SELECT location, xblock_data_json, time_last_dumped FROM event_sink.course_blocks WHERE order = 1",
    )
    assert location == "block-v1:OpenedX+DemoX+DemoCourse+type@course+block@course"
    assert list(json.loads(xblock_data)) == [
        "course", "run", "block_type", "detached", "graded", "completion_mode", "section", "subsection", "unit", "tags",
    ]  # fmt: skip
    assert dumped_b == dumped


def test_rerun_skips_and_force_replaces_without_duplicates(demo_db):
    def counts():
        return query(
            demo_db,
            "SELECT (SELECT count() FROM event_sink.course_overviews), (SELECT count() FROM event_sink.course_blocks), "
            "(SELECT count() FROM event_sink.dim_most_recent_course_blocks), "
            "(SELECT max(time_last_dumped) FROM event_sink.course_overviews)",
        )[0]

    before = counts()
    again = run_courses([str(DEMO_TGZ)], f"chdb:{demo_db}")
    assert [o.status for o in again.outcomes] == ["skipped"]
    assert counts() == before
    forced = run_courses([str(DEMO_TGZ)], f"chdb:{demo_db}", force=True)
    assert [(o.status, o.reason) for o in forced.outcomes] == [("replaced", "forced")]
    after = counts()
    assert after[:3] == before[:3] and after[3] > before[3]
    assert load_course_names_via(demo_db) == {KEY: "Open edX Demo Course"}


def load_course_names_via(path):
    ch = open_clickhouse(f"chdb:{path}")
    try:
        return load_course_names(ch)
    finally:
        ch.close()
