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
from .common import Context, Event, Statement, actor, base_context, build, get, iri, verb
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


def _interaction_type(response_type: Any) -> str:
    try:
        return _INTERACTION_TYPES[response_type]
    except KeyError:
        return _OTHER


# ---------------------------------------------------------------- problem_check


def _first_submission(event: Event) -> Any:
    """The first submitted answer that names its response type (the parent's question)."""
    submissions = get(event, "data.submission")
    if submissions:
        for key in submissions:
            candidate = submissions[key]
            # not .get(): ERB's ``in`` test also accepts (and skips) strings and lists
            if "response_type" in candidate and candidate["response_type"]:  # noqa: RUF019
                return candidate
    return None


def _child_ids(event: Event) -> list:
    submissions = get(event, "submission") or {}
    keys = submissions.keys()
    return list(keys) if len(keys) > 1 else []


def _check_definition(event: Event, submission: Any, grouped: bool) -> dict:
    definition: dict[str, Any] = {"type": vocab.ACTIVITY_INTERACTION}
    attempts = get(event, "data.attempts")
    if attempts:
        definition["extensions"] = {vocab.EXT_ATTEMPT_ID: attempts}
    interaction = _interaction_type(get(event, "response_type"))
    display_name = get(event, "display_name")
    if submission:
        interaction = _INTERACTION_TYPES.get(submission.get("response_type"), _OTHER)
        definition["description"] = lang_map(vocab.EN_US, submission["question"])
    elif display_name:
        definition["name"] = lang_map(vocab.EN_US, display_name)
    definition["interactionType"] = _OTHER if grouped else interaction
    return definition


def _browser_block_id(event: Event, referer: Any) -> str | None:
    """The problem's block from the referer's ``activate_block_id``, else from ``input_<id>_…``."""
    query = parse_qs(urlparse(referer).query)
    found = query.get("activate_block_id")
    if found and found[0]:
        return found[0]
    data, course_id = get(event, "data"), get(event, "context.course_id")
    if data is None or course_id is None:
        return None
    parts, course_parts = data.split("_"), course_id.split(":")
    if len(parts) > 1 and len(course_parts) > 1:
        return f"{block_version(course_id)}:{course_parts[1]}+type@problem+block@{parts[1]}"
    return None


def _check_object(ctx: Context, event: Event, object_id: Any, definition: dict, group: bool = False) -> dict:
    object_id = activity_id(object_id)
    source = get(event, "context.event_source") or get(event, "event_source")
    referer = get(event, "referer") or get(event, "context.referer", True)
    if source == "browser":
        object_id = iri(ctx, "xblock", _browser_block_id(event, referer))
    elif object_id:
        object_id = iri(ctx, "xblock", object_id)
    return activity(object_id, definition, "GroupActivity" if group else "Activity")


def _check_result(event: Event, submission: Any) -> tuple[dict | None, bool]:
    """The result, and whether its response had to be JSON-encoded (it was a list)."""
    if _is_browser(event):
        return None, False
    data = get(event, "data")
    if data is None:
        data = {}
    if submission:
        response, correct = submission["answer"], submission.get("correct")
    else:
        response, correct = data.get("answers"), get(event, "success") == "correct"
    max_grade, grade = get(event, "max_grade"), get(event, "grade")
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


def _start(event: Event, ctx: Context) -> tuple[dict, dict]:
    """The verb and the context, checked in ERB's order (user, course) before anything else."""
    verb_dict = _verb(event)
    actor(event, ctx)
    return verb_dict, base_context(event, ctx)


def problem_check(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, context = _start(event, ctx)
    problem_id = _problem_id(event)
    children = _child_ids(event)
    submission = _first_submission(event)
    definition = _check_definition(event, submission, bool(children))
    obj = _check_object(ctx, event, problem_id, definition, bool(children))
    result, _ = _check_result(event, submission)
    parent = build(event, ctx, verb_dict, obj, context, result)
    if not children:
        return [parent]
    activities = context.get("contextActivities")
    if not activities:
        raise Rejected("missing field", "a multi-question problem_check without context.course_id")
    return [parent, *(_child(event, ctx, verb_dict, parent, activities["parent"], c) for c in children)]


def _child(
    event: Event, ctx: Context, verb_dict: dict, parent: Statement, course: list, child_id: str
) -> Statement:
    """One question of a multi-question problem: its own id, object and response, no score."""
    submission = (get(event, "submission") or {}).get(child_id)
    parent_id = _problem_id(event) or ""
    child_object_id = "@".join([*parent_id.split("@")[:-1], child_id])
    obj = _check_object(ctx, event, child_object_id, _check_definition(event, submission, False))
    result, json_encoded = _check_result(event, submission)
    if result is None:
        raise Rejected("invalid field", "a browser problem_check cannot have several questions")
    result.pop("score")
    _set_response(result, (submission or {}).get("answer"), json_encoded)
    context = base_context(event, ctx, {"parent": [parent["object"]], "grouping": course})
    context["statement"] = {"objectType": "StatementRef", "id": parent["id"]}
    return build(event, ctx, verb_dict, obj, context, result, child=child_id)


# ---------------------------------------------------------------- other problem events


def _problem_activity(ctx: Context, event: Event) -> tuple[Any, dict]:
    object_id = activity_id(_problem_id(event))
    return object_id, {"type": _DEFINITION_TYPES.get(event["name"], vocab.ACTIVITY_INTERACTION)}


def show_answer(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, context = _start(event, ctx)
    _, definition = _problem_activity(ctx, event)
    object_id = f"{iri(ctx, 'xblock', get(event, 'problem_id', True))}/answer"
    return [build(event, ctx, verb_dict, activity(object_id, definition), context)]


def hint_displayed(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, context = _start(event, ctx)
    _, definition = _problem_activity(ctx, event)
    module_id = get(event, "module_id", True)
    hint_index = get(event, "hint_index", True)
    object_id = f"{iri(ctx, 'xblock', module_id)}/hint/{hint_index}"
    return [build(event, ctx, verb_dict, activity(object_id, definition), context)]


def problem_completed(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, context = _start(event, ctx)
    object_id, definition = _problem_activity(ctx, event)
    return [build(event, ctx, verb_dict, activity(object_id, definition), context)]


def problem_submitted(event: Event, ctx: Context) -> list[Statement]:
    verb_dict, context = _start(event, ctx)
    object_id, definition = _problem_activity(ctx, event)
    obj = activity(iri(ctx, "xblock", object_id), definition)
    data = get(event, "data")
    possible = data["weighted_possible"] or 0
    earned = data["weighted_earned"] or 0
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
