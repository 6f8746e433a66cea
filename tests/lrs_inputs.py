"""Test inputs for the LRS destination: the golden video lines, copied with shifted timestamps.

A shift makes new statement ids (ERB's id recipe hashes actor, verb and timestamp), so each
test gets statements no other test sends to the shared Ralph, and as many as it needs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from aspects_backfill.sinks.base import Record
from aspects_backfill.xapi_command import XapiArgs, run_xapi

GOLDEN = Path(__file__).parent / "golden"
VIDEO_LOG = GOLDEN / "inputs" / "video-fixtures.log"


def shifted_log(path: Path, copies: int, start_days: int) -> Path:
    """``copies`` copies of the golden video lines, copy k moved by ``start_days`` days + k seconds."""
    lines = [json.loads(x) for x in VIDEO_LOG.read_text().splitlines() if x.strip()]
    with path.open("w") as out:
        for k in range(copies):
            for event in lines:
                moved = dict(event)
                when = datetime.fromisoformat(event["timestamp"]) + timedelta(days=start_days, seconds=k)
                moved["timestamp"] = when.isoformat()
                out.write(json.dumps(moved) + "\n")
    return path


def xapi_args(log: Path, tmp: Path, dests: list[str], **kw) -> XapiArgs:
    return XapiArgs(
        sources=[str(log)],
        dest=dests[0],
        dests=dests,
        lms_root_url="http://localhost:18000",
        actors_path=str(GOLDEN / "users.csv"),
        courses_path=str(GOLDEN / "courses.csv"),
        summary_path=str(tmp / "summary.json"),
        rejects_path=str(tmp / "rejects.jsonl"),
        quiet=True,
        **kw,
    )


def file_output(log: Path, tmp: Path) -> list[Record]:
    """What the file destination writes for ``log``: the reference the LRS contents are compared with."""
    ref = tmp / "reference"
    ref.mkdir(exist_ok=True)
    out = ref / "file-output.jsonl"
    run_xapi(xapi_args(log, ref, [f"file:{out}"]))
    bodies = out.read_bytes().splitlines()
    return [Record(json.loads(b)["id"], json.loads(b)["timestamp"], b, str(log), 0) for b in bodies]


def summary(tmp: Path) -> dict:
    return json.loads((tmp / "summary.json").read_text())


def rejects(tmp: Path) -> list[dict]:
    path = tmp / "rejects.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def later_conflicts(records: list[Record]) -> list[Record]:
    """Statements whose id an earlier statement already has, with other content."""
    first: dict[str, bytes] = {}
    found = []
    for r in records:
        if r.statement_id in first and first[r.statement_id] != r.body:
            found.append(r)
        first.setdefault(r.statement_id, r.body)
    return found
