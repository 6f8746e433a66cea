"""Value conversions ERB applies (seconds, durations), rendered as its xAPI library renders them."""

from __future__ import annotations

import datetime as dt
from typing import Any


def seconds(value: Any) -> float | None:
    """ERB's ``convert_seconds_to_float``: rounded to 3 decimals, empty → None."""
    if value is None or (value != 0 and not value):
        return None
    return float(f"{float(value):.3f}")


def iso_duration(value: float | int) -> str:
    """An ISO 8601 duration as tincan writes a number of seconds (``PT03M15S``)."""
    total = dt.timedelta(seconds=value).total_seconds()
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    days, hours, minutes = int(days), int(hours), int(minutes)
    secs = round(secs, 6)
    date = f"{days}D" if days else ""
    time = "T"
    bigger = bool(date or hours)
    if bigger:
        time += f"{hours:02}H"
    bigger = bigger or bool(minutes)
    if bigger:
        time += f"{minutes:02}M"
    if float(secs).is_integer():
        time += f"{int(secs):02}S"
    else:
        time += ("%09.6f" % secs).rstrip("0") + "S"
    return "P" + date + time


def extensions(pairs: dict[str, Any]) -> dict[str, Any]:
    """tincan's Extensions: keys whose value is None are left out (the dict itself stays)."""
    return {k: v for k, v in pairs.items() if v is not None}
