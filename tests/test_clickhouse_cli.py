"""``aspects-backfill xapi`` into ClickHouse, ``init`` and ``query``, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.aspects_schema import EVENT_TABLES
from support.chtest import (
    aspects_dir,
    chdb,
    distinct,
    insert_directly,
    raw_counts,
    require_aspects_schema,
    table_contents,
)

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
SRC = TESTS.parent / "src"


def _cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aspects_backfill", *args],
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=300,
    )


def _xapi(inputs: list[Path], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = [
        "xapi",
        "--lms-root-url",
        "http://localhost:18000",
        "--transformer-version",
        "event-routing-backends@1.1.1",
        "--actors",
        str(GOLDEN / "users.csv"),
        "--courses",
        str(GOLDEN / "courses.csv"),
        "--quiet",
    ]
    return _cli(*base, *args, *map(str, inputs), cwd=cwd)


def _expected(path: Path) -> list[dict]:
    out = []
    for line in path.read_bytes().splitlines():
        out.extend(json.loads(line).get("statements") or [])
    return out


def test_default_destination_is_embedded_and_query_prints_tsv(tmp_path) -> None:
    log = GOLDEN / "inputs" / "video-fixtures.log"
    done = _xapi([log], cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "aspects-data").is_dir()
    unique = distinct(_expected(GOLDEN / "expected" / "video-fixtures.jsonl"))
    out = _cli("query", "SELECT count(), uniqExact(event_id) FROM xapi.xapi_events_all", cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == f"{len(unique)}\t{len(unique)}\n".encode()
    out = _cli("query", "--format", "JSONEachRow", "SELECT 1 AS x", cwd=tmp_path)
    assert out.stdout == b'{"x":1}\n'
    bad = _cli("query", "SELECT nope", cwd=tmp_path)
    assert bad.returncode == 1 and b"query failed" in bad.stderr
    missing = _cli("query", "--to", f"chdb:{tmp_path / 'nothing'}", "SELECT 1")
    assert missing.returncode == 2 and b"no embedded ClickHouse data" in missing.stderr
    assert not (tmp_path / "nothing").exists()


def test_stdout_destination_is_explicit(tmp_path) -> None:
    done = _xapi([GOLDEN / "inputs" / "video-fixtures.log"], "--to", "-", cwd=tmp_path)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == len(_expected(GOLDEN / "expected" / "video-fixtures.jsonl"))
    assert not (tmp_path / "aspects-data").exists()


def test_golden_inputs_fill_aspects_like_the_oracle_and_reruns_change_nothing(tmp_path) -> None:
    """Every golden input through the tool vs the oracle's statements inserted directly.

    Completeness of the transform is test_golden's job: the reference is the oracle's statements
    for the ids the tool made (all of which must be the oracle's), so a family not written yet
    does not fail this destination test."""
    require_aspects_schema()
    inputs = sorted((GOLDEN / "inputs").glob("*.log"))
    groups = [
        ([p for p in inputs if "all-events" not in p.stem], []),
        ([p for p in inputs if "all-events" in p.stem], ["--all-events"]),
    ]
    ours = aspects_dir(tmp_path / "ours")
    made: list[dict] = []
    expected: list[dict] = []
    refused: set[str] = set()
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for round_ in (1, 2):
        for n, (logs, flags) in enumerate(g for g in groups if g[0]):
            summary, rejects = tmp_path / f"s{round_}-{n}.json", tmp_path / f"r{round_}-{n}.jsonl"
            done = _xapi(
                logs,
                *flags,
                *(["--restart"] if round_ == 2 else []),  # send it all again: the run state would skip it
                "--to",
                f"chdb:{ours}",
                "--summary-json",
                str(summary),
                "--rejects",
                str(rejects),
            )
            assert done.returncode == 0, done.stderr.decode()
            runs[round_].append(json.loads(summary.read_text()))
            if round_ == 1:
                out = tmp_path / f"{n}.ndjson"
                assert _xapi(logs, *flags, "--to", f"file:{out}").returncode == 0
                made += [json.loads(x) for x in out.read_bytes().splitlines()]
                for log in logs:
                    expected += _expected(GOLDEN / "expected" / f"{log.stem}.jsonl")
                for line in rejects.read_text().splitlines():
                    entry = json.loads(line)
                    if entry["reason"].startswith("destination:"):
                        refused.add(json.loads(entry["line"])["id"])
        if round_ == 1:
            with chdb(ours) as ch:
                loaded = table_contents(ch)
    made_ids = {s["id"] for s in made}
    assert made_ids <= {s["id"] for s in expected}, "the tool made statements the oracle did not"
    accepted = [s for s in distinct(expected) if s["id"] in made_ids and s["id"] not in refused]

    def total(round_: int, key: str) -> int:
        return sum(r[key] if isinstance(r[key], int) else sum(r[key].values()) for r in runs[round_])

    assert total(1, "statements_written") == len(accepted)
    assert total(2, "statements_written") == 0
    assert total(2, "statements_rejected") == total(1, "statements_rejected")
    assert total(2, "statements_already_present") + total(2, "statements_rejected") == len(made)

    reference = aspects_dir(tmp_path / "reference")
    with chdb(reference) as ch:
        insert_directly(ch, accepted)
        want = table_contents(ch)
    with chdb(ours) as ch:
        assert table_contents(ch) == loaded
        assert raw_counts(ch) == (len(accepted), len(accepted))
    for table in EVENT_TABLES:
        assert loaded[table] == want[table], table
    assert want["xapi.video_playback_events"], "nothing compared"


def test_init_creates_what_is_missing_once(tmp_path) -> None:
    first = _cli("init", "--to", f"chdb:{tmp_path}")
    assert first.returncode == 0, first.stderr.decode()
    assert b"xapi.xapi_events_all" in first.stdout and b"event_sink.course_blocks" in first.stdout
    again = _cli("init", "--to", f"chdb:{tmp_path}")
    assert b"nothing to create" in again.stdout
    vector = _cli("init", "--to", f"chdb:{tmp_path}", "--xapi-table", "openedx.xapi_events_all")
    assert b"created" in vector.stdout and b"openedx.xapi_events_all" in vector.stdout


def test_a_directory_in_use_is_named_with_what_to_do(tmp_path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[2]);"
            "from aspects_backfill.clickhouse import open_clickhouse;"
            "ch = open_clickhouse('chdb:' + sys.argv[1]); print('ready', flush=True); time.sleep(60)",
            str(tmp_path),
            str(SRC),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
        started = time.monotonic()
        done = _cli("query", "--to", f"chdb:{tmp_path}", "SELECT 1")
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1
    message = done.stderr.decode()
    assert str(tmp_path) in message and "in use by another process" in message and "--to chdb:" in message


@pytest.mark.parametrize("table", ["xapi", "a.b.c", "x;drop"])
def test_bad_xapi_table_is_a_usage_error(tmp_path, table) -> None:
    done = _xapi(
        [GOLDEN / "inputs" / "video-fixtures.log"], "--to", f"chdb:{tmp_path}", "--xapi-table", table
    )
    assert done.returncode == 2 and b"--xapi-table" in done.stderr


def test_old_events_are_noted_in_the_summary_and_strict_stops(tmp_path) -> None:
    """The fixtures are from 2020: past the 1-year TTL of a real Aspects schema."""
    require_aspects_schema()
    db = aspects_dir(tmp_path / "db", without_ttl=False)
    log = GOLDEN / "inputs" / "video-fixtures.log"
    strict = _xapi([log], "--to", f"chdb:{db}", "--strict")
    assert strict.returncode == 1
    assert b"older than the TTL" in strict.stderr and b"none of this batch" in strict.stderr
    with chdb(db) as ch:
        assert raw_counts(ch) == (0, 0)
    summary = tmp_path / "summary.json"
    done = _xapi([log], "--to", f"chdb:{db}", "--summary-json", str(summary))
    assert done.returncode == 0, done.stderr.decode()
    notes = json.loads(summary.read_text())["notes"]
    assert any("older than the TTL" in n for n in notes)
    assert any("course_blocks" in n for n in notes)  # no course data loaded in this directory
