"""Resumable runs: SIGKILL a backfill at several moments, run it again, and the destination (and
the reject file) must be byte-for-byte what one uninterrupted run writes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from logdata import lookup_args, video_log

SRC = Path(__file__).parent.parent / "src"


BAD = b"this line is not JSON\n"


def _command(sources: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "aspects_backfill",
        "xapi",
        str(sources),
        "--to",
        f"file:{out}",
        "--rejects",
        str(out) + ".rejects",
        "--quiet",
        *lookup_args(),
        *extra,
    ]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(SRC))


def run(sources: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(sources, out, *extra), env=_env(), capture_output=True, text=True, timeout=120, check=False
    )


def run_and_kill_when(sources: Path, out: Path, reached) -> None:
    """Start the backfill and SIGKILL it as soon as ``reached()`` is true (or it ends)."""
    proc = subprocess.Popen(
        _command(sources, out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while proc.poll() is None and not reached():
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def _logs(root: Path, plain: int, packed: int) -> Path:
    """Three objects: plain (with bad lines), gzip (resumed by skipping lines), plain."""
    root.mkdir()
    half = plain // 2
    (root / "a.log").write_bytes(video_log(0, half) + BAD + video_log(half, half) + BAD)
    (root / "b.log.gz").write_bytes(gzip.compress(video_log(plain, packed), compresslevel=1))
    (root / "c.log").write_bytes(BAD + video_log(plain + packed, half))
    return root


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.mark.parametrize("suffix, plain, packed", [(".jsonl", 90_000, 60_000), (".jsonl.gz", 20_000, 15_000)])
def test_sigkill_at_any_moment_then_resume_is_exactly_once(
    tmp_path: Path, suffix: str, plain: int, packed: int
) -> None:
    logs = _logs(tmp_path / "logs", plain, packed)
    total = plain + packed + plain // 2
    reference = tmp_path / f"reference{suffix}"
    assert run(logs, reference).returncode == 0
    ref_size = reference.stat().st_size

    out = tmp_path / f"out{suffix}"
    state = Path(str(out) + ".backfill-state.json")
    for fraction in (0.1, 0.35, 0.6, 0.85):  # in a, in the gzip object, in b again, in c
        run_and_kill_when(logs, out, lambda f=fraction: _size(out) >= f * ref_size)
        assert state.exists()
    kills = json.loads(state.read_text())
    assert not all(o["done"] for o in kills["objects"].values()) or len(kills["objects"]) < 3

    final = run(logs, out)
    assert final.returncode == 0, final.stderr
    got, want = _read(out), _read(reference)
    ids = [json.loads(line)["id"] for line in got.splitlines()]
    assert len(ids) == total and len(set(ids)) == total
    assert got == want
    assert Path(str(out) + ".rejects").read_bytes() == Path(str(reference) + ".rejects").read_bytes()
    assert len(Path(str(out) + ".rejects").read_bytes().splitlines()) == 3


def test_finished_objects_are_skipped_and_restart_starts_over(tmp_path: Path) -> None:
    logs = _logs(tmp_path / "logs", 2_000, 1_000)
    out = tmp_path / "out.jsonl"
    assert run(logs, out).returncode == 0
    first = out.read_bytes()
    again = run(logs, out)
    assert (
        again.returncode == 0 and "3 source object(s) finished by an earlier run were skipped" in again.stderr
    )
    assert out.read_bytes() == first
    restarted = run(logs, out, "--restart")
    assert restarted.returncode == 0 and "finished by an earlier run" not in restarted.stderr
    assert out.read_bytes() == first
    (logs / "c.log").write_bytes(video_log(0, 10))
    changed = run(logs, out)
    assert changed.returncode == 2 and "changed since the earlier run" in changed.stderr


def test_ctrl_c_stops_at_a_batch_boundary_and_says_how_to_resume(tmp_path: Path) -> None:
    logs = _logs(tmp_path / "logs", 60_000, 10_000)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        _command(logs, out, "--batch-size", "1000"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while proc.poll() is None and _size(out) < 5_000_000:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Run the same command again to resume" in err
    committed = json.loads(Path(str(out) + ".backfill-state.json").read_text())
    assert out.stat().st_size == committed["sink_mark"]["bytes"]  # stopped exactly at a commit
    lines_done = sum(o["lines"] for o in committed["objects"].values())
    assert 0 < lines_done < 75_000
    assert run(logs, out).returncode == 0
    reference = tmp_path / "reference.jsonl"
    assert run(logs, reference).returncode == 0
    assert out.read_bytes() == reference.read_bytes()
