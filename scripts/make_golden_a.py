#!/usr/bin/env python
"""Writes the ``a-*.log`` golden inputs (enrollment, grades, completion, navigation, and the
cross-cutting user / course key / timestamp / parsing cases) from ERB's fixtures.

    python scripts/make_golden_a.py && tests/golden/regenerate.sh tests/golden/inputs/a-*.log

Deterministic: the same fixtures give the same files.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle_diff as od

INPUTS = od.GOLDEN / "inputs"
FAMILIES = ("edx.course.", "edx.grades.course.", "edx.grades.subsection.", "edx.completion.", "edx.ui.lms.")


def _mine(name: str) -> bool:
    return name.startswith(FAMILIES)


def _line(event: dict, as_string: bool, prefix: bool) -> str:
    e = dict(event)
    if as_string:
        e["event"] = json.dumps(e.get("event"))
    text = json.dumps(e, ensure_ascii=False)
    return od.PREFIX + text if prefix else text


def fixtures() -> list[str]:
    """Every fixture of these families, event as object and as JSON string, with and without prefix."""
    lines = []
    for name, events in sorted(od.load_fixtures().items()):
        if _mine(name):
            for event in events:
                lines += [_line(event, s, p) for s in (False, True) for p in (False, True)]
    return lines


def _base(name: str = "edx.course.enrollment.activated") -> dict:
    return json.loads(json.dumps(od.load_fixtures()[name][0]))


def edge_cases() -> list[str]:
    """One change at a time on a known-good enrollment (and tab navigation) event."""
    lines = []

    def add(event: dict, raw: str | None = None) -> None:
        lines.append(raw if raw is not None else json.dumps(event, ensure_ascii=False))

    for user in [3, "3", 6, "honor", "zoë_ünicode", 42, 999, "ghost", None, "", " 19 ", 3.7, True, [3]]:
        for where in ("context.user_id", "event.user_id", "username"):
            e = _base()
            e["context"].pop("user_id", None)
            e["event"].pop("user_id", None)
            scope, _, key = where.rpartition(".")
            (e[scope] if scope else e)[key] = user
            add(e)
    for course in [
        *od.COURSES,
        "library-v1:edX+DemoLib",
        "course-v1:edX+DemoX+Demo_Course+version@" + "A" * 24,
        "course-v1:edX+DemoX+Demo_Course\n",
        "Org.X/Phys-101/",
        "ccx-v1:edX+DemoX+Demo_Course+CCX@1",
    ]:
        for name in ("edx.course.enrollment.activated", "edx.ui.lms.sequence.tab_selected"):
            e = _base(name)
            e["context"]["course_id"] = course
            add(e)
    stamps = [f.format(d="2023-08-22", t="20:16:25") if isinstance(f, str) else f for f in od.TIMESTAMPS]
    stamps += [
        "2023-08-22T20:16:25.5+00:00",
        "2023-08-22T20:16:25.1234+14:00",
        "2023-08-22T20:16:25+0530",
        "2023-08-22T20:16:25.123456+05:75",
        "2023-08-22T20:16:60Z",
        "2023-08-22T20:16:25,25Z",
        "２０２３-08-22T20:16:25Z",
    ]
    for stamp in stamps:
        for key in ("timestamp", "time"):
            e = _base()
            e.pop("timestamp", None)
            if stamp != "REMOVE":
                e[key] = stamp
            add(e)
    e = _base()
    e.pop("timestamp")
    e["event"]["timestamp"] = "2023-08-22T20:16:25Z"  # found nested, as ERB finds it
    add(e)
    good = json.dumps(_base())
    add({}, good[:-5])  # cut short
    add({}, "not json at all")
    add({}, '{"name": "edx.course.enrollment.activated"}')  # no event key
    add({}, json.dumps({k: v for k, v in _base().items() if k != "event"}))
    add({}, "{" + good)
    add({}, good + " trailing")
    add({}, "2023-05-23 13:53:13,461 INFO 20 [tracking] {x} - " + good)
    add({}, json.dumps(_base()).replace('"audit"', '"a\\ud800"'))
    for name in (
        "edx.unknown.event",
        "page_close",
        "",
        None,
        5,
        "edx.video.language_menu.shown",
        "edx.grades.problem.submitted",
        "edx.problem.completed",
        "EDX.COURSE.ENROLLMENT.ACTIVATED",
    ):
        e = _base()
        e["name"] = name
        add(e)
    for event_value in [
        "",
        "not json",
        "null",
        "[1, 2]",
        "123",
        [],
        None,
        {"mode": None},
        {"mode": "é✓ honor"},
    ]:
        e = _base()
        e["event"] = event_value
        add(e)
    return lines


def grading_cases() -> list[str]:
    lines = []
    sub = "edx.grades.subsection.grade_calculated"
    values = [0, 0.0, 1, 2.5, "2", "2.5", None, "", True, False, -1, [], "abc", 10**30]
    for possible in values:
        for earned in (0, 1.5, "1", None):
            e = _base(sub)
            e["event"]["weighted_total_possible"] = possible
            e["event"]["weighted_total_earned"] = earned
            lines.append(json.dumps(e))
    for grade in [*values, 0.4999]:
        for letter in ("Pass", "", None, "A+ ✓", 3):
            e = _base("edx.grades.course.grade_calculated")
            e["event"]["percent_grade"] = grade
            e["event"]["letter_grade"] = letter
            lines.append(json.dumps(e, ensure_ascii=False))
    for completion in [*values, 0.5, 1.0, "1.0"]:
        e = _base("edx.completion.block_completion.changed")
        e["event"]["completion"] = completion
        lines.append(json.dumps(e))
    nav = {
        "edx.ui.lms.link_clicked": ("target_url", [None, "", 5, "https://example.com/é", "relative"]),
        "edx.ui.lms.outline.selected": ("target_name", [None, "", 5, "Unité ✓"]),
        "edx.ui.lms.sequence.tab_selected": ("tab_count", [None, 0, "10", 2.5]),
        "edx.ui.lms.sequence.next_selected": ("current_tab", [None, 0, "3"]),
        "edx.ui.lms.sequence.previous_selected": ("id", [None, "", 7, "block-v1:é"]),
    }
    for name, (field, field_values) in nav.items():
        for value in field_values:
            e = _base(name)
            e["event"][field] = value
            lines.append(json.dumps(e, ensure_ascii=False))
    return lines


def _without_other_families(lines: list[str]) -> list[str]:
    """With --all-events the two not-allowed problem events are transformed: they belong to the
    problem family's goldens, not these."""
    return [x for x in lines if "edx.grades.problem.submitted" not in x and "edx.problem.completed" not in x]


def main() -> None:
    INPUTS.mkdir(parents=True, exist_ok=True)
    files = {
        "a-fixtures.log": fixtures(),
        "a-edge-cases.log": edge_cases(),
        "a-grading-navigation.log": grading_cases(),
        "a-variations.log": od.build_lines(300, 101, ",".join(FAMILIES))[0],
        "a-all-events-variations.log": _without_other_families(
            od.build_lines(300, 202, ",".join(FAMILIES))[0] + edge_cases()[-20:]
        ),
    }
    for name, lines in files.items():
        (INPUTS / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {name}: {len(lines)} lines")
    shutil.copyfile(
        od.SHARED / "erb-fixtures" / "management_command" / "tracking.log", INPUTS / "a-tracking-log.log"
    )
    print("wrote a-tracking-log.log")


if __name__ == "__main__":
    main()
