"""A mixed tracking log for the scale tests: every golden video event many times over (unique
timestamps and learners), plus lines that are skipped, rejected, blank, prefixed or unterminated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
USERS = GOLDEN / "users.csv"
COURSES = GOLDEN / "courses.csv"
LMS = "http://localhost:18000"
PREFIX = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "

ODD_LINES = [
    "this is not JSON at all",
    '{"name": "page_view", "event": {}, "time": "2024-01-01T00:00:00+00:00"}',  # not allowed
    "",
    "   ",
    '{"name": "play_video", "event": "{}", "context": {"user_id": 999999}}',  # unknown user
    '{"name": "play_video", "no_event_field": 1}',
    '{"truncated": ',
]


def _templates() -> list[dict]:
    return [json.loads(x) for x in (GOLDEN / "inputs" / "video-fixtures.log").read_text().splitlines() if x]


def mixed_lines(count: int, seed: int = 0) -> list[str]:
    base = _templates()
    users = ["edx", "honor"]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=seed)
    out = []
    for i in range(count):
        if i % 11 == 5:
            out.append(ODD_LINES[(i // 11) % len(ODD_LINES)])
            continue
        event = json.loads(json.dumps(base[i % len(base)]))
        event["username"] = users[i % 2]
        ctx = event.get("context") or {}
        ctx.pop("user_id", None)
        ts = (start + dt.timedelta(milliseconds=i)).isoformat()
        event["time" if "time" in event else "timestamp"] = ts
        text = json.dumps(event)
        out.append(PREFIX + text if i % 3 == 0 else text)
    return out


def write_mixed_log(path: Path, count: int, seed: int = 0, terminated: bool = False) -> Path:
    """``count`` lines; the last one has no newline unless ``terminated``."""
    text = "\n".join(mixed_lines(count, seed))
    path.write_text(text + ("\n" if terminated else ""))
    return path
