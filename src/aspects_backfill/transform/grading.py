"""Grade events: a subsection's weighted score and the course's percent grade.

Arithmetic and comparisons are Python's own on the event's values, and every score number is
converted with ``float()`` as ERB's xAPI library does, so odd inputs (numbers as strings,
booleans) give ERB's result or ERB's failure.
"""

from __future__ import annotations

from typing import Any

from . import vocab
from .common import Context, Event, Statement, actor, base_context, build, course_name, get, iri, verb


def _score(low: Any, high: Any, raw: Any, scaled: Any) -> dict:
    return {"scaled": float(scaled), "raw": float(raw), "min": float(low), "max": float(high)}


def subsection(event: Event, ctx: Context) -> list[Statement]:
    actor(event, ctx)
    context = base_context(event, ctx)
    obj = {
        "id": iri(ctx, "xblock", get(event, "data.block_id", True)),
        "objectType": "Activity",
        "definition": {"type": vocab.ACTIVITY_RESOURCE},
    }
    data = get(event, "data")
    possible = data["weighted_total_possible"] or 0
    earned = data["weighted_total_earned"] or 0
    scaled = earned / possible if possible > 0 else 0
    result = {"success": bool(earned >= possible), "score": _score(0, possible, earned, scaled)}
    return [build(event, ctx, verb(*vocab.EARNED), obj, context, result)]


def course(event: Event, ctx: Context) -> list[Statement]:
    actor(event, ctx)
    context = base_context(event, ctx)
    course_id = get(event, "context.course_id", True)
    obj = {
        "id": iri(ctx, "course", course_id),
        "objectType": "Activity",
        "definition": {"type": vocab.ACTIVITY_COURSE, "name": {vocab.EN: course_name(ctx, course_id)}},
    }
    earned = get(event, "data")["percent_grade"] or 0
    letter = get(event, "data.letter_grade") or "Fail"
    result = {
        "score": _score(0, 1.0, earned, earned),
        "extensions": {vocab.EXT_GRADE_CLASSIFICATION: letter},
    }
    return [build(event, ctx, verb(*vocab.EARNED), obj, context, result)]


TRANSFORMS = {
    "edx.grades.subsection.grade_calculated": subsection,
    "edx.grades.course.grade_calculated": course,
}
