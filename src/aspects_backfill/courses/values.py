"""Field values as edx-platform reads them from OLX, and timestamps as the plugin writes them."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as dateparser

log = logging.getLogger("aspects_backfill")

# How XmlMixin.deserialize_field reads an attribute: JSON when it parses, else the raw text.
_NO_VALUE = object()


def _decoded(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return _NO_VALUE


def as_string(value: Any) -> str | None:
    """A String field: a JSON string or null is decoded, anything else stays as written."""
    decoded = _decoded(value)
    if decoded is None:
        return None
    if isinstance(decoded, str):
        return decoded
    return value if isinstance(value, str) else str(value)


def as_bool(value: Any, default: bool = False) -> bool:
    """A Boolean field: ``"true"`` in any case, or a truthy JSON value."""
    if value is None:
        return default
    decoded = _decoded(value)
    if decoded is None:
        return False
    if decoded is _NO_VALUE:
        return value.lower() == "true"
    if isinstance(decoded, str):
        return decoded.lower() == "true"
    return bool(decoded)


def as_int(value: Any) -> int | None:
    decoded = _decoded(value)
    if decoded is None or (decoded is _NO_VALUE and not str(value).strip()):
        return None
    try:
        return int(value if decoded is _NO_VALUE else decoded)
    except (TypeError, ValueError):
        log.warning("ignoring a non-integer value %r", value)
        return None


# dateutil fills missing parts from a default: two different defaults reveal them (as xmodule's Date).
_SEED1 = datetime(1970, 1, 1)
_SEED2 = datetime(1971, 2, 2)


def as_date(value: Any) -> datetime | None:
    """A Date field: ISO-like text (naive means UTC) or epoch milliseconds; unparseable is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    text = str(value)
    decoded = _decoded(text)
    if decoded is None:
        return None
    if isinstance(decoded, int | float) and not isinstance(decoded, bool):
        return datetime.fromtimestamp(decoded / 1000, tz=UTC)
    if isinstance(decoded, str):
        text = decoded
    try:
        first = dateparser.parse(text, default=_SEED1)
        second = dateparser.parse(text, default=_SEED2)
    except (ValueError, OverflowError):
        log.warning("ignoring an unparseable date %r", value)
        return None
    if (first.day, first.month) != (second.day, second.month):
        log.warning("ignoring a date without day or month %r", value)
        return None
    return first.replace(tzinfo=UTC) if first.tzinfo is None else first.astimezone(UTC)


def py_str(moment: datetime | None) -> str | None:
    """``str(datetime)`` of a UTC datetime, as the plugin writes start/end and edited_on."""
    return None if moment is None else str(moment.astimezone(UTC))


def drf_iso(moment: datetime | None) -> str | None:
    """DRF's DateTimeField output: ISO 8601 with ``Z`` for UTC (enrollment dates, created, modified)."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def dump_time(now: datetime | None = None) -> str:
    """``time_last_dumped``: ``YYYY-MM-DD HH:MM:SS.ffffff+00:00``, always with microseconds.

    The plugin parses it with ``%Y-%m-%d %H:%M:%S.%f+00:00``; ``str()`` would drop ``.%f`` when
    the microseconds are 0 and crash that parse, so 0 becomes 1.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if now.microsecond == 0:
        now = now.replace(microsecond=1)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
