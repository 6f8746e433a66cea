"""Problem events: ``problem_check`` (server, browser, multi-question), ``showanswer``, hints,
``edx.grades.problem.submitted`` and ``edx.problem.completed``.

ERB builds these with tincan objects; the helpers here reproduce what that serialisation
does to the values (strings for ids and responses, floats for scores, language-map checks).
A multi-question ``problem_check`` gives a ``GroupActivity`` parent plus one child statement per
question, each child pointing at its parent with a ``StatementRef``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from . import vocab
from .common import (
    Context,
    Event,
    Statement,
    actor,
    base_context,
    build,
    get,
    get_each,
    iri,
    raw_timestamp,
    statement_id,
    verb,
)
from .errors import Rejected
from .objects import activity, activity_id, lang_map, score
from .video import block_version

# Open edX response types whose xAPI interaction type is not "other" (ERB's map).
_INTERACTION_TYPES = {
    "choiceresponse": "choice",
    "multiplechoiceresponse": "choice",
    "choicetextresponse": "choice",
    "optionresponse": "choice",
    "numericalresponse": "numeric",
    "stringresponse": "fill-in",
    "formularesponse": "fill-in",
    "annotationresponse": "fill-in",
    "symbolicresponse": "fill-in",
    "imageresponse": "matching",
    "truefalseresponse": "true-false",
}
_OTHER = "other"
_CHECK_FIELDS = [
    "submission", "response_type", "display_name", "event_source", "referer", "success", "max_grade", "grade",
]  # fmt: skip

_DEFINITION_TYPES = {
    "edx.grades.problem.submitted": vocab.ACTIVITY_QUESTION,
    "showanswer": vocab.ACTIVITY_SOLUTION,
    "edx.problem.hint.demandhint_displayed": vocab.ACTIVITY_SUPPLEMENTAL_INFO,
}
_VERBS = {
    "problem_check": vocab.EVALUATED,
    "showanswer": vocab.ASKED,
    "edx.problem.hint.demandhint_displayed": vocab.ASKED,
    "edx.grades.problem.submitted": vocab.ATTEMPTED,
    "edx.problem.completed": vocab.COMPLETED,
}


# ---------------------------------------------------------------- shared pieces


def _is_browser(event: Event) -> bool:
    """The source test ERB uses for the verb and the result (top-level field searched first)."""
    return (get(event, "event_source") or get(event, "context.event_source")) == "browser"


def _verb(event: Event) -> dict:
    name = event["name"]
    if name == "problem_check" and _is_browser(event):
        return verb(*vocab.ATTEMPTED)
    return verb(*_VERBS[name])


def _problem_id(event: Event) -> Any:
    """The problem's usage key: from the event data when it is an object, else ``usage_key``."""
    data = get(event, "data")
    if data and isinstance(data, dict):
        return get(event, "data.problem_id") or get(event, "data.module_id", True)
    return get(event, "usage_key")


def _item(container: Any, key: str) -> Any:
    """``container[key]`` where ERB requires it: a missing key is a missing field."""
    try:
        return container[key]
    except KeyError:
        raise Rejected("missing field", f"no {key!r} in {type(container).__name__}") from None


def _interaction_type(response_type: Any) -> str:
    try:
        return _INTERACTION_TYPES[response_type]
    except KeyError:
        return _OTHER


# ---------------------------------------------------------------- problem_check


