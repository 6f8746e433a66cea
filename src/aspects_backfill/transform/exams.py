"""Special exam attempts (timed, practice, proctored): created and submitted.

ERB reads these fields from the raw ``event`` object only (dotted ``event.*`` paths), so an
exam line whose ``event`` is a JSON string cannot be transformed.
"""

from __future__ import annotations

from collections.abc import Callable

from . import vocab
from .common import Context, Event, Statement, actor, base_context, build, course_parent, get, verb
from .errors import Rejected
from .objects import activity, lang_map
from .values import extensions

_ACTIVITY_TYPES = {
    "timed": "https://w3id.org/xapi/openedx/activity/timed-assessment",
    "practice": "https://w3id.org/xapi/openedx/activity/practice-assessment",
    "proctored": "https://w3id.org/xapi/openedx/activity/proctored-assessment",
}


def _attempt(event: Event) -> dict:
    definition = {
        "type": vocab.ACTIVITY_ATTEMPT,
        "name": lang_map(vocab.EN, get(event, "event.exam_name")),
        "extensions": extensions(
            {
                vocab.EXT_ATTEMPT_STARTED: get(event, "event.attempt_started_at"),
                vocab.EXT_ATTEMPT_COMPLETED: get(event, "event.attempt_completed_at"),
                vocab.EXT_DURATION: get(event, "event.attempt_event_elapsed_time_secs"),
                vocab.EXT_ATTEMPT_ID: get(event, "event.attempt_id"),
            }
        ),
    }
    return activity(get(event, "event.attempt_code"), definition)


def _exam(kind: str, verb_pair: tuple[str, str]) -> Callable:
    def transform(event: Event, ctx: Context) -> list[Statement]:
        actor(event, ctx)  # ERB checks the user first, then the course, then the rest
        activities = course_parent(event, ctx)
        grouping = [_attempt(event)]
        if activities is None:
            raise Rejected("missing field", "an exam event needs context.course_id")
        activities["grouping"] = grouping
        definition = {
            "type": _ACTIVITY_TYPES[kind],
            "name": lang_map(vocab.EN, get(event, "event.exam_name")),
            "extensions": extensions(
                {vocab.EXT_TIME_LIMIT: get(event, "event.exam_default_time_limit_mins")}
            ),
        }
        obj = activity(get(event, "event.exam_content_id"), definition)
        return [build(event, ctx, verb(*verb_pair), obj, base_context(event, ctx, activities))]

    return transform


TRANSFORMS = {
    f"edx.special_exam.{kind}.attempt.{action}": _exam(kind, verb_pair)
    for kind in _ACTIVITY_TYPES
    for action, verb_pair in (("created", vocab.INITIALIZED), ("submitted", vocab.TERMINATED))
}
