"""``--workers``: worker processes give exactly what the in-process path gives, in the same order,
read ahead only a bounded amount, and never outlive or hang the run."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aspects_backfill import parallel, reader
from aspects_backfill.identities import load_actors_csv, load_courses_csv
from aspects_backfill.outcomes import OK, InProcess, merge_runs
from aspects_backfill.parallel import WorkerFailed, WorkerPool, available_cpus, open_engine
from aspects_backfill.pipeline import Runner, RunOptions
from aspects_backfill.rejects import RejectWriter
from aspects_backfill.sinks.base import Record, WriteResult
from aspects_backfill.sources import SourceObject
from aspects_backfill.transform import ActorLookup, Context
from mixed_log import COURSES, LMS, USERS, write_mixed_log

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _context() -> Context:
    return Context(LMS, "aspects-backfill@test", load_actors_csv(str(USERS)), load_courses_csv(str(COURSES)))


def _base_args() -> list[str]:
    cmd = [sys.executable, "-m", "aspects_backfill", "xapi", "--lms-root-url", LMS, "--quiet"]
    return [*cmd, "--actors", str(USERS), "--courses", str(COURSES)]


def _cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    cmd = [*_base_args(), *args]
    full_env = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    return subprocess.run(cmd, env=full_env, capture_output=True, check=True, **kw)


def _summary(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("seconds")
    data.pop("destination")
    return data


def test_two_workers_write_byte_for_byte_what_one_writes(tmp_path: Path) -> None:
    # three sources, the first large enough for several 2 MB blocks per worker
    logs = [write_mixed_log(tmp_path / "a.log", 7000), write_mixed_log(tmp_path / "b.log", 500, seed=1)]
    logs.append(write_mixed_log(tmp_path / "c.log", 300, seed=2, terminated=True))
    assert logs[0].stat().st_size > 3 * (2 << 20)
    runs = {}
    for workers in ("1", "2"):
        out, rej, summ = (tmp_path / f"{name}-{workers}" for name in ("out.ndjson", "rejects", "summary"))
        _cli(*map(str, logs), "--to", f"file:{out}", "--workers", workers, "--rejects", str(rej),
             "--summary-json", str(summ))  # fmt: skip
        runs[workers] = (out.read_bytes(), rej.read_bytes(), _summary(summ))
    assert runs["2"] == runs["1"]
    statements, rejects, summary = runs["1"]
    assert summary["lines_transformed"] == statements.count(b"\n") > 6000
    assert (
        summary["skipped"]
        and summary["rejected"]
        and rejects.count(b"\n") == sum(summary["rejected"].values())
    )
    assert summary["lines_read"] == summary["lines_transformed"] + sum(summary["skipped"].values()) + sum(
        summary["rejected"].values()
    )
    assert summary["bytes_read"] == sum(p.stat().st_size for p in logs)


def test_pool_outcomes_equal_in_process_ones_with_small_blocks_and_cut_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 3000)  # the workers fork with it
    log = write_mixed_log(tmp_path / "m.log", 800).read_bytes()
    long_line = b'{"name": "play_video", "event": "' + b"x" * 7000 + b'"}\n'
    data = log[:50_000] + b"\n" + long_line + long_line + b"\n\n" + log[50_000:] + b"\n" + long_line[:-1]
    ctx, opts = _context(), RunOptions()
    expected = merge_runs(InProcess(ctx, opts).outcomes("s", io.BytesIO(data), 10))
    for block_bytes in (700, 4096, 65536):
        with WorkerPool(ctx, opts, 2, block_bytes=block_bytes, in_flight=4) as pool:
            got = list(pool.outcomes("s", io.BytesIO(data), 10))
        assert got == expected, block_bytes
    assert expected[-1][1] == len(data)  # the end of the last (cut) line is the end of the stream
    assert sum(1 for o in expected if o[3] == "unparsable") >= 3


class _CountingStream(io.RawIOBase):
    """A source stream that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._data.readinto(buffer)
        self.position += n
        return n


