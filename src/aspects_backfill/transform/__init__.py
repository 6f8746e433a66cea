"""Tracking event → xAPI statements, as event-routing-backends (ERB) makes them.

One module per event family; each exposes ``TRANSFORMS``: event name → function
``(event, ctx) -> list[statement]``. ``transform_event`` applies ERB's allow-list and
registry and its final check (a statement without an object id drops the event).
"""

from __future__ import annotations

from collections.abc import Callable

from .common import ActorLookup, Context, Event, Statement
from .errors import LineOutcome, Rejected, Skipped

Transform = Callable[[Event, Context], list[Statement]]

# ERB's default EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS (settings/common.py, 10.1.0).
# Two language-menu events are allowed but have no transformer; two problem events have a
# transformer but are not allowed.
DEFAULT_ALLOWED = frozenset(
    [
        "edx.course.enrollment.activated",
        "edx.course.enrollment.deactivated",
        "edx.course.enrollment.mode_changed",
        "edx.grades.subsection.grade_calculated",
        "edx.grades.course.grade_calculated",
        "edx.special_exam.timed.attempt.created",
        "edx.special_exam.timed.attempt.submitted",
        "edx.special_exam.practice.attempt.created",
        "edx.special_exam.practice.attempt.submitted",
        "edx.special_exam.proctored.attempt.created",
        "edx.special_exam.proctored.attempt.submitted",
        "edx.completion.block_completion.changed",
        "edx.forum.thread.created",
        "edx.forum.thread.deleted",
        "edx.forum.thread.edited",
        "edx.forum.thread.viewed",
        "edx.forum.thread.reported",
        "edx.forum.thread.unreported",
        "edx.forum.thread.voted",
        "edx.forum.response.created",
        "edx.forum.response.deleted",
        "edx.forum.response.edited",
        "edx.forum.response.reported",
        "edx.forum.response.unreported",
        "edx.forum.response.voted",
        "edx.forum.comment.created",
        "edx.forum.comment.deleted",
        "edx.forum.comment.edited",
        "edx.forum.comment.reported",
        "edx.forum.comment.unreported",
        "edx.ui.lms.link_clicked",
        "edx.ui.lms.sequence.outline.selected",
        "edx.ui.lms.outline.selected",
        "edx.ui.lms.sequence.next_selected",
        "edx.ui.lms.sequence.previous_selected",
        "edx.ui.lms.sequence.tab_selected",
        "showanswer",
        "edx.problem.hint.demandhint_displayed",
        "problem_check",
        "load_video",
        "edx.video.loaded",
        "play_video",
        "edx.video.played",
        "complete_video",
        "edx.video.completed",
        "stop_video",
        "edx.video.stopped",
        "pause_video",
        "edx.video.paused",
        "seek_video",
        "edx.video.position.changed",
        "hide_transcript",
        "edx.video.transcript.hidden",
        "show_transcript",
        "edx.video.transcript.shown",
        "speed_change_video",
        "video_hide_cc_menu",
        "edx.video.closed_captions.shown",
        "edx.video.closed_captions.hidden",
        "edx.video.language_menu.hidden",
        "video_show_cc_menu",
        "edx.video.language_menu.shown",
        "edx.course.grade.passed.first_time",
        "edx.course.grade.now_passed",
        "edx.course.grade.now_failed",
    ]
)


def _registry() -> dict[str, Transform]:
    from . import completion, enrollment, exams, forum, grading, navigation, problems, video

    registry: dict[str, Transform] = {}
    for family in (enrollment, grading, completion, problems, video, navigation, forum, exams):
        registry.update(family.TRANSFORMS)
    return registry


REGISTRY: dict[str, Transform] = _registry()


def transform_event(event: Event, ctx: Context, all_events: bool = False) -> list[Statement]:
    """Statements for one parsed event; raises ``Skipped`` or ``Rejected`` instead."""
    name = event.get("name")
    if not name or not isinstance(name, str):
        raise Skipped("no event name")
    if not all_events and name not in DEFAULT_ALLOWED:
        raise Skipped("not allowed", name)
    fn = REGISTRY.get(name)
    if fn is None:
        raise Skipped("no transformer", name)
    try:
        statements = fn(event, ctx)
    except LineOutcome:
        raise
    except Exception as exc:  # ERB would crash the whole run here; we reject the line
        raise Rejected("invalid field", f"{type(exc).__name__}: {exc}") from exc
    for stmt in statements:
        obj = stmt.get("object")
        if not obj or not obj.get("id"):
            raise Rejected("no object id", "the statement has no object id")
    return statements


__all__ = [
    "DEFAULT_ALLOWED",
    "REGISTRY",
    "ActorLookup",
    "Context",
    "Rejected",
    "Skipped",
    "transform_event",
]
