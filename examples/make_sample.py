"""Writes the quick start's sample: a small tracking log of three learners in the Open edX demo
course (course-v1:OpenedX+DemoX+DemoCourse), with the actors and courses CSVs it needs.

The events have the shapes the LMS logs (server events with ``event`` as an object, browser
events with ``event`` as a JSON string, the logger's syslog prefix on some lines) and include
a few lines that cannot be used, so the summary shows rejects too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE = "course-v1:OpenedX+DemoX+DemoCourse"
BLOCK = "block-v1:OpenedX+DemoX+DemoCourse+type@{}+block@{}"
VIDEO = "078de40d92a54047b951a2e7a8e2a348"
PROBLEM = "0135258373e648f2b57a80ae06bade61"
SEQUENCE = "0d127d7942ec4be7a464eabafb286d02"
LEARNERS = [
    (11, "amina", "5b0a6f1e-3c2d-4e8f-9a71-2d4c6b8e0f13"),
    (12, "bruno", "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"),
    (13, "chen_li", "e2f4a6b8-c0d2-4e46-8a8c-0e2f4a6b8c0d"),
]
PREFIX = "2024-03-0{d} 09:{m:02d}:00,000 INFO 7 [tracking] [user {u}] [ip 10.0.0.{u}] logger.py:41 - "


def server(name: str, uid: int, username: str, when: dt.datetime, data: dict, page: str = "x_module") -> dict:
    return {
        "name": name,
        "event_type": name,
        "event_source": "server",
        "username": username,
        "time": when.isoformat(),
        "ip": "10.0.0.1",
        "agent": "Mozilla/5.0",
        "host": "lms.example.com",
        "page": None,
        "session": f"sess{uid:04d}",
        "accept_language": "en",
        "referer": f"https://lms.example.com/courses/{COURSE}/courseware/",
        "context": {"course_id": COURSE, "org_id": "OpenedX", "user_id": uid, "path": f"/event/{page}"},
        "event": data,
    }


def browser(name: str, uid: int, username: str, when: dt.datetime, data: dict) -> dict:
    event = server(name, uid, username, when, {}, "browser")
    event["event_source"] = "browser"
    event["event"] = json.dumps(data)
    event["page"] = f"https://lms.example.com/courses/{COURSE}/courseware/"
    return event


def events() -> list[str]:
    out: list[str] = []
    start = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)
    for n, (uid, username, _) in enumerate(LEARNERS):
        t = start + dt.timedelta(days=n, microseconds=123456 * (n + 1))

        def at(minutes: int, t: dt.datetime = t) -> dt.datetime:
            return t + dt.timedelta(minutes=minutes)

        items = [
            server(
                "edx.course.enrollment.activated",
                uid,
                username,
                at(0),
                {"course_id": COURSE, "user_id": uid, "mode": "audit"},
            ),
            browser(
                "edx.ui.lms.outline.selected",
                uid,
                username,
                at(1),
                {
                    "current_url": f"https://lms.example.com/courses/{COURSE}/course/",
                    "target_name": "Introduction",
                    "target_url": f"https://lms.example.com/courses/{COURSE}/jump_to/"
                    + BLOCK.format("sequential", SEQUENCE),
                    "widget_placement": "primary",
                },
            ),
            browser(
                "load_video", uid, username, at(2), {"id": VIDEO, "code": "AOUEsgFrYeg", "duration": 78.0}
            ),
            browser(
                "play_video",
                uid,
                username,
                at(3),
                {"id": VIDEO, "code": "AOUEsgFrYeg", "currentTime": 0.5, "duration": 78.0},
            ),
            browser(
                "pause_video",
                uid,
                username,
                at(4),
                {"id": VIDEO, "code": "AOUEsgFrYeg", "currentTime": 41.25 + n, "duration": 78.0},
            ),
            browser(
                "seek_video",
                uid,
                username,
                at(5),
                {
                    "id": VIDEO,
                    "code": "AOUEsgFrYeg",
                    "old_time": 41.25,
                    "new_time": 12.0,
                    "type": "onSlideSeek",
                    "duration": 78.0,
                },
            ),
            browser(
                "complete_video", uid, username, at(6), {"id": VIDEO, "code": "AOUEsgFrYeg", "duration": 78.0}
            ),
            browser(
                "edx.ui.lms.sequence.next_selected",
                uid,
                username,
                at(7),
                {
                    "id": BLOCK.format("sequential", SEQUENCE),
                    "current_tab": 1,
                    "tab_count": 3,
                    "target_tab": 2,
                    "widget_placement": "bottom",
                },
            ),
            server(
                "problem_check",
                uid,
                username,
                at(8),
                {
                    "problem_id": BLOCK.format("problem", PROBLEM),
                    "attempts": 1,
                    "grade": n % 2,
                    "max_grade": 1,
                    "success": "correct" if n % 2 else "incorrect",
                    "answers": {f"{PROBLEM}_2_1": "choice_1"},
                    "correct_map": {},
                    "state": {},
                    "submission": {
                        f"{PROBLEM}_2_1": {
                            "question": "Which of these is an Open edX tool?",
                            "answer": "Studio",
                            "response_type": "multiplechoiceresponse",
                            "input_type": "choicegroup",
                            "correct": bool(n % 2),
                            "variant": "",
                            "group_label": "",
                        }
                    },
                },
            ),
            server(
                "edx.grades.subsection.grade_calculated",
                uid,
                username,
                at(9),
                {
                    "user_id": str(uid),
                    "course_id": COURSE,
                    "block_id": BLOCK.format("sequential", SEQUENCE),
                    "weighted_total_earned": float(n % 2),
                    "weighted_total_possible": 1.0,
                    "weighted_graded_earned": float(n % 2),
                    "weighted_graded_possible": 1.0,
                    "first_attempted": at(8).isoformat(),
                    "visible_blocks_hash": "abc=",
                    "event_transaction_id": f"txn-{uid}",
                    "event_transaction_type": "edx.grades.problem.submitted",
                },
            ),
        ]
        for k, item in enumerate(items):
            line = json.dumps(item)
            out.append(PREFIX.format(d=4 + n, m=k, u=uid) + line if k % 3 == 0 else line)
    # lines a real log also holds, which the summary reports
    out.append(
        '2024-03-07 10:00:00,000 INFO 7 [tracking] [user 99] logger.py:41 - {"name": "play_video", "broken'
    )
    out.append(json.dumps(server("play_video", 99, "ghost", start, {"id": VIDEO, "currentTime": 1.0})))
    out.append(json.dumps(server("edx.bi.user.account.registered", 11, "amina", start, {})))
    return out


def main() -> None:
    (HERE / "tracking.log").write_text("\n".join(events()) + "\n")
    (HERE / "actors.csv").write_text(
        "user_id,username,external_user_id\n" + "".join(f"{u},{n},{x}\n" for u, n, x in LEARNERS)
    )
    (HERE / "courses.csv").write_text(f"course_key,display_name\n{COURSE},Open edX Demo Course\n")


if __name__ == "__main__":
    main()
