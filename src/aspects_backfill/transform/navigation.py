"""Courseware navigation (``edx.ui.lms.*``): links, outline entries and sequence tabs."""

from __future__ import annotations

from . import vocab
from .common import Context, Event, Statement, actor, base_context, build, get, iri, verb
from .errors import Rejected
from .values import extensions

_NAVIGATED = verb(*vocab.NAVIGATED)
_ENDING_POINT = {"edx.ui.lms.sequence.next_selected": "next unit"}


def _activity_id(value: object) -> str | None:
    """An activity id as ERB's xAPI library stores it: any value as text."""
    return None if value is None else str(value)


def link_clicked(event: Event, ctx: Context) -> list[Statement]:
    actor(event, ctx)
    context = base_context(event, ctx)
    obj = {
        "id": _activity_id(get(event, "data.target_url", True)),
        "objectType": "Activity",
        "definition": {"type": vocab.ACTIVITY_LINK},
    }
    return [build(event, ctx, _NAVIGATED, obj, context)]


def outline_selected(event: Event, ctx: Context) -> list[Statement]:
    actor(event, ctx)
    context = base_context(event, ctx)
    target_url, name = get(event, "data.target_url"), get(event, "data.target_name")
    if not isinstance(name, str):  # a language map holds text only
        raise Rejected("invalid field", f"target_name is not text: {name!r}")
    obj = {
        "id": _activity_id(target_url),
        "objectType": "Activity",
        "definition": {"type": vocab.ACTIVITY_MODULE, "name": {vocab.EN: name}},
    }
    return [build(event, ctx, _NAVIGATED, obj, context)]


def tab_navigation(event: Event, ctx: Context) -> list[Statement]:
    actor(event, ctx)
    name = event["name"]
    if name == "edx.ui.lms.sequence.tab_selected":
        ending = get(event, "data.target_tab")
    else:
        ending = _ENDING_POINT.get(name, "previous unit")
    context = base_context(
        event,
        ctx,
        **{vocab.EXT_STARTING_POSITION: get(event, "data.current_tab"), vocab.EXT_ENDING_POINT: ending},
    )
    obj = {
        "id": iri(ctx, "xblock", get(event, "data.id")),
        "objectType": "Activity",
        "definition": {
            "type": vocab.ACTIVITY_RESOURCE,
            "extensions": extensions({vocab.EXT_TOTAL_ITEMS: get(event, "data.tab_count")}),
        },
    }
    return [build(event, ctx, _NAVIGATED, obj, context)]


TRANSFORMS = {
    "edx.ui.lms.link_clicked": link_clicked,
    "edx.ui.lms.sequence.outline.selected": outline_selected,
    "edx.ui.lms.outline.selected": outline_selected,
    "edx.ui.lms.sequence.next_selected": tab_navigation,
    "edx.ui.lms.sequence.previous_selected": tab_navigation,
    "edx.ui.lms.sequence.tab_selected": tab_navigation,
}
