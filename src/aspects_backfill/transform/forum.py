"""Discussion forum events: threads, responses and comments created, edited, deleted,
reported, unreported, voted on, and threads viewed."""

from __future__ import annotations

from collections.abc import Callable

from . import vocab
from .common import Context, Event, Statement, actor, base_context, build, course_parent, get, verb
from .errors import Rejected
from .objects import activity, lang_map


def _object(event: Event, ctx: Context) -> dict:
    """The post's IRI: the request path without the post id, then the id."""
    post_id = get(event, "data.id", True)
    path = get(event, "context.path", True).rstrip("/").replace(post_id, "").rstrip("/")
    definition: dict = {"type": vocab.ACTIVITY_DISCUSSION}
    title = get(event, "data.title")
    if title:
        definition["name"] = lang_map(vocab.EN, title)
    return activity(f"{ctx.lms_root_url}{path}/{post_id}", definition)


def _activities(event: Event, ctx: Context) -> dict | None:
    """The course as parent, and the discussion the post belongs to as grouping."""
    activities = course_parent(event, ctx)
    discussion = get(event, "data.discussion.id")
    if not discussion:
        return activities
    thread = f"{ctx.lms_root_url}/api/discussion/v1/threads/{discussion}"
    grouping = [activity(thread, {"type": vocab.ACTIVITY_DISCUSSION})]
    if activities is None:
        raise Rejected("missing field", "a forum event with a discussion id needs context.course_id")
    activities["grouping"] = grouping
    return activities


def _forum(verb_pair: tuple[str, str], mode_field: str | None = None) -> Callable:
    def transform(event: Event, ctx: Context) -> list[Statement]:
        actor(event, ctx)  # ERB checks the user first, then the course, then the rest
        extra = {vocab.EXT_MODE: get(event, mode_field)} if mode_field else {}
        context = base_context(event, ctx, _activities(event, ctx), **extra)
        return [build(event, ctx, verb(*verb_pair), _object(event, ctx), context)]

    return transform


_KINDS = ("thread", "response", "comment")

TRANSFORMS = {
    "edx.forum.thread.created": _forum(vocab.POSTED, "thread_type"),
    "edx.forum.response.created": _forum(vocab.POSTED),
    "edx.forum.comment.created": _forum(vocab.POSTED),
    "edx.forum.thread.viewed": _forum(vocab.VIEWED),
    "edx.forum.thread.voted": _forum(vocab.VOTED, "vote_value"),
    "edx.forum.response.voted": _forum(vocab.VOTED, "vote_value"),
    **{f"edx.forum.{kind}.edited": _forum(vocab.EDITED) for kind in _KINDS},
    **{f"edx.forum.{kind}.deleted": _forum(vocab.DELETED) for kind in _KINDS},
    **{f"edx.forum.{kind}.reported": _forum(vocab.REPORTED) for kind in _KINDS},
    **{f"edx.forum.{kind}.unreported": _forum(vocab.UNREPORTED) for kind in _KINDS},
}
