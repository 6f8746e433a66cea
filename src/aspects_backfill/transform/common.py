"""What every xAPI statement shares: lookups of event fields, actor, id, context, timestamp.

These mirror event-routing-backends' (ERB) transformer base so that statements, and above
all their ids, are identical. Everything is a plain function over the event dict.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import vocab
from .errors import Rejected
from .keys import canonical_course_key
from .timestamps import normalise_timestamp

_NAMESPACE_DNS = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")

Event = dict[str, Any]
Statement = dict[str, Any]


class ActorLookup:
    """Maps a user id or username to the learner's anonymous xAPI id (and e-mail).

    ERB asks the LMS by numeric id first, then by username; this does the same over maps.
    """

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.by_name: dict[str, str] = {}

    def add(self, user_id: int | None, username: str | None, external_id: str) -> None:
        if user_id is not None:
            self.by_id[user_id] = external_id
        if username:
            self.by_name[username] = external_id

    def find(self, username_or_id: Any) -> str | None:
        if not username_or_id:
            return None
        try:
            found = self.by_id.get(int(username_or_id))
        except (TypeError, ValueError):
            found = None
        if found is None:
            found = self.by_name.get(str(username_or_id))
        return found

    def __len__(self) -> int:
        return max(len(self.by_id), len(self.by_name))


@dataclass
class Context:
    """Settings and lookups a transform needs; one per run (or per worker)."""

    lms_root_url: str
    transformer_version: str
    actors: ActorLookup
    courses: dict[str, str]
    _agents: dict[str, tuple[dict, str]] = field(default_factory=dict, repr=False)
    _verb_ns: dict[str, bytes] = field(default_factory=dict, repr=False)
    _last_actor: tuple[Event, tuple[dict, str]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.lms_root_url = self.lms_root_url.rstrip("/")


# ---------------------------------------------------------------- field access


def find_nested(event: Any, key: str) -> Any:
    """ERB's lookup of an undotted key: this level first, then depth-first into dicts.

    Empty dicts are passed over, and so is a dict met again right after its own search
    (``event`` and ``data`` are one object when the event field was not a JSON string): the
    answer would not change.
    """
    if key in event:
        return event[key]
    last = None
    for value in event.values():
        if value and isinstance(value, dict) and value is not last:
            last = value
            found = find_nested(value, key)
            if found is not None:
                return found
    return None


_PATHS: dict[str, tuple[str, ...]] = {}


def dotted(event: Any, path: str) -> Any:
    parts = _PATHS.get(path)
    if parts is None:
        parts = _PATHS[path] = tuple(path.split("."))
    result = event
    try:
        for part in parts:
            result = result[part]
    except (KeyError, TypeError, IndexError):
        return None
    return result


def _find_each(event: Any, keys: list[str]) -> dict[str, Any]:
    """``find_nested(event, key)`` for each key, by one walk (keys with no answer are left out)."""
    found: dict[str, Any] = {}
    rest = []
    for key in keys:
        if key in event:
            found[key] = event[key]
        else:
            rest.append(key)
    last = None
    for value in event.values():
        if not rest:
            break
        if value and isinstance(value, dict) and value is not last:
            last = value
            for key, answer in _find_each(value, rest).items():
                if answer is not None:  # as find_nested: the first answer that is not None
                    found[key] = answer
                    rest.remove(key)
    return found


def get_each(event: Event, keys: list[str]) -> dict[str, Any]:
    """``get(event, key)`` for several undotted keys at once: one search of the event, not one
    per key (problem events are large and need many of their fields)."""
    found = _find_each(event, keys)
    out = {}
    for key in keys:
        value = found.get(key)
        out[key] = None if not value and value != 0 else value
    return out


# Each key's path, or None when it has no dot (remembered: the keys are the code's own).
_KEY_PATHS: dict[str, tuple[str, ...] | None] = {}


def get(event: Event, key: str, required: bool = False) -> Any:
    """ERB's ``get_data``: dotted keys walk a path, others are searched; empty means None."""
    try:
        path = _KEY_PATHS[key]
    except KeyError:
        path = _KEY_PATHS[key] = tuple(key.split(".")) if "." in key else None
    if path is None:
        value = event[key] if key in event else find_nested(event, key)
    elif len(path) == 2:  # the usual case, without a call
        try:
            value = event[path[0]][path[1]]
        except (KeyError, TypeError, IndexError):
            value = None
    else:
        value = dotted(event, key)
    if not value and value != 0:
        value = None
    if value is None and required:
        raise Rejected("missing field", f"no value for {key}")
    return value


def iri(ctx: Context, kind: str, object_id: Any) -> str | None:
    if object_id is None:
        return None
    return f"{ctx.lms_root_url}/{kind}/{object_id}"


# ---------------------------------------------------------------- actor, verb, id


def user_ref(event: Event) -> Any:
    """The acting user: the event data's user first (an instructor may act on a learner)."""
    return (
        get(event, "data.user_id")
        or get(event, "data.username")
        or get(event, "user_id")
        or get(event, "username")
    )


