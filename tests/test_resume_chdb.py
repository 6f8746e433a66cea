"""Resumable runs into chDB: SIGKILL a backfill at several moments, run it again; the table holds
exactly what one uninterrupted run loads (row count, distinct ids, content)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from logdata import lookup_args, video_log

SRC = Path(__file__).parent.parent / "src"
TABLE = "xapi.xapi_events_all"


def _command(logs: Path, db: Path) -> list[str]:
    cmd = [sys.executable, "-m", "aspects_backfill", "xapi", str(logs), "--to", f"chdb:{db}", "--quiet"]
    return cmd + lookup_args()


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(SRC))


def _table(db: Path) -> tuple[int, int, int]:
    """(rows, distinct ids, a content checksum) of the xAPI table, read in a child process."""
    sql = f"SELECT count(), uniqExact(event_id), sum(cityHash64(event_id, event)) FROM {TABLE}"
    code = f"import chdb.session as s; print(s.Session({str(db)!r}).query({sql!r}, 'TSV'))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    rows, ids, checksum = out.stdout.split()
    return int(rows), int(ids), int(checksum)


def _committed_lines(db: Path) -> int:
    total = 0
    for state in Path(f"{db}.backfill-state").glob("*.json"):
        with contextlib.suppress(ValueError, KeyError):  # being replaced right now
            total += sum(o["lines"] for o in json.loads(state.read_text())["objects"].values())
    return total


def test_sigkill_then_resume_into_chdb_equals_one_run(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(video_log(0, 120_000))
    (logs / "b.log.gz").write_bytes(gzip.compress(video_log(120_000, 80_000), compresslevel=1))
    reference = tmp_path / "reference"
    assert (
        subprocess.run(_command(logs, reference), env=_env(), capture_output=True, timeout=300).returncode
        == 0
    )
    want = _table(reference)
    assert want[0] == want[1] == 200_000

    db = tmp_path / "db"
    for lines in (30_000, 100_000, 150_000):  # in the plain object, then in the gzip one
        proc = subprocess.Popen(
            _command(logs, db), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while proc.poll() is None and _committed_lines(db) < lines:
            time.sleep(0.05)
        time.sleep(0.3)  # somewhere inside the next batch
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    final = subprocess.run(_command(logs, db), env=_env(), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert _table(db) == want
