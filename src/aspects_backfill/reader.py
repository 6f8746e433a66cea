"""Tracking-log lines → event dicts, the way ERB's ``parse_json_event`` reads them.

A line is the text from its first ``{`` to its last ``}`` (which skips the LMS logger's
syslog-style prefix); the ``event`` field is parsed again when it is a JSON string and the
result stored as ``data``; ``time`` stands in for a missing ``timestamp``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import orjson

from .transform.errors import Rejected

MAX_LINE_BYTES = 8 * 1024 * 1024


# orjson turns integers beyond 64 bits into floats instead of failing; any run of 19+ digits
# may be one, so such text goes to the standard library, which keeps them exact (as ERB does).
# (Mapping every digit to "0" and searching is ~10x faster than a regular expression.)
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19


def _has_long_digit_run(raw: bytes | str) -> bool:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    return _LONG_RUN in raw.translate(_DIGITS_TO_ZERO)


def _loads(raw: bytes | str) -> Any:
    """orjson first (fast); the standard library for what only it gets right (NaN, huge ints, bad UTF-8)."""
    if not _has_long_digit_run(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return json.loads(text)


# What the standard library's decoder accepts as the first character of a document (after
# its whitespace); anything else fails in both parsers, so it is not tried (browser events
# often carry query strings, not JSON).
_JSON_STARTS = frozenset('{["-0123456789tfnNI')
_JSON_WHITESPACE = " \t\n\r"


def _may_be_json(raw: str | bytes | bytearray) -> bool:
    if not isinstance(raw, str):
        return True  # not seen in parsed JSON; left to the parsers
    head = raw[:1]
    if head in _JSON_STARTS:
        return True
    return head in _JSON_WHITESPACE and raw.lstrip(_JSON_WHITESPACE)[:1] in _JSON_STARTS


def parse_line(line: bytes) -> dict[str, Any]:
    """The event of one log line, or ``Rejected`` with the reason ERB would not parse it."""
    start = line.find(b"{")
    end = line.rfind(b"}")
    if start < 0 or end < start or line[end + 1 :].strip():
        raise Rejected("unparsable", "no JSON object in the line")
    try:
        event = _loads(line[start : end + 1])
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Rejected("unparsable", f"invalid JSON: {exc}") from exc
    if not isinstance(event, dict) or "event" not in event:
        raise Rejected("unparsable", "the JSON object has no 'event' field")
    raw = event["event"]
    data = raw
    if isinstance(raw, (str, bytes, bytearray)) and _may_be_json(raw):
        try:
            data = _loads(raw)
        except (json.JSONDecodeError, RecursionError, UnicodeDecodeError):
            data = raw
    event["data"] = data
    if "timestamp" not in event and "time" in event:
        event["timestamp"] = event["time"]
    return event


def iter_lines(stream: IO[bytes], start_line: int = 0) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for each line of a byte stream; memory is bounded by the longest line.

    A line longer than ``MAX_LINE_BYTES`` is returned cut at that size (its JSON then fails
    to parse and the line is rejected) and the rest of it is skipped.
    """
    for number, line, _ in iter_lines_ends(stream, start_line):
        yield number, line


def iter_lines_ends(stream: IO[bytes], start_line: int = 0) -> Iterator[tuple[int, bytes, int]]:
    """``iter_lines`` plus where each line ends: the bytes consumed from ``stream`` so far
    (a cut line's skipped rest included), so a run can record an exact resume position."""
    number = start_line
    consumed = 0
    readline = stream.readline
    limit = MAX_LINE_BYTES
    while True:
        line = readline(limit)
        if not line:
            return
        number += 1
        consumed += len(line)
        if len(line) >= limit and not line.endswith(b"\n"):
            while True:  # drain the rest of the over-long line
                more = readline(limit)
                consumed += len(more)
                if not more or more.endswith(b"\n"):
                    break
        yield number, line, consumed
