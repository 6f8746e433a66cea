"""Synthetic tracking logs for benchmarks: every ERB fixture event, many learners, unique timestamps.

The ERB fixtures (``../shared/erb-fixtures/current``) are cycled; each line gets a learner out of
a pool, one of the fixture courses and a timestamp one millisecond after the previous line,
so no two statements share an id. Writes the log plus matching actors and courses CSVs.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import uuid
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "erb-fixtures" / "current"
PREFIX = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "
COURSES = {
    "course-v1:edX+DemoX+Demo_Course": "Demonstration Course",
    "ccx-v1:edX+DemoX+Demo_Course+ccx@1": "Demonstration Course CCX",
    "course-v1:TestX+XP101+2023_T1": "Test Course",
    "course-v1:testX+XAPI101+2019_T2": "xAPI 101",
}


def templates() -> list[dict]:
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        if "anonymous" in path.name:
            continue
        event = json.loads(path.read_text())
        if "event" not in event:
            event["event"] = event.get("data")
        event.pop("data", None)
        out.append(event)
    return out


def external_id(user_id: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-learner-{user_id}"))


def write_lookups(directory: Path, learners: int) -> tuple[Path, Path]:
    actors, courses = directory / "actors.csv", directory / "courses.csv"
    with actors.open("w") as fh:
        fh.write("user_id,username,external_user_id\n")
        for uid in range(1, learners + 1):
            fh.write(f"{uid},learner{uid},{external_id(uid)}\n")
        # usernames the fixtures use without an id
        for offset, name in enumerate(("edx", "edX", "student", "staff", "tacotuesday")):
            uid = 900_001 + offset
            fh.write(f"{uid},{name},{external_id(uid)}\n")
    with courses.open("w") as fh:
        fh.write("course_key,display_name\n")
        for key, name in COURSES.items():
            fh.write(f"{key},{name}\n")
    return actors, courses


def write_log(path: Path, lines: int, learners: int = 1000, prefix_every: int = 3) -> Path:
    base = templates()
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with path.open("w") as fh:
        for i in range(lines):
            event = copy.deepcopy(base[i % len(base)])
            uid = 1 + (i * 7919) % learners
            ctx = event.get("context")
            if isinstance(ctx, dict) and ctx.get("user_id") not in (None, ""):
                ctx["user_id"] = uid
            data = event.get("event")
            if isinstance(data, dict) and data.get("user_id") not in (None, ""):
                data["user_id"] = uid
            ts = (start + dt.timedelta(milliseconds=i)).isoformat()
            event["timestamp" if "timestamp" in event else "time"] = ts
            if i % 2 and isinstance(event.get("event"), dict):
                event["event"] = json.dumps(event["event"])  # as the LMS writes browser events
            text = json.dumps(event)
            fh.write((PREFIX + text if i % prefix_every == 0 else text) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--learners", type=int, default=1000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_lookups(args.out, args.learners)
    write_log(args.out / "tracking.log", args.lines, args.learners)


if __name__ == "__main__":
    main()
