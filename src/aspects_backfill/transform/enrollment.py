"""Enrollment and course pass/fail events: the course itself is the object (named in ``en``,
with the enrollment mode as an extension) and there is no contextActivities."""

from __future__ import annotations

from . import vocab
from .common import Context, Event, Statement, actor, base_context, build, course_name, get, iri, verb
from .values import extensions


def _course_object(event: Event, ctx: Context) -> dict:
    course_id = get(event, "context.course_id", True)
    return {
        "id": iri(ctx, "course", course_id),
        "objectType": "Activity",
        "definition": {
            "type": vocab.ACTIVITY_COURSE,
            "name": {vocab.EN: course_name(ctx, course_id)},
            "extensions": extensions({vocab.EXT_MODE: get(event, "data.mode")}),
        },
    }


def _course_event(verb_pair: tuple[str, str]):
    def transform(event: Event, ctx: Context) -> list[Statement]:
        actor(event, ctx)  # ERB looks the user up before the course
        context = base_context(event, ctx, activities=None)
        return [build(event, ctx, verb(*verb_pair), _course_object(event, ctx), context)]

    return transform


TRANSFORMS = {
    "edx.course.enrollment.activated": _course_event(vocab.REGISTERED),
    "edx.course.enrollment.mode_changed": _course_event(vocab.REGISTERED),
    "edx.course.enrollment.deactivated": _course_event(vocab.UNREGISTERED),
    "edx.course.grade.passed.first_time": _course_event(vocab.PASSED),
    "edx.course.grade.now_passed": _course_event(vocab.PASSED),
    "edx.course.grade.now_failed": _course_event(vocab.FAILED),
}