class _SlowSink:
    """A destination that takes its time, and records how far ahead the source was read."""

    name = "slow"
    batch_rows = 200

    def __init__(self, stream: _CountingStream) -> None:
        self.stream = stream
        self.records: list[Record] = []
        self.read_ahead: list[int] = []

    def write(self, batch: list[Record]) -> WriteResult:
        time.sleep(0.02)
        self.read_ahead.append(self.stream.position - self._end_of(batch[-1]))
        self.records.extend(batch)
        return WriteResult(written=len(batch))

    def _end_of(self, record: Record) -> int:
        return self.ends[record.line]

    def commit(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_slow_destination_holds_the_reading_back(tmp_path: Path) -> None:
    data = write_mixed_log(tmp_path / "m.log", 4000, terminated=True).read_bytes()
    ends, pos = {}, 0
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        pos += len(line)
        ends[number] = pos
    stream = _CountingStream(data)
    sink = _SlowSink(stream)
    sink.ends = ends
    src = SourceObject("m.log", len(data), "1", lambda: io.BufferedReader(stream, 8192))
    ctx, opts = _context(), RunOptions()
    block = 16 * 1024
    with WorkerPool(ctx, opts, 2, block_bytes=block, in_flight=4) as pool:
        runner = Runner(ctx, sink, RejectWriter(None), opts, lines=pool)
        summary = runner.run([src])
    assert summary.statements_written == len(sink.records) > 3000
    assert len(sink.read_ahead) > 10
    # in flight: 4 blocks, plus the block being consumed, plus the reader's buffer
    bound = (pool.max_in_flight + 1) * (block + 2000) + 8192
    assert max(sink.read_ahead) <= bound
    assert max(sink.read_ahead) < len(data) / 4


def test_a_worker_that_dies_fails_the_run_instead_of_hanging(tmp_path: Path) -> None:
    data = write_mixed_log(tmp_path / "m.log", 3000).read_bytes()
    with WorkerPool(_context(), RunOptions(), 2, block_bytes=8192) as pool:
        outcomes = pool.outcomes("m.log", io.BytesIO(data))
        next(outcomes)
        os.kill(pool._pool[1].proc.pid, signal.SIGKILL)
        with pytest.raises(WorkerFailed, match="ended unexpectedly"):
            for _ in outcomes:
                pass


def test_one_worker_is_the_in_process_path() -> None:
    assert isinstance(open_engine(_context(), RunOptions(), 1), InProcess)
    assert available_cpus() >= 1


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(x) for x in (task / "children").read_text().split()]
    return found


def _wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        time.sleep(0.05)
    return alive


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _start_on_stdin(tmp_path: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "aspects_backfill", "xapi", "-", "--to", f"file:{tmp_path / 'o'}"]
    cmd += ["--lms-root-url", LMS, "--actors", str(USERS), "--courses", str(COURSES), "--quiet"]
    cmd += ["--workers", "2", "--batch-size", "50"]
    return subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": SRC},
        start_new_session=True,
    )


def _workers_of(proc: subprocess.Popen) -> list[int]:
    deadline = time.monotonic() + 20
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) == 2
    return workers


def test_a_killed_run_leaves_no_workers(tmp_path: Path) -> None:
    proc = _start_on_stdin(tmp_path)
    try:
        proc.stdin.write(write_mixed_log(tmp_path / "m.log", 300).read_bytes())
        proc.stdin.flush()  # stdin stays open: the run waits for more input
        workers = _workers_of(proc)
        proc.kill()
        proc.wait(10)
        assert _wait_gone(workers) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
        proc.stderr.close()


