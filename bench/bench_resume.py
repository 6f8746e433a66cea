"""What resumability costs: one uninterrupted run into a file vs. the same run killed (SIGKILL)
three times and resumed, plus the run-state save time for big buckets.

    python bench/bench_resume.py [--lines 200000]

Prints seconds; on a shared 2-core machine expect ±30 % noise between runs.
"""

from __future__ import annotations

import argparse
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from aspects_backfill.state import FileStateStore, ObjectState, RunState  # noqa: E402
from logdata import lookup_args, video_log  # noqa: E402


def command(logs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "aspects_backfill", "xapi", str(logs), "--to", f"file:{out}", "--quiet"]


def timed_run(cmd: list[str], env: dict) -> float:
    started = time.monotonic()
    subprocess.run(cmd + lookup_args(), env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    n = parser.parse_args().lines
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        logs = t / "logs"
        logs.mkdir()
        (logs / "a.log").write_bytes(video_log(0, n // 2))
        (logs / "b.log.gz").write_bytes(gzip.compress(video_log(n // 2, n - n // 2), compresslevel=1))
        once = timed_run(command(logs, t / "once.jsonl"), env)
        out = t / "killed.jsonl"
        started = time.monotonic()
        for fraction in (0.25, 0.5, 0.75):
            proc = subprocess.Popen(command(logs, out) + lookup_args(), env=env, stderr=subprocess.DEVNULL)
            size = (t / "once.jsonl").stat().st_size
            while proc.poll() is None and (out.stat().st_size if out.exists() else 0) < fraction * size:
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        subprocess.run(command(logs, out) + lookup_args(), env=env, check=True, capture_output=True)
        killed = time.monotonic() - started
        same = (t / "once.jsonl").read_bytes() == out.read_bytes()
        print(
            f"{n:,} lines: one run {once:.1f} s; killed 3 times + resumed {killed:.1f} s; identical output: {same}"
        )
        for count in (100, 10_000, 30_000):
            state = RunState(
                "k",
                objects={
                    f"s3://b/tracking/{i:08d}.log.gz": ObjectState(10**8, "e" * 32, 10**6, None, True)
                    for i in range(count)
                },
            )
            store = FileStateStore(str(t / f"state-{count}.json"))
            started = time.monotonic()
            for _ in range(5):
                store.save(state)
            print(f"run-state save with {count:,} objects: {(time.monotonic() - started) / 5 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
