"""Every golden input line gives exactly what event-routing-backends gives (the oracle's output,
committed under tests/golden/expected): the same statements as JSON, or the same refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aspects_backfill.identities import load_actors_csv, load_courses_csv
from aspects_backfill.pipeline import RunOptions, transform_line
from aspects_backfill.transform import Context, Rejected, Skipped

GOLDEN = Path(__file__).parent / "golden"
INPUTS = sorted((GOLDEN / "inputs").glob("*.log"))


def _context() -> Context:
    return Context(
        lms_root_url="http://localhost:18000",
        transformer_version="event-routing-backends@1.1.1",
        actors=load_actors_csv(str(GOLDEN / "users.csv")),
        courses=load_courses_csv(str(GOLDEN / "courses.csv")),
    )


def _outcome(line: bytes, ctx: Context, opts: RunOptions) -> dict:
    try:
        _, statements = transform_line(line, ctx, opts)
    except Skipped as exc:
        return {"status": "skipped", "reason": exc.reason}
    except Rejected as exc:
        return {"status": "rejected", "reason": exc.reason}
    return {"status": "ok", "statements": statements}


def _text(statements: list) -> str:
    return json.dumps(statements, sort_keys=True, ensure_ascii=False)


def _expected_status(record: dict) -> str:
    return {"ok": "ok", "skipped": "skipped"}.get(record["status"], "rejected")


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_matches_oracle(path: Path) -> None:
    expected = [json.loads(x) for x in (GOLDEN / "expected" / f"{path.stem}.jsonl").read_text().splitlines()]
    by_line = {r["line"]: r for r in expected}
    ctx = _context()
    opts = RunOptions(all_events="all-events" in path.stem)
    compared = 0
    for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not line.strip():
            continue
        want = by_line[number]
        got = _outcome(line, ctx, opts)
        assert got["status"] == _expected_status(want), (number, want, got)
        if got["status"] == "ok":
            # as JSON text: == alone would take 1 for 1.0 and True for 1
            assert _text(got["statements"]) == _text(want["statements"]), f"{path.name}:{number}"
        compared += 1
    assert compared == len(expected) > 0


def test_every_input_has_a_golden() -> None:
    assert INPUTS, "no golden inputs"
    for path in INPUTS:
        assert (GOLDEN / "expected" / f"{path.stem}.jsonl").exists(), path.name