def test_ctrl_c_to_the_process_group_stops_the_run_not_the_workers(tmp_path: Path) -> None:
    data = write_mixed_log(tmp_path / "m.log", 4000, terminated=True).read_bytes()
    proc = _start_on_stdin(tmp_path)
    try:
        proc.stdin.write(data[:100_000])
        proc.stdin.flush()
        workers = _workers_of(proc)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        time.sleep(0.2)
        with contextlib.suppress(BrokenPipeError):  # the run may stop without reading the rest
            proc.stdin.write(data[100_000:])
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        proc.wait(30)
        err = proc.stderr.read()
        assert b"ended unexpectedly" not in err and b"worker" not in err.lower(), err
        assert _wait_gone(workers) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_a_worker_error_is_reported_with_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args):
        raise RuntimeError("a bug in a transform")

    monkeypatch.setattr(parallel, "line_outcome", broken)  # the workers fork with it
    with (
        WorkerPool(_context(), RunOptions(), 2) as pool,
        pytest.raises(WorkerFailed, match="a bug in a transform"),
    ):
        list(pool.outcomes("m.log", io.BytesIO(b'{"event": 1}\n')))


class _Lookup(ActorLookup):
    """A lookup that must know where it runs (as one holding a database connection does)."""

    def __init__(self, parent: int, allowed: bool = True) -> None:
        super().__init__()
        self.parent = parent
        self.workers_allowed = allowed
        self.add(3, "edx", "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb")
        self.add(6, "honor", "7c4b4a07-4f8e-4d21-9a1b-1d0c2d1f5e11")

    def after_fork(self) -> None:
        assert os.getpid() != self.parent
        self.forked = True

    def find(self, ref):
        if os.getpid() != self.parent and not getattr(self, "forked", False):
            raise RuntimeError("used in a worker without after_fork")
        return super().find(ref)


def test_lookups_take_part_in_the_choice_and_are_told_of_the_fork(tmp_path: Path) -> None:
    data = write_mixed_log(tmp_path / "m.log", 400).read_bytes()
    courses = load_courses_csv(str(COURSES))
    ctx = Context(LMS, "aspects-backfill@test", _Lookup(os.getpid()), courses)
    expected = merge_runs(InProcess(ctx, RunOptions()).outcomes("m", io.BytesIO(data)))
    with WorkerPool(ctx, RunOptions(), 2, block_bytes=4096) as pool:
        assert list(pool.outcomes("m", io.BytesIO(data))) == expected
    assert sum(o[2] == OK for o in expected) > 300
    single = Context(LMS, "v", _Lookup(os.getpid(), allowed=False), courses)
    assert isinstance(open_engine(single, RunOptions(), 4), InProcess)


def test_a_run_with_workers_killed_mid_object_resumes_exactly(tmp_path: Path) -> None:
    """The run state records where each committed line ends, not how far the workers read ahead.
    (Commits come at most once a second: a.log is long enough for one inside it.)"""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(write_mixed_log(tmp_path / "m.log", 80_000, terminated=True).read_bytes())
    (logs / "b.log.gz").write_bytes(
        gzip.compress(write_mixed_log(tmp_path / "n.log", 8000, seed=3).read_bytes())
    )
    ref, out = tmp_path / "ref.ndjson", tmp_path / "out.ndjson"
    _cli(str(logs), "--to", f"file:{ref}", "--workers", "1", "--rejects", f"{ref}.rejects")
    state = Path(f"{out}.backfill-state.json")

    def committed_mid_object() -> bool:
        try:
            objects = json.loads(state.read_text())["objects"]
        except (OSError, ValueError, KeyError):
            return False
        return any(o["lines"] and not o["done"] for o in objects.values())

    args = [*_base_args(), str(logs), "--to", f"file:{out}", "--workers", "2", "--rejects", f"{out}.rejects"]
    args += ["--batch-size", "1000"]
    proc = subprocess.Popen(args, env={**os.environ, "PYTHONPATH": SRC}, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and not committed_mid_object() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before a commit inside an object; give it more lines"
        proc.kill()
    finally:
        proc.wait(30)
    resumed = _cli(str(logs), "--to", f"file:{out}", "--workers", "2", "--rejects", f"{out}.rejects")
    assert b"resumed" in resumed.stderr
    assert out.read_bytes() == ref.read_bytes()
    assert Path(f"{out}.rejects").read_bytes() == Path(f"{ref}.rejects").read_bytes()