class _Check:
    """What a ``problem_check`` statement and its children read from the event, looked up once.

    The lookups run in ERB's order, so a line with several faults is refused for the first
    one ERB meets.
    """

    __slots__ = (
        "attempts", "browser_object", "browser_result", "children", "ctx", "data",
        "display_name", "event", "grade", "interaction", "max_grade", "problem_id",
        "referer", "submissions", "success",
    )  # fmt: skip

    def __init__(self, event: Event, ctx: Context) -> None:
        self.event, self.ctx = event, ctx
        self.problem_id = _problem_id(event)
        # the searched fields in one walk of the event (searches raise nothing, so ERB's
        # order of refusals is kept by the required lookups below)
        found = get_each(event, _CHECK_FIELDS)
        self.submissions = found["submission"] or {}
        keys = self.submissions.keys()
        self.children = list(keys) if len(keys) > 1 else []
        self.attempts = get(event, "data.attempts")
        self.interaction = _interaction_type(found["response_type"])
        self.display_name = found["display_name"]
        # both source tests of ERB, each field looked up once
        top_source, context_source = found["event_source"], get(event, "context.event_source")
        self.browser_object = (context_source or top_source) == "browser"
        self.referer = found["referer"] or get(event, "context.referer", True)
        self.browser_result = (top_source or context_source) == "browser"
        self.data = get(event, "data")
        self.success = found["success"] == "correct"
        self.max_grade, self.grade = found["max_grade"], found["grade"]

    def first_submission(self) -> Any:
        """The first submitted answer that names its response type (the parent's question)."""
        submissions = get(self.event, "data.submission")
        if submissions:
            for key in submissions:
                candidate = submissions[key]
                # not .get(): ERB's ``in`` test also accepts (and skips) strings and lists
                if "response_type" in candidate and candidate["response_type"]:  # noqa: RUF019
                    return candidate
        return None

    def definition(self, submission: Any, grouped: bool) -> dict:
        definition: dict[str, Any] = {"type": vocab.ACTIVITY_INTERACTION}
        if self.attempts:
            definition["extensions"] = {vocab.EXT_ATTEMPT_ID: self.attempts}
        interaction = self.interaction
        if submission:
            interaction = _INTERACTION_TYPES.get(submission.get("response_type"), _OTHER)
            definition["description"] = lang_map(vocab.EN_US, _item(submission, "question"))
        elif self.display_name:
            definition["name"] = lang_map(vocab.EN_US, self.display_name)
        definition["interactionType"] = _OTHER if grouped else interaction
        return definition

    def object(self, object_id: Any, definition: dict, group: bool = False) -> dict:
        object_id = activity_id(object_id)
        if self.browser_object:
            object_id = iri(self.ctx, "xblock", self.browser_block_id())
        elif object_id:
            object_id = iri(self.ctx, "xblock", object_id)
        return activity(object_id, definition, "GroupActivity" if group else "Activity")

    def browser_block_id(self) -> str | None:
        """The block from the referer's ``activate_block_id``, else from the ``input_<id>_…`` data."""
        query = parse_qs(urlparse(self.referer).query)
        found = query.get("activate_block_id")
        if found and found[0]:
            return found[0]
        data, course_id = self.data, get(self.event, "context.course_id")
        if data is None or course_id is None:
            return None
        parts, course_parts = data.split("_"), course_id.split(":")
        if len(parts) > 1 and len(course_parts) > 1:
            return f"{block_version(course_id)}:{course_parts[1]}+type@problem+block@{parts[1]}"
        return None

    def result(self, submission: Any) -> tuple[dict | None, bool]:
        """The result, and whether its response had to be JSON-encoded (it was a list)."""
        if self.browser_result:
            return None, False
        if submission:
            response, correct = _item(submission, "answer"), submission.get("correct")
        else:
            data = {} if self.data is None else self.data
            response, correct = data.get("answers"), self.success
        max_grade, grade = self.max_grade, self.grade
        scaled = None
        if max_grade is not None and grade is not None:
            scaled = grade / max_grade if max_grade > 0 else 0
        result: dict[str, Any] = {"score": score(0, max_grade, grade, scaled)}
        if correct is not None:
            result["success"] = bool(correct)
        is_list = isinstance(response, list)
        _set_response(result, response, is_list)
        return result, is_list


def _set_response(result: dict, response: Any, json_encoded: bool) -> None:
    """tincan's ``str()`` of the response, or ERB's JSON text for list responses."""
    if json_encoded:
        if not isinstance(response, list):
            raise Rejected("invalid field", "a list response became a non-list")
        result["response"] = json.dumps(response, ensure_ascii=False)
    elif response is not None:
        result["response"] = str(response)
    else:
        result.pop("response", None)


