"""Tracking log → ClickHouse (chDB), statements/s end to end, next to event-routing-backends.

Runs the real CLI as a process on a synthetic log (bench/logs.py: every ERB fixture event, many
learners, timestamps from a month ago so that Aspects' 1-year TTL keeps them):

- ``file``: transform only (NDJSON to a file), the ceiling for any destination;
- ``chdb raw``: into a bare ``xapi.xapi_events_all``; ``chdb raw re-run``: the same again (all
  already present: the cost of idempotence);
- ``chdb Aspects``: into a directory holding ../shared/aspects-schema (every view and table);
- ``ERB``: the oracle (event-routing-backends itself) on a slice, measured in the same run;
- the bulk formats, in-process on 20,000 statements into a bare table.

Usage: python bench/bench_clickhouse.py [--lines 60000] [--erb-lines 2000] [--no-formats]
Timings on a shared 2-core machine are noisy (±30 % between runs is common).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "bench")]

import logs  # noqa: E402

logging.getLogger("aspects_backfill").setLevel(logging.ERROR)  # in-process runs: figures only

ORACLE = ROOT.parent / "shared" / "erb-oracle" / "oracle"


def write_recent_log(path: Path, lines: int, learners: int = 1000) -> None:
    """bench/logs.py's log, with timestamps starting 30 days ago."""
    base = logs.templates()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    with path.open("w") as fh:
        for i in range(lines):
            event = copy.deepcopy(base[i % len(base)])
            uid = 1 + (i * 7919) % learners
            for holder in (event.get("context"), event.get("event")):
                if isinstance(holder, dict) and holder.get("user_id") not in (None, ""):
                    holder["user_id"] = uid
            ts = (start + dt.timedelta(milliseconds=i)).isoformat()
            event["timestamp" if "timestamp" in event else "time"] = ts
            fh.write(logs.PREFIX + json.dumps(event) + "\n")


def run_cli(work: Path, log: Path, dest: str, name: str) -> dict:
    summary = work / f"{name}.json"
    args = [
        sys.executable, "-m", "aspects_backfill", "xapi", "--quiet", "--to", dest,
        "--lms-root-url", "http://localhost:18000", "--actors", str(work / "actors.csv"),
        "--courses", str(work / "courses.csv"), "--summary-json", str(summary), str(log),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, env=env, cwd=work)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed: {done.stderr.decode()[-2000:]}")
    result = json.loads(summary.read_text())
    result["wall"] = wall
    return result


def load_schema(path: Path) -> None:
    from aspects_backfill.clickhouse import open_clickhouse
    from support.aspects_schema import load_aspects_schema

    ch = open_clickhouse(f"chdb:{path}")
    try:
        load_aspects_schema(ch.command)
    finally:
        ch.close()


def erb(work: Path, log: Path, lines: int) -> tuple[float, int]:
    if not ORACLE.exists():
        return 0.0, 0
    part = work / "erb-slice.log"
    with log.open() as src, part.open("w") as dst:
        for _, line in zip(range(lines), src, strict=False):
            dst.write(line)
    args = [
        str(ORACLE),
        "--users",
        str(work / "actors.csv"),
        "--courses",
        str(work / "courses.csv"),
        str(part),
    ]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True)
    wall = time.perf_counter() - started
    statements = sum(len(json.loads(x).get("statements") or []) for x in done.stdout.splitlines())
    return wall, statements


def read_records(statements_file: Path, count: int | None = None) -> list:
    import orjson

    from aspects_backfill.sinks.base import Record

    recs = []
    with statements_file.open("rb") as fh:
        for n, line in enumerate(fh):
            if count is not None and n >= count:
                break
            s = orjson.loads(line)
            recs.append(Record(s["id"], s["timestamp"], line.rstrip(b"\n"), "bench", n))
    return recs


def sink_only(dest: str, recs: list) -> tuple[float, int]:
    """Seconds for the sink alone (open, batches as the pipeline sends them, close), in-process."""
    from aspects_backfill.sinks.clickhouse import ClickHouseSink

    started = time.perf_counter()
    sink = ClickHouseSink(dest)
    written = 0
    try:
        for start in range(0, len(recs), sink.batch_rows):
            written += sink.write(recs[start : start + sink.batch_rows]).written
    finally:
        sink.close()
    return time.perf_counter() - started, written


