"""Values orjson cannot write (lone surrogates, integers beyond 64 bits) come from real log lines
through the transform into statements; the run writes them as ERB's JSON does and goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
CONTEXT = {
    "course_id": "course-v1:edX+DemoX+Demo_Course",
    "user_id": 3,
    "session": "s1",
    "referer": "http://localhost:18000/x",
}


def _problem_check(answer: str) -> dict:
    submission = {
        "q_2_1": {"question": "Q?", "answer": answer, "response_type": "stringresponse", "correct": True}
    }
    event = {"problem_id": "block-v1:edX+DemoX+Demo_Course+type@problem+block@p1", "grade": 1, "max_grade": 1}
    event["submission"] = submission
    return {"name": "problem_check", "timestamp": "2024-01-01T00:00:00Z", "context": CONTEXT, "event": event}


def _exam(limit: int) -> dict:
    event = {"exam_content_id": "block-v1:edX+DemoX+Demo_Course+type@sequential+block@s", "exam_name": "E"}
    event.update({"exam_default_time_limit_mins": limit, "attempt_code": "A1"})
    name = "edx.special_exam.timed.attempt.created"
    return {"name": name, "timestamp": "2024-01-01T00:00:01Z", "context": CONTEXT, "event": event}


def test_lone_surrogates_and_huge_integers_are_written(tmp_path) -> None:
    log, out, summary = tmp_path / "t.log", tmp_path / "out.ndjson", tmp_path / "summary.json"
    lines = [json.dumps(_problem_check("bad \ud800 text")), json.dumps(_exam(2**70)), json.dumps(_exam(5))]
    log.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "LMS_ROOT_URL"}
    env["PYTHONPATH"] = str(ROOT / "src")
    args = [
        "xapi",
        str(log),
        "--lms-root-url",
        "http://localhost:18000",
        "--actors",
        str(GOLDEN / "users.csv"),
    ]
    args += ["--courses", str(GOLDEN / "courses.csv"), "--to", f"file:{out}", "--summary-json", str(summary)]
    proc = subprocess.run([sys.executable, "-m", "aspects_backfill", *args], capture_output=True, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(summary.read_text())["statements_written"] == 3
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert written[0]["result"]["response"] == "bad \ud800 text"
    limit = "https://w3id.org/xapi/acrossx/extensions/time-limit"
    assert [s["object"]["definition"]["extensions"][limit] for s in written[1:]] == [2**70, 5]
