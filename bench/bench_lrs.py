"""Statements/s delivered to a real Ralph LRS (file store): the LRS sink at its defaults next to a
plain sequential POST loop (the method of the research figures), each on a fresh, empty store.

    python bench/bench_lrs.py [--statements 10000] [--ralph ../shared/ralph-lrs/ralph-lrs]

Ralph's file store re-reads itself on every POST (duplicate check), so rates fall as it fills;
every case starts empty and sends the same statements. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson

from aspects_backfill.identities import load_actors_csv, load_courses_csv
from aspects_backfill.pipeline import RunOptions, to_records, transform_line
from aspects_backfill.sinks.base import Record
from aspects_backfill.sinks.lrs import DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, LrsOptions, LrsSink
from aspects_backfill.transform import Context

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
AUTH = ("backfill", "backfill-secret")


def make_records(count: int) -> list[Record]:
    """``count`` distinct statements: the golden video lines with timestamps moved one second per copy."""
    ctx = Context(
        lms_root_url="http://localhost:18000",
        transformer_version="bench",
        actors=load_actors_csv(str(GOLDEN / "users.csv")),
        courses=load_courses_csv(str(GOLDEN / "courses.csv")),
    )
    events = [json.loads(x) for x in (GOLDEN / "inputs" / "video-fixtures.log").read_text().splitlines()]
    records: dict[str, Record] = {}
    copy = 0
    while len(records) < count:
        for event in events:
            moved = dict(
                event,
                timestamp=(datetime.fromisoformat(event["timestamp"]) + timedelta(seconds=copy)).isoformat(),
            )
            _, statements = transform_line(orjson.dumps(moved), ctx, RunOptions())
            for r in to_records(statements, "bench", copy):
                records.setdefault(r.statement_id, r)  # one statement per id: no conflicts in the bench
        copy += 1
    return list(records.values())[:count]


class FreshRalph:
    def __init__(self, script: Path) -> None:
        self.script = script
        self.dir = Path(tempfile.mkdtemp(prefix="bench-ralph-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}/xAPI/"

    def __enter__(self) -> FreshRalph:
        subprocess.run(
            [str(self.script), "start", str(self.dir), str(self.port)], check=True, capture_output=True
        )
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run([str(self.script), "stop", str(self.dir)], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def stored(self) -> int:
        path = self.dir / "data" / "fs_lrs.jsonl"
        return sum(1 for _ in path.open()) if path.exists() else 0


def plain_loop(records: list[Record], base: str, batch: int) -> float:
    with httpx.Client(auth=AUTH, headers={"X-Experience-API-Version": "1.0.3"}) as client:
        started = time.perf_counter()
        for i in range(0, len(records), batch):
            body = b"[" + b",".join(r.body for r in records[i : i + batch]) + b"]"
            client.post(
                base + "statements", content=body, headers={"Content-Type": "application/json"}
            ).raise_for_status()
        return time.perf_counter() - started


def sink_run(records: list[Record], base: str, batch: int | None, concurrency: int) -> float:
    sink = LrsSink(
        f"lrs+{base}",
        LrsOptions(batch_size=batch, concurrency=concurrency, username=AUTH[0], password=AUTH[1]),
    )
    started = time.perf_counter()
    try:
        for i in range(0, len(records), sink.batch_rows):
            sink.write(records[i : i + sink.batch_rows])
        sink.commit()
    finally:
        sink.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--ralph", type=Path, default=ROOT.parent / "shared" / "ralph-lrs" / "ralph-lrs")
    args = parser.parse_args()
    records = make_records(args.statements)
    size = sum(len(r.body) for r in records) / len(records)
    print(
        f"{len(records):,} statements, {size:.0f} B each on average; Ralph 5.1.0, file store, one uvicorn worker"
    )
    cases = [
        ("plain loop, batch 100 (research method)", lambda b: plain_loop(records, b, 100)),
        ("plain loop, batch 500", lambda b: plain_loop(records, b, 500)),
        ("LRS sink, batch 100, 1 in flight", lambda b: sink_run(records, b, 100, 1)),
        ("LRS sink, batch 500, 1 in flight", lambda b: sink_run(records, b, 500, 1)),
        (
            f"LRS sink, defaults (batch {DEFAULT_BATCH_SIZE}, {DEFAULT_CONCURRENCY} in flight)",
            lambda b: sink_run(records, b, None, DEFAULT_CONCURRENCY),
        ),
    ]
    print(f"{'case':<48} {'seconds':>8} {'statements/s':>13} {'stored':>7}")
    for title, run in cases:
        with FreshRalph(args.ralph) as ralph:
            seconds = run(ralph.base)
            print(f"{title:<48} {seconds:>8.2f} {len(records) / seconds:>13,.0f} {ralph.stored():>7,}")


if __name__ == "__main__":
    main()
