"""The ``course_overviews`` row and ``course_blocks`` rows, exactly as platform-plugin-aspects'
``dump_data_to_clickhouse`` writes them (same columns, order, value formats and JSON keys).

OLX lacks a few things the LMS knows; their values here (documented in docs/courses.md):
``created``, ``modified`` and every ``edited_on`` are the export's time (its newest file),
``tags`` are ``[]``, ``external_id`` is null, and ``completion_mode`` is known only for
built-in types.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from .olx import Block, Course, OlxError
from .values import as_bool, as_date, as_int, as_string, drf_iso, py_str

OVERVIEW_COLUMNS = [
    "org",
    "course_key",
    "display_name",
    "course_start",
    "course_end",
    "enrollment_start",
    "enrollment_end",
    "self_paced",
    "course_data_json",
    "created",
    "modified",
    "dump_id",
    "time_last_dumped",
]
BLOCK_COLUMNS = [
    "org",
    "course_key",
    "location",
    "display_name",
    "xblock_data_json",
    "order",
    "edited_on",
    "dump_id",
    "time_last_dumped",
]
# xmodule's DEFAULT_START_DATE: a course without a start date starts in 2030.
DEFAULT_START = datetime(2030, 1, 1, tzinfo=UTC)
DEFAULT_GRADE_CUTOFFS = {"Pass": 0.5}
# display_name defaults of the block classes (None: the id with '_' as spaces).
DISPLAY_NAME_DEFAULTS = {
    "problem": "Blank Problem",
    "html": "Text",
    "course_info": "Text",
    "about": "overview",
    "static_tab": "Empty",
    "video": "Video",
    "library_content": "Randomized Content Block",
    "annotatable": "Annotation",
}
# completion_mode class attributes of the built-in blocks; others have none ("").
COMPLETION_MODES = {
    **dict.fromkeys(
        ("course", "chapter", "sequential", "vertical", "library_content", "split_test"), "aggregator"
    ),
    "video": "completable",
}
_ID = re.compile(r"^[\w\-~.:]+\Z", re.UNICODE)
_BLOCK_ID = re.compile(r"^[\w\-~.:%]+\Z", re.UNICODE)
_COURSE_KEY = re.compile(r"^course-v1:([^+/]+)\+([^+/]+)\+([^+/]+)\Z")


@dataclass
class CourseRows:
    """One course's rows, without ``dump_id`` and ``time_last_dumped`` (added at load time)."""

    org: str
    course_key: str
    overview: dict[str, Any]
    blocks: list[dict[str, Any]]
    fingerprint: str

    def overview_values(self, dump_id: Any, dumped: str) -> list[list[Any]]:
        return [[*self.overview.values(), dump_id, dumped]]

    def block_values(self, dump_id: Any, dumped: str) -> list[list[Any]]:
        return [[*row.values(), dump_id, dumped] for row in self.blocks]


def split_course_key(key: str) -> tuple[str, str, str]:
    """``course-v1:ORG+COURSE+RUN`` into its parts (the only form block-v1 locations have)."""
    match = _COURSE_KEY.match(key)
    if not match or not all(_ID.match(part) for part in match.groups()):
        raise OlxError(f"not a course-v1 course key: {key!r} (expected course-v1:ORG+COURSE+RUN)")
    return match.group(1), match.group(2), match.group(3)


def display_name(block: Block, block_id: str | None = None) -> str:
    """``display_name_with_default``: the setting, else the class default, else the id."""
    if "display_name" in block.settings:
        name = as_string(block.settings["display_name"])
    else:
        name = DISPLAY_NAME_DEFAULTS.get(block.block_type)
    return (block_id or block.block_id).replace("_", " ") if name is None else name


def _flatten(block: Block, inherited_graded: bool, out: list[tuple[Block, bool]]) -> None:
    graded = as_bool(block.settings["graded"]) if "graded" in block.settings else inherited_graded
    out.append((block, graded))
    for child in block.children:
        _flatten(child, graded, out)


