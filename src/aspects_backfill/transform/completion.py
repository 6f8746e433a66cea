"""Block completion: a ``progressed`` statement whose result carries the completion percentage."""

from __future__ import annotations

from . import vocab
from .common import Context, Event, Statement, actor, base_context, build, get, iri, verb
from .values import extensions


def completion_changed(event: Event, ctx: Context) -> list[Statement]:
    actor(event, ctx)
    context = base_context(event, ctx)
    obj = {
        "id": iri(ctx, "xblock", get(event, "data.block_id")),
        "objectType": "Activity",
        "definition": {"type": vocab.ACTIVITY_RESOURCE},
    }
    value = get(event, "data.completion")
    # ERB multiplies whatever the event holds (a string is repeated, None fails)
    result = {"completion": bool(value == 1.0), "extensions": extensions({vocab.EXT_PROGRESS: value * 100})}
    return [build(event, ctx, verb(*vocab.PROGRESSED), obj, context, result)]


TRANSFORMS = {"edx.completion.block_completion.changed": completion_changed}
