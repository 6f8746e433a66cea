"""Statement timestamps exactly as ERB's xAPI library (tincan) renders them.

tincan parses the event's timestamp as ISO 8601 (aniso8601) and writes it back with
``datetime.isoformat()``: ``Z`` becomes ``+00:00``, fractions are padded to 6 digits (and
vanish when zero), other offsets are kept, a naive or space-separated timestamp is refused; numbers are UNIX times.
The common shapes take a fast path; anything else goes through aniso8601 itself.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import aniso8601

from .errors import Rejected

# Only ASCII digits and offsets aniso8601 accepts as written (hours 00-23, minutes 00-59, not
# "-00:00"); every other shape, including out-of-range fields, is left to aniso8601.
_FAST = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(Z|\+(?:[01][0-9]|2[0-3]):[0-5][0-9]|-(?!00:00)(?:[01][0-9]|2[0-3]):[0-5][0-9])"
)


def parse_timestamp(value: Any) -> dt.datetime:
    """The aware datetime tincan would build, or ``Rejected``."""
    if isinstance(value, str):
        m = _FAST.fullmatch(value)
        if m:
            y, mo, d, h, mi, s, frac, tz = m.groups()
            try:
                if tz == "Z":
                    tzinfo = dt.UTC
                else:
                    sign = -1 if tz[0] == "-" else 1
                    tzinfo = dt.timezone(sign * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
                micro = int(frac.ljust(6, "0")) if frac else 0
                return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo)
            except ValueError:
                pass  # let aniso8601 decide on out-of-range values
        try:
            parsed = aniso8601.parse_datetime(value)
        except Exception as exc:  # aniso8601 raises several exception types
            raise Rejected("bad timestamp", f"not an ISO 8601 timestamp: {value!r}") from exc
    elif isinstance(value, (int, float)):  # tincan: a UNIX time (a JSON true is 1)
        try:
            parsed = dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise Rejected("bad timestamp", f"not a timestamp: {value!r}") from exc
    else:
        raise Rejected("bad timestamp", f"not a timestamp: {value!r}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Rejected("bad timestamp", f"timestamp has no time zone: {value!r}")
    return parsed


_valid_dates: dict[str, bool] = {}


def _is_date(text: str) -> bool:
    """Whether ``YYYY-MM-DD`` is a real calendar date (remembered: logs repeat their dates)."""
    known = _valid_dates.get(text)
    if known is None:
        try:
            dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
            known = True
        except ValueError:
            known = False
        if len(_valid_dates) > 100_000:
            _valid_dates.clear()
        _valid_dates[text] = known
    return known


def normalise_timestamp(value: Any) -> str:
    """The statement's ``timestamp`` text for an event timestamp.

    The usual shape is rewritten as text (what ``isoformat`` would print); the rest is parsed.
    """
    if isinstance(value, str):
        m = _FAST.fullmatch(value)
        if m and m[4] <= "23" and m[5] <= "59" and m[6] <= "59" and _is_date(value[:10]):
            frac, tz = m[7], m[8]
            micro = "." + frac.ljust(6, "0") if frac and frac.strip("0") else ""
            return f"{value[:19]}{micro}{'+00:00' if tz == 'Z' else tz}"
    return parse_timestamp(value).isoformat()
