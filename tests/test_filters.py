"""--since / --until / --events select events by time and name; --dry-run transforms and validates
everything, writes nothing and prints the full summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from logdata import lookup_args, video_log

SRC = Path(__file__).parent.parent / "src"


def xapi(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "aspects_backfill", "xapi", *args, "--quiet", *lookup_args()]
    env = dict(os.environ, PYTHONPATH=str(SRC), COLUMNS="200")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_since_until_and_events(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    log.write_bytes(video_log(0, 5000))  # event n at 2024-01-01T00:00:00 + n ms
    out = tmp_path / "o.jsonl"
    summary = tmp_path / "s.json"
    run = xapi(
        str(log),
        "--to",
        f"file:{out}",
        "--since",
        "2024-01-01T00:00:01",
        "--until",
        "2024-01-01T00:00:03.5+00:00",
        "--summary-json",
        str(summary),
    )
    assert run.returncode == 0, run.stderr
    stamps = [json.loads(line)["timestamp"] for line in out.read_text().splitlines()]
    assert len(stamps) == 2500
    assert min(stamps) == "2024-01-01T00:00:01+00:00" and max(stamps) == "2024-01-01T00:00:03.499000+00:00"
    counts = json.loads(summary.read_text())
    assert counts["skipped"] == {"at or after --until": 1500, "before --since": 1000}

    only = tmp_path / "only.jsonl"
    assert xapi(str(log), "--to", f"file:{only}", "--events", "play_video,pause_video").returncode == 0
    verbs = {json.loads(line)["verb"]["id"].rsplit("/", 1)[1] for line in only.read_text().splitlines()}
    assert verbs == {"played", "paused"}

    bad = xapi(str(log), "--since", "yesterday")
    assert bad.returncode == 2 and "--since: not an ISO 8601" in bad.stderr


def test_dry_run_transforms_validates_and_writes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    log.write_bytes(video_log(0, 900) + b"not json\n")
    out = tmp_path / "o.jsonl"
    summary = tmp_path / "s.json"
    run = xapi(str(log), "--to", f"file:{out}", "--dry-run", "--summary-json", str(summary))
    assert run.returncode == 0, run.stderr
    assert not out.exists() and not list(tmp_path.glob("*backfill-state*"))
    counts = json.loads(summary.read_text())
    assert (
        counts["lines_read"] == 901 and counts["statements_made"] == 900 and counts["statements_written"] == 0
    )
    assert counts["rejected"] == {"unparsable": 1}
    assert "statements by event" in run.stderr and "rejected by reason" in run.stderr
