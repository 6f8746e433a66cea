"""Writes tests/golden/inputs/video-all-names.log: every ERB video fixture under its legacy name
and its ``edx.video.*`` twin, event as an object and as a JSON string, with and without the
LMS prefix, for several learners (one unknown) and courses (one CCX, one unknown).

    python scripts/make_golden_video.py && tests/golden/regenerate.sh tests/golden/inputs/video-all-names.log

Needs ../shared (the fixtures); the output is committed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "erb-fixtures" / "current"
OUT = ROOT / "tests" / "golden" / "inputs" / "video-all-names.log"
PREFIX = "2024-02-01 10:00:00,000 INFO 9 [tracking] [user 3] [ip 10.1.1.1] logger.py:41 - "
TWINS = {
    "load_video": "edx.video.loaded",
    "play_video": "edx.video.played",
    "pause_video": "edx.video.paused",
    "stop_video": "edx.video.stopped",
    "complete_video": "edx.video.completed",
    "seek_video": "edx.video.position.changed",
    "hide_transcript": "edx.video.transcript.hidden",
    "show_transcript": "edx.video.transcript.shown",
    "video_hide_cc_menu": "edx.video.closed_captions.hidden",
    "video_show_cc_menu": "edx.video.closed_captions.shown",
}
USERS = [3, "audit", 6, 999]
COURSES = [
    "course-v1:edX+DemoX+Demo_Course",
    "ccx-v1:edX+DemoX+Demo_Course+ccx@1",
    "course-v1:No+Such+Course",
]


def video_fixtures() -> list[dict]:
    names = set(TWINS) | set(TWINS.values()) | {"speed_change_video"}
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("name") in names:
            event.setdefault("event", event.get("data"))
            event.pop("data", None)
            out.append(event)
    return out


def main() -> None:
    lines = []
    for n, base in enumerate(video_fixtures()):
        for name in {base["name"], TWINS.get(base["name"], base["name"])}:
            for k, (user, course) in enumerate(zip(USERS, COURSES * 2, strict=False)):
                event = copy.deepcopy(base)
                event["name"] = name
                event["context"]["user_id"] = user if isinstance(user, int) else None
                event["context"]["course_id"] = course
                if not isinstance(user, int):
                    event["username"] = user
                if isinstance(event.get("event"), dict):
                    event["event"].pop("user_id", None)
                stamp = event.get("timestamp") or event.get("time")
                event["timestamp" if "timestamp" in event else "time"] = (
                    stamp[:-9] + f"{n:02d}{k}" + stamp[-6:]
                )
                if k % 2:
                    event["event"] = json.dumps(event["event"])
                text = json.dumps(event, ensure_ascii=k == 3)
                lines.append(PREFIX + text if (n + k) % 2 else text)
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