def _start(event: Event, ctx: Context) -> tuple[dict, str, dict]:
    """Verb, actor JSON and context, checked in ERB's order (user, course) before the rest."""
    verb_dict = _verb(event)
    _, actor_json = actor(event, ctx)
    return verb_dict, actor_json, base_context(event, ctx)


def problem_check(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, actor_json, context = _start(event, ctx)
    check = _Check(event, ctx)
    grouped = bool(check.children)
    submission = check.first_submission()
    obj = check.object(check.problem_id, check.definition(submission, grouped), grouped)
    result, _ = check.result(submission)
    parent = build(event, ctx, verb_dict, obj, context, result)
    if not grouped:
        return [parent]
    activities = context.get("contextActivities")
    if not activities:
        raise Rejected("missing field", "a multi-question problem_check without context.course_id")
    shared = (parent, verb_dict, actor_json, activities["parent"])
    return [parent, *(_child(check, shared, child_id) for child_id in check.children)]


def _child(check: _Check, shared: tuple, child_id: str) -> Statement:
    """One question of a multi-question problem: its own id, object and response, no score.

    It shares the parent's actor, verb and timestamp; its id adds the question's id.
    """
    parent, verb_dict, actor_json, course = shared
    submission = check.submissions.get(child_id)
    object_id = "@".join([*(check.problem_id or "").split("@")[:-1], child_id])
    obj = check.object(object_id, check.definition(submission, False))
    result, json_encoded = check.result(submission)
    if result is None:
        raise Rejected("invalid field", "a browser problem_check cannot have several questions")
    del result["score"]
    _set_response(result, (submission or {}).get("answer"), json_encoded)
    context = base_context(check.event, check.ctx, {"parent": [parent["object"]], "grouping": course})
    context["statement"] = {"objectType": "StatementRef", "id": parent["id"]}
    ts = raw_timestamp(check.event)
    stmt = {
        "id": statement_id(check.ctx, verb_dict, actor_json, ts, child=child_id),
        "actor": parent["actor"],
        "verb": verb_dict,
        "object": obj,
        "result": result,
        "context": context,
    }
    if "timestamp" in parent:
        stmt["timestamp"] = parent["timestamp"]
    stmt["version"] = parent["version"]
    return stmt


# ---------------------------------------------------------------- other problem events


def _problem_activity(event: Event) -> tuple[Any, dict]:
    object_id = activity_id(_problem_id(event))
    return object_id, {"type": _DEFINITION_TYPES.get(event["name"], vocab.ACTIVITY_INTERACTION)}


def show_answer(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, _, context = _start(event, ctx)
    _, definition = _problem_activity(event)
    object_id = f"{iri(ctx, 'xblock', get(event, 'problem_id', True))}/answer"
    return [build(event, ctx, verb_dict, activity(object_id, definition), context)]


def hint_displayed(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, _, context = _start(event, ctx)
    _, definition = _problem_activity(event)
    module_id = get(event, "module_id", True)
    hint_index = get(event, "hint_index", True)
    object_id = f"{iri(ctx, 'xblock', module_id)}/hint/{hint_index}"
    return [build(event, ctx, verb_dict, activity(object_id, definition), context)]


def problem_completed(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, _, context = _start(event, ctx)
    object_id, definition = _problem_activity(event)
    return [build(event, ctx, verb_dict, activity(object_id, definition), context)]


def problem_submitted(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, _, context = _start(event, ctx)
    object_id, definition = _problem_activity(event)
    obj = activity(iri(ctx, "xblock", object_id), definition)
    data = get(event, "data")
    possible = _item(data, "weighted_possible") or 0
    earned = _item(data, "weighted_earned") or 0
    scaled = earned / possible if possible > 0 else 0
    result = {"success": bool(earned >= possible), "score": score(0, possible, earned, scaled)}
    return [build(event, ctx, verb_dict, obj, context, result)]


TRANSFORMS = {
    "problem_check": problem_check,
    "showanswer": show_answer,
    "edx.problem.hint.demandhint_displayed": hint_displayed,
    "edx.problem.completed": problem_completed,
    "edx.grades.problem.submitted": problem_submitted,
}
