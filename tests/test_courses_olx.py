"""Hand-made exports: the OLX rules (inline children, ':' names, drafts, detached, policy)."""

from __future__ import annotations

import json
import re

import pytest

from aspects_backfill.courses.archive import open_export
from aspects_backfill.courses.olx import OlxError, parse_course
from aspects_backfill.courses.rows import build_rows
from aspects_backfill.errors import BackfillError
from coursekit import minimal_course, tar_export, write_export

PREFIX = "block-v1:TestX+T101+2024+type@"


def rows_of(tmp_path, files, course_key=None):
    return build_rows(parse_course(open_export(str(write_export(tmp_path, files)))), course_key)


def table(rows):
    """location → (display_name, order, section:subsection:unit, graded, detached)."""
    out = {}
    for b in rows.blocks:
        data = json.loads(b["xblock_data_json"])
        where = f"{data['section']}:{data['subsection']}:{data['unit']}"
        out[b["location"][len(PREFIX) :]] = (
            b["display_name"],
            b["order"],
            where,
            data["graded"],
            data["detached"],
        )
    return out


def test_inline_children_colon_names_and_graded_inheritance(tmp_path):
    files = minimal_course(
        '<sequential url_name="s1"/>'
        '<sequential display_name="Inline Seq" url_name="s2" graded="true">'
        '  <vertical url_name="v2"><problem url_name="p2" display_name="Inline P"><multiplechoiceresponse/></problem>'
        '  <html url_name="secret:notes"/></vertical>'
        "</sequential>",
        **{
            "sequential/s1.xml": '<sequential display_name="S1"><vertical url_name="v1"/></sequential>',
            "vertical/v1.xml": '<vertical display_name="V1"><problem url_name="p1"/></vertical>',
            "problem/p1.xml": "<problem><choiceresponse/></problem>",
            "html/secret/notes.xml": '<html display_name="Notes" filename="notes"/>',
        },
    )
    t = table(rows_of(tmp_path, files))
    assert list(t) == [
        "course+block@course",
        "chapter+block@ch1",
        "sequential+block@s1",
        "vertical+block@v1",
        "problem+block@p1",
        "sequential+block@s2",
        "vertical+block@v2",
        "problem+block@p2",
        "html+block@secret:notes",
    ]
    assert t["problem+block@p1"] == ("Blank Problem", 5, "1:1:1", 0, 0)  # class default name
    assert t["sequential+block@s2"] == ("Inline Seq", 6, "1:2:0", 1, 0)
    assert t["problem+block@p2"] == ("Inline P", 8, "1:2:1", 1, 0)  # its markup is not a child
    assert t["html+block@secret:notes"] == ("Notes", 9, "1:2:1", 1, 0)  # html/secret/notes.xml


def test_drafts_are_ignored_and_detached_blocks_come_last(tmp_path):
    files = minimal_course(
        '<sequential url_name="s1"/>',
        **{
            "sequential/s1.xml": '<sequential display_name="S1"/>',
            "drafts/vertical/dv.xml": '<vertical display_name="Draft" parent_url="x" index_in_children_list="0"/>',
            "about/overview.html": "<p>About</p>",
            "about/effort.html": "3 hours",
            "info/updates.html": "<ol></ol>",
            "info/updates.items.json": "[]",
            "tabs/syllabus.html": "<p>Syllabus</p>",
            "policies/2024/policy.json": json.dumps(
                {
                    "course/2024": {
                        "tabs": [{"type": "static_tab", "url_slug": "syllabus", "name": "Syllabus"}]
                    }
                }
            ),
        },
    )
    rows = rows_of(tmp_path, files)
    t = table(rows)
    assert "vertical+block@dv" not in t
    assert t["course_info+block@updates"] == ("Text", 4, "0:0:0", 0, 1)  # one block for .html + .items.json
    assert t["static_tab+block@syllabus"] == ("Syllabus", 5, "0:0:0", 0, 1)
    assert t["about+block@effort"][0] == "overview" and t["about+block@overview"][1] == 7
    assert json.loads(rows.overview["course_data_json"])["effort"] == "3 hours"


