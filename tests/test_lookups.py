"""The fast lookups give the answers of the plain ones, on every event of the golden inputs."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from aspects_backfill.reader import _may_be_json, parse_line
from aspects_backfill.transform.common import find_nested, get, get_each
from aspects_backfill.transform.errors import Rejected

INPUTS = sorted((Path(__file__).parent / "golden" / "inputs").glob("*.log"))


def _events() -> list[dict]:
    events = []
    for path in INPUTS:
        for line in path.read_bytes().splitlines():
            with contextlib.suppress(Rejected):
                events.append(parse_line(line))
    return events


def _all_keys(value: object, into: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            into.add(key)
            _all_keys(inner, into)
    elif isinstance(value, list):
        for inner in value:
            _all_keys(inner, into)
    return into


def _slow_find(event: dict, key: str) -> object:
    """ERB's search written plainly: this level, then each dict value in turn."""
    if key in event:
        return event[key]
    for value in event.values():
        if isinstance(value, dict):
            found = _slow_find(value, key)
            if found is not None:
                return found
    return None


def test_search_answers_match_the_plain_search():
    events = _events()
    assert len(events) > 500
    keys = sorted(_all_keys(events, {"no_such_field", "session", "user_id"}))
    for event in events:
        each = get_each(event, keys)
        for key in keys:
            assert find_nested(event, key) is _slow_find(event, key)
            assert each[key] is get(event, key), key


def test_shared_event_and_data_dict_searched_once_gives_the_same_answer():
    inner = {"a": None, "b": {"c": 0}}
    event = {"event": inner, "x": "1", "e": {}, "data": inner, "late": {"c": 5, "a": 7}}
    assert find_nested(event, "c") == 0 == _slow_find(event, "c")
    assert find_nested(event, "a") == 7 == _slow_find(event, "a")
    assert get_each(event, ["a", "c", "zz"]) == {"a": 7, "c": 0, "zz": None}


@pytest.mark.parametrize("text", ["input_1=2&x", "", " ", "\ufeff{}", "x", " \t\n\r", "a{}", "'1'", " ?"])
def test_strings_skipped_as_not_json_are_refused_by_the_standard_parser(text):
    assert not _may_be_json(text)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_json_looking_strings_are_still_parsed():
    for text in ["NaN", " Infinity", "-1", "\n[1]", '"s"', "true", "{}", " 5"]:
        assert _may_be_json(text), text