def actor(event: Event, ctx: Context) -> tuple[dict, str]:
    """The actor dict and its JSON text (as ERB serialises it, for the id).

    The answer for the last event is kept: a transform may ask more than once per event.
    """
    last = ctx._last_actor
    if last is not None and last[0] is event:
        return last[1]
    ref = user_ref(event)
    external_id = ctx.actors.find(ref)
    if external_id is None:
        raise Rejected("unknown user", f"user {ref!r} is not in the actor map")
    cached = ctx._agents.get(external_id)
    if cached is None:
        account = {"name": external_id, "homePage": ctx.lms_root_url}
        agent = {"objectType": "Agent", "account": account}
        cached = (agent, json.dumps(agent))
        ctx._agents[external_id] = cached
    ctx._last_actor = (event, cached)
    return cached


# The JSON text of each verb ``verb`` made, by object id (the object is kept, so ids stay unique).
_VERB_JSON: dict[int, tuple[dict, str]] = {}


@functools.cache
def verb(verb_id: str, display: str) -> dict:
    """One shared dict per verb (statements must not modify it); its JSON is kept for the id."""
    made = {"id": verb_id, "display": {vocab.EN: display}}
    _VERB_JSON[id(made)] = (made, json.dumps(made))
    return made


def _uuid5_bytes(namespace: bytes | bytearray, name: str) -> bytearray:
    """``uuid.uuid5(...).bytes`` without building UUID objects (a third of the time)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest


def _uuid5(namespace: bytes | bytearray, name: str) -> str:
    """``str(uuid.uuid5(...))``, from ``_uuid5_bytes``."""
    h = _uuid5_bytes(namespace, name).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def statement_id(
    ctx: Context, verb_dict: dict, actor_json: str, raw_timestamp: Any, child: str | None = None
) -> str:
    """ERB's deterministic id: uuid5 over (verb JSON[-child]) then (actor JSON-timestamp)."""
    known = _VERB_JSON.get(id(verb_dict))
    verb_json = known[1] if known is not None and known[0] is verb_dict else json.dumps(verb_dict)
    if child is not None:  # not cached: question ids are as many as the problems
        namespace = _uuid5_bytes(_NAMESPACE_DNS.bytes, f"{verb_json}-{child}")
    else:
        namespace = ctx._verb_ns.get(verb_json)
        if namespace is None:
            namespace = ctx._verb_ns[verb_json] = uuid.uuid5(_NAMESPACE_DNS, verb_json).bytes
    return _uuid5(namespace, f"{actor_json}-{raw_timestamp}")


def raw_timestamp(event: Event) -> Any:
    return get(event, "timestamp") or get(event, "time")


# ---------------------------------------------------------------- context


def course_name(ctx: Context, course_id: str) -> str:
    name = ctx.courses.get(canonical_course_key(course_id))
    if name is None:
        raise Rejected("unknown course", f"course {course_id} is not in the course map")
    return name


def course_activity(ctx: Context, course_id: str, lang: str = vocab.EN_US) -> dict:
    return {
        "id": iri(ctx, "course", course_id),
        "objectType": "Activity",
        "definition": {"type": vocab.ACTIVITY_COURSE, "name": {lang: course_name(ctx, course_id)}},
    }


def context_extensions(event: Event, ctx: Context) -> dict:
    ext = {vocab.EXT_TRANSFORMER_VERSION: ctx.transformer_version}
    session = get(event, "session")
    if session is not None:
        ext[vocab.EXT_SESSION_ID] = session
    return ext


def course_parent(event: Event, ctx: Context) -> dict | None:
    """contextActivities with the course as parent, when the event names a course."""
    course_id = get(event, "context.course_id")
    if course_id is None:
        return None
    return {"parent": [course_activity(ctx, course_id)]}


def base_context(event: Event, ctx: Context, activities: dict | bool | None = True, **extra_ext: Any) -> dict:
    """ERB's default context; ``activities=True`` means the course parent."""
    if activities is True:
        activities = course_parent(event, ctx)
    out: dict[str, Any] = {}
    if activities:
        out["contextActivities"] = activities
    ext = context_extensions(event, ctx)
    for key, value in extra_ext.items():
        if value is not None:
            ext[key] = value
    out["extensions"] = ext
    return out


# ---------------------------------------------------------------- assembly


def build(
    event: Event,
    ctx: Context,
    verb_dict: dict,
    obj: dict | None,
    context: dict | None = None,
    result: dict | None = None,
    child: str | None = None,
) -> Statement:
    """Assemble one statement in ERB's field order; ``context`` defaults to ERB's base context.

    Call order follows ERB: actor (user lookup), context (course lookup), then the rest, so a
    line with several faults is rejected for the same fault ERB stops at.
    """
    agent, agent_json = actor(event, ctx)
    ts = raw_timestamp(event)
    sid = statement_id(ctx, verb_dict, agent_json, ts, child)
    if context is None:
        context = base_context(event, ctx)
    stmt: Statement = {"id": sid, "actor": agent, "verb": verb_dict}
    if obj is not None:
        stmt["object"] = obj
    if result is not None:
        stmt["result"] = result
    if context:
        stmt["context"] = context
    if ts is not None:
        stmt["timestamp"] = normalise_timestamp(ts)
    stmt["version"] = vocab.XAPI_VERSION
    return stmt