def test_policy_overrides_attributes_and_course_key_override(tmp_path):
    files = minimal_course(
        '<sequential url_name="s1"/>',
        **{
            "sequential/s1.xml": '<sequential display_name="From XML"><vertical url_name="v1"/></sequential>',
            "vertical/v1.xml": "<vertical/>",
            "policies/2024/policy.json": json.dumps(
                {
                    "course/2024": {
                        "display_name": "Policy Name",
                        "end": "2025-06-30T12:00:00Z",
                        "self_paced": True,
                    },
                    "sequential/s1": {"display_name": "From Policy", "graded": True},
                }
            ),
            "policies/2024/grading_policy.json": json.dumps({"GRADE_CUTOFFS": {"A": 0.9, "B": 0.555}}),
        },
    )
    rows = rows_of(tmp_path, files, "course-v1:NewOrg+N1+2025")
    assert rows.course_key == "course-v1:NewOrg+N1+2025" and rows.org == "NewOrg"
    ov = rows.overview
    assert (ov["display_name"], ov["course_end"], ov["self_paced"]) == (
        "Policy Name",
        "2025-06-30 12:00:00+00:00",
        True,
    )
    assert json.loads(ov["course_data_json"])["lowest_passing_grade"] == 0.56
    by_loc = {b["location"]: b for b in rows.blocks}
    seq = by_loc["block-v1:NewOrg+N1+2025+type@sequential+block@s1"]
    assert seq["display_name"] == "From Policy" and json.loads(seq["xblock_data_json"])["graded"] == 1
    vert = by_loc["block-v1:NewOrg+N1+2025+type@vertical+block@v1"]
    assert vert["display_name"] == "v1" and json.loads(vert["xblock_data_json"])["run"] == "2025"


def test_unnamed_inline_blocks_get_stable_names(tmp_path):
    files = minimal_course('<sequential display_name="Week One!"><vertical><html/></vertical></sequential>')
    first = table(rows_of(tmp_path / "a", files))
    second = table(rows_of(tmp_path / "b", files))
    assert first == second
    assert "sequential+block@Week_One_" in first  # edx's clean(display_name)
    assert any(k.startswith("vertical+block@vertical_") for k in first)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"chapter/x.xml": "<chapter/>"}, "no course.xml found"),
        (minimal_course('<sequential url_name="gone"/>'), "points to sequential/gone.xml, which is missing"),
        (minimal_course("<sequential url_name='s1'>"), "chapter/ch1.xml: bad XML"),
        (
            {**minimal_course(), "course.xml": '<course url_name="2024" org="TestX"/>'},
            "course.xml: <course> lacks course",
        ),
        ({**minimal_course(), "policies/2024/policy.json": "{nope"}, "policies/2024/policy.json: bad JSON"),
        (
            minimal_course('<sequential url_name="bad id"/>', **{"sequential/bad id.xml": "<sequential/>"}),
            "invalid block id",
        ),
        (
            minimal_course(
                '<vertical url_name="loop"/>',
                **{"vertical/loop.xml": '<vertical><vertical url_name="loop"/></vertical>'},
            ),
            "more than 100 levels deep",
        ),
    ],
)
def test_malformed_olx_names_the_file(tmp_path, files, message):
    with pytest.raises(BackfillError, match=re.escape(message)):
        rows_of(tmp_path, files)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<chapter display_name="&lol3;"/>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><chapter display_name="&xxe;"/>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_and_dtds_are_refused(tmp_path, payload):
    files = {**minimal_course(), "chapter/ch1.xml": payload}
    with pytest.raises(OlxError, match=r"chapter/ch1.xml: refused: DTDForbidden"):
        build_rows(parse_course(open_export(str(tar_export(tmp_path / "x.tar.gz", files)))))


def test_course_without_name_and_policy_grading(tmp_path):
    files = minimal_course(
        **{
            "course/2024.xml": '<course><chapter url_name="ch1"/></course>',
            "policies/2024/policy.json": json.dumps(
                {"course/2024": {"grading_policy": {"GRADE_CUTOFFS": {"P": 0.7}}}}
            ),
        }
    )
    rows = rows_of(tmp_path, files)
    assert rows.overview["display_name"] == ""  # CourseOverview keeps the course's own (absent) name
    assert rows.overview["course_start"] == "2030-01-01 00:00:00+00:00"  # xmodule's default start
    assert rows.blocks[0]["display_name"] == "course"  # display_name_with_default of block "course"
    assert json.loads(rows.overview["course_data_json"])["lowest_passing_grade"] == 0.7
