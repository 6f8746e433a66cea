"""Compact JSON bytes for output records, for every value a log line can bring.

orjson refuses strings holding a lone UTF-16 surrogate (``"\\ud800"`` in a log line parses to
one); ERB keeps them and its JSON writer escapes them. Such rare objects are written by the
standard library with ASCII escapes, so a line never stops the run.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError: lone surrogates
        return json.dumps(obj, separators=(",", ":")).encode("ascii")