def build_block_rows(course: Course, org: str, course_part: str, run: str) -> list[dict[str, Any]]:
    """Pre-order DFS of the published tree, then the detached blocks; the plugin's counters."""
    ordered: list[tuple[Block, bool]] = []
    _flatten(course.root, False, ordered)
    ordered += [(block, as_bool(block.settings.get("graded"))) for block in course.detached]
    course_key = f"course-v1:{org}+{course_part}+{run}"
    edited_on = py_str(datetime.fromtimestamp(course.export_time, tz=UTC))
    rows: dict[str, dict[str, Any]] = {}
    section = subsection = unit = 0
    for order, (block, graded) in enumerate(ordered, start=1):
        # Split keeps the course root as block "course", whatever the run.
        block_id = "course" if block is course.root else block.block_id
        if not _ID.match(block.block_type) or not _BLOCK_ID.match(block_id):
            raise OlxError(f"{course.source}: {block.path}: invalid block id {block.block_type}/{block_id!r}")
        if not block.detached:
            if block.block_type == "chapter":
                section, subsection, unit = section + 1, 0, 0
            elif block.block_type == "sequential":
                subsection, unit = subsection + 1, 0
            elif block.block_type == "vertical":
                unit += 1
        data = {
            "course": course_part,
            "run": run,
            "block_type": block.block_type,
            "detached": 1 if block.detached else 0,
            "graded": 1 if graded else 0,
            "completion_mode": COMPLETION_MODES.get(block.block_type, ""),
            "section": 0 if block.detached else section,
            "subsection": 0 if block.detached else subsection,
            "unit": 0 if block.detached else unit,
            "tags": [],
        }
        location = f"block-v1:{org}+{course_part}+{run}+type@{block.block_type}+block@{block_id}"
        # A dict keyed by location, as the plugin's: a repeated block keeps its first place
        # and its last values.
        rows[location] = {
            "org": org,
            "course_key": course_key,
            "location": location,
            "display_name": display_name(block, block_id),
            "xblock_data_json": json.dumps(data),
            "order": order,
            "edited_on": edited_on,
        }
    return list(rows.values())


def lowest_passing_grade(course: Course) -> float | None:
    """min(GRADE_CUTOFFS) as CourseOverview stores it (2 decimals); None when there is none.

    The cutoffs come from the default, then policy.json's ``grading_policy``, then
    ``grading_policy.json``, as CourseBlock.set_grading_policy merges them.
    """
    merged: dict[str, Any] = {"GRADE_CUTOFFS": DEFAULT_GRADE_CUTOFFS}
    for layer in (course.root.settings.get("grading_policy"), course.grading_policy):
        if isinstance(layer, dict):
            merged.update(layer)
    cutoffs = merged["GRADE_CUTOFFS"]
    try:
        lowest = min(float(v) for v in cutoffs.values())
        return float(Decimal(repr(lowest)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
    except (AttributeError, TypeError, ValueError, InvalidOperation):
        return None


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def build_overview(course: Course, org: str, course_key: str) -> dict[str, Any]:
    settings = course.root.settings
    exported = datetime.fromtimestamp(course.export_time, tz=UTC)
    course_data = {
        "advertised_start": as_string(settings.get("advertised_start")),
        "announcement": _iso_or_none(as_date(settings.get("announcement"))),
        "lowest_passing_grade": lowest_passing_grade(course),
        "invitation_only": as_bool(settings.get("invitation_only")),
        "max_student_enrollments_allowed": as_int(settings.get("max_student_enrollments_allowed")),
        "effort": course.about.get("effort"),
        "enable_proctored_exams": as_bool(settings.get("enable_proctored_exams")),
        "entrance_exam_enabled": as_bool(settings.get("entrance_exam_enabled")),
        "external_id": None,
        "language": as_string(settings.get("language")),
        "tags": [],
    }
    return {
        "org": org,
        "course_key": course_key,
        # CourseOverview keeps the course's own display_name: none means empty, not a default.
        "display_name": as_string(settings.get("display_name")) or "",
        "course_start": py_str(as_date(settings.get("start")) or DEFAULT_START),
        "course_end": py_str(as_date(settings.get("end"))) or "",
        "enrollment_start": drf_iso(as_date(settings.get("enrollment_start"))) or "",
        "enrollment_end": drf_iso(as_date(settings.get("enrollment_end"))) or "",
        "self_paced": as_bool(settings.get("self_paced")),
        "course_data_json": json.dumps(course_data),
        "created": drf_iso(exported),
        "modified": drf_iso(exported),
    }


def build_rows(course: Course, course_key: str | None = None) -> CourseRows:
    """All rows of a course; ``course_key`` overrides the key the export carries."""
    if course_key:
        org, course_part, run = split_course_key(course_key)
    else:
        org, course_part, run = course.org, course.course, course.run
        course_key = f"course-v1:{org}+{course_part}+{run}"
        split_course_key(course_key)
    overview = build_overview(course, org, course_key)
    blocks = build_block_rows(course, org, course_part, run)
    stable = {k: v for k, v in overview.items() if k not in ("created", "modified")}
    content = [stable, [{k: v for k, v in b.items() if k != "edited_on"} for b in blocks]]
    fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return CourseRows(org, course_key, overview, blocks, fingerprint)
