"""Synthetic tracking logs for run tests: the golden video lines, repeated with unique timestamps
(so every line makes a statement with its own id)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = [
    json.loads(line)
    for line in (GOLDEN / "inputs" / "video-fixtures.log").read_text().splitlines()
    if line.strip()
]
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def video_line(n: int) -> bytes:
    """Line ``n``: a golden video event whose timestamp is START + n milliseconds."""
    event = dict(TEMPLATES[n % len(TEMPLATES)])
    event["timestamp"] = (START + dt.timedelta(milliseconds=n)).isoformat()
    event.pop("time", None)
    return json.dumps(event).encode() + b"\n"


def video_log(first: int, count: int) -> bytes:
    return b"".join(video_line(n) for n in range(first, first + count))


def lookup_args() -> list[str]:
    return [
        "--lms-root-url",
        "http://localhost:18000",
        "--actors",
        str(GOLDEN / "users.csv"),
        "--courses",
        str(GOLDEN / "courses.csv"),
    ]