def formats(work: Path, statements_file: Path, count: int = 20_000) -> list[tuple[str, float]]:
    """Seconds to insert ``count`` statements into a bare table, per bulk format (in-process)."""
    import orjson

    from aspects_backfill.clickhouse import open_clickhouse
    from aspects_backfill.clickhouse.rows import Row, encode

    recs = read_records(statements_file, count)
    ch = open_clickhouse(f"chdb:{work / 'formats'}")
    cols = ["event_id", "emission_time", "event"]
    out = []
    try:
        ch.command("CREATE DATABASE IF NOT EXISTS xapi")

        def table(name: str) -> str:
            ch.command(
                f"CREATE TABLE xapi.{name} (event_id UUID, emission_time DateTime64(6), event String) "
                "ENGINE = ReplacingMergeTree ORDER BY (emission_time, event_id)"
            )
            return f"xapi.{name}"

        def tsv() -> None:
            rows = [Row(r) for r in recs]
            ch.client.raw_insert(
                table("tsv"), cols, insert_block=encode(rows), fmt="TabSeparated",
                settings={"date_time_input_format": "best_effort"},
            )  # fmt: skip

        def rowbinary() -> None:
            buf = bytearray()
            for r in recs:
                row = Row(r)
                u = uuid.UUID(row.id).int
                t = dt.datetime.fromisoformat(row.time + "+00:00")
                buf += struct.pack(
                    "<QQq", u >> 64, u & (2**64 - 1), int(t.timestamp()) * 10**6 + t.microsecond
                )
                n = len(r.body)
                while n >= 0x80:
                    buf.append((n & 0x7F) | 0x80)
                    n >>= 7
                buf.append(n)
                buf += r.body
            ch.client.raw_insert(table("rowbinary"), cols, insert_block=bytes(buf), fmt="RowBinary")

        def native() -> None:
            rows = [
                [r.statement_id, dt.datetime.fromisoformat(Row(r).time + "+00:00"), r.body.decode()]
                for r in recs
            ]
            ch.client.insert(table("native"), rows, column_names=cols)

        def json_each_row() -> None:
            body = b"\n".join(
                orjson.dumps(
                    {"event_id": r.statement_id, "emission_time": Row(r).time, "event": r.body.decode()}
                )
                for r in recs
            )
            ch.client.raw_insert(table("jsoneachrow"), None, insert_block=body, fmt="JSONEachRow")

        for name, fn in (
            ("TabSeparated (chosen)", tsv),
            ("RowBinary", rowbinary),
            ("Native via insert()", native),
            ("JSONEachRow", json_each_row),
        ):
            started = time.perf_counter()
            fn()
            out.append((name, time.perf_counter() - started))
    finally:
        ch.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--erb-lines", type=int, default=2_000)
    parser.add_argument("--no-formats", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ch-") as tmp:
        work = Path(tmp)
        logs.write_lookups(work, 1000)
        log = work / "tracking.log"
        write_recent_log(log, args.lines)
        print(f"input: {args.lines:,} lines, {log.stat().st_size / 1e6:.1f} MB (2 cores, shared: noisy)")
        rows = [("file (transform only)", run_cli(work, log, f"file:{work / 'out.ndjson'}", "file"))]
        rows.append(("chdb raw table", run_cli(work, log, f"chdb:{work / 'raw'}", "raw")))
        rows.append(("chdb raw re-run", run_cli(work, log, f"chdb:{work / 'raw'}", "rerun")))
        load_schema(work / "aspects")
        rows.append(("chdb Aspects schema", run_cli(work, log, f"chdb:{work / 'aspects'}", "aspects")))
        print(f"{'run':24} {'wall s':>7} {'statements':>11} {'written':>9} {'present':>9} {'stmts/s':>9}")
        for name, r in rows:
            made = r["statements_made"]
            print(
                f"{name:24} {r['wall']:7.2f} {made:11,} {r['statements_written']:9,} "
                f"{r['statements_already_present']:9,} {made / r['wall']:9,.0f}"
            )
        recs = read_records(work / "out.ndjson")
        print(f"ClickHouse sink alone, in-process, {len(recs):,} statements (the file run's output):")
        load_schema(work / "aspects-sink")
        for name, dest in (("raw table", work / "raw-sink"), ("Aspects schema", work / "aspects-sink")):
            seconds, written = sink_only(f"chdb:{dest}", recs)
            print(f"  {name:22} {seconds:6.2f} s {written / seconds:9,.0f} statements/s")
        wall, made = erb(work, log, args.erb_lines)
        if made:
            print(
                f"{'ERB (oracle), ' + str(args.erb_lines) + ' lines':24} {wall:7.2f} {made:11,} {'':9} {'':9} {made / wall:9,.0f}"
            )
        else:
            print("ERB: oracle not found, no figure")
        if not args.no_formats:
            print("bulk formats, 20,000 statements into a bare table (in-process, incl. encoding):")
            for name, seconds in formats(work, work / "out.ndjson"):
                print(f"  {name:24} {seconds:6.3f} s {20_000 / seconds:9,.0f} rows/s")


if __name__ == "__main__":
    main()
