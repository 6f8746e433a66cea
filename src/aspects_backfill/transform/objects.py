"""xAPI objects as ERB's library (tincan) shapes them: what it converts, drops or refuses.

tincan turns activity ids into strings and refuses empty ones, turns scores into floats,
accepts only strings in language maps, and leaves ``None`` values out of every object.
A value it refuses makes ERB fail on the event; here that is a rejected line.
"""

from __future__ import annotations

from typing import Any

from .errors import Rejected


def activity_id(value: Any) -> str | None:
    if value is None:
        return None
    if value == "":
        raise Rejected("invalid field", "an activity id is empty")
    return str(value)


def activity(object_id: Any, definition: dict | None = None, object_type: str = "Activity") -> dict:
    """An Activity (or GroupActivity); without an id the key is left out."""
    out: dict[str, Any] = {"objectType": object_type}
    object_id = activity_id(object_id)
    if object_id is not None:
        out["id"] = object_id
    if definition is not None:
        out["definition"] = definition
    return out


def lang_map(tag: str, text: Any) -> dict[str, str]:
    if not isinstance(text, str):
        raise Rejected("invalid field", f"a language map value is not a string: {text!r}")
    return {tag: text}


def _float(name: str, value: Any) -> float | None:
    if value is None or isinstance(value, float):
        return value
    try:
        return float(value)
    except Exception as exc:  # tincan accepts whatever float() accepts
        raise Rejected("invalid field", f"score {name} is not a number: {value!r}") from exc


def score(minimum: Any, maximum: Any, raw: Any, scaled: Any) -> dict[str, float]:
    """A Score: every part a float, missing parts left out (so it can be ``{}``)."""
    parts = {"min": minimum, "max": maximum, "raw": raw, "scaled": scaled}
    return {k: f for k, v in parts.items() if (f := _float(k, v)) is not None}
