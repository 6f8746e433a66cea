"""Every core: worker processes parse and transform blocks of lines; results come back in input order.

Why it is built this way:
- ``fork``: workers inherit the transform ``Context`` (the learner lookup can hold millions of
  entries) without pickling it. Start the pool before the destination opens, while the parent
  has no other threads.
- The parent reads the stream in blocks of whole lines (no per-line work there) and deals them
  round robin over one pipe pair per worker: each worker answers in order, so the parent reads
  results in input order without a reordering buffer. Output is byte for byte what
  ``--workers 1`` writes, and the counting, rejects and run state stay in the parent.
- The parent never blocks on a pipe write: nonblocking writes plus ``poll`` let it keep
  draining results while a worker's task pipe is full, so neither side waits on the other
  forever. At most ``IN_FLIGHT_BYTES`` of input are in flight (and two blocks per worker, so
  that the workers go on while the parent writes a batch): the input is read only as
  fast as the destination takes the output (backpressure, bounded memory).
- Workers ignore SIGINT and SIGTERM (the parent decides where to stop) and die with the parent
  (``PR_SET_PDEATHSIG``, and end of input on their task pipe), so a killed run leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import io
import math
import multiprocessing
import os
import pickle
import select
import signal
import struct
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from . import reader
from .errors import BackfillError
from .outcomes import InProcess, LineEngine, Outcome, line_outcome, merge_runs
from .pipeline import RunOptions
from .reader import iter_lines_ends
from .transform import Context

HEADER = struct.Struct("!Q")  # a result: its size
TASK = struct.Struct("!QQ")  # a block: the size of its pickled description, of its data
PIPE_BYTES = 1 << 20
BLOCK_BYTES = 2 << 20  # lines go to the workers in blocks of about this size
IN_FLIGHT_BYTES = 32 << 20  # input read ahead: covers a 20,000-statement batch being written


class WorkerFailed(BackfillError):
    """A worker process died or raised; the run stops (a resumed run picks it up again)."""


def available_cpus() -> int:
    """CPUs this process may use: affinity mask and cgroup quota (a Kubernetes CPU limit)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def _cgroup_cpu_quota() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/cpu.max") as fh:  # cgroup v2
            quota, period = fh.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    with contextlib.suppress(OSError, ValueError):  # cgroup v1
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as fh:
            quota_us = int(fh.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as fh:
            period_us = int(fh.read())
        return None if quota_us <= 0 else quota_us / period_us
    return None


def open_engine(ctx: Context, opts: RunOptions, workers: int) -> LineEngine:
    """The in-process path for one worker, a pool of processes for more.

    A learner lookup takes part through two optional attributes: ``workers_allowed = False``
    keeps the run in one process (e.g. while it creates new learner ids, which must happen in
    one place); ``after_fork()`` runs in each worker first (e.g. to drop a database connection
    inherited from the parent and open its own when it needs one).
    """
    if workers <= 1 or not getattr(ctx.actors, "workers_allowed", True):
        return InProcess(ctx, opts)
    return WorkerPool(ctx, opts, workers)


class _Block(NamedTuple):
    first_line: int  # the number of the line before the block's first
    start: int  # bytes consumed from the stream before the block
    data: bytes  # whole lines (a cut over-long line last)
    drained: int  # bytes of that cut line skipped after ``data``


@dataclass
class _Worker:
    proc: Any
    task_fd: int  # the parent writes blocks
    result_fd: int  # the parent reads outcomes
    out: deque = field(default_factory=deque)  # bytes not yet written to task_fd
    head: bytearray = field(default_factory=bytearray)  # the header of the result being read
    body: bytearray | None = None  # the result being read
    got: int = 0  # bytes of it read so far
    frames: deque = field(default_factory=deque)  # complete results not yet taken


class WorkerPool:
    def __init__(
        self,
        ctx: Context,
        opts: RunOptions,
        workers: int,
        block_bytes: int = BLOCK_BYTES,
        in_flight: int | None = None,
    ) -> None:
        self.workers = workers
        self.block_bytes = block_bytes
        self.max_in_flight = in_flight or max(2 * workers, IN_FLIGHT_BYTES // block_bytes)
        self._next = 0
        self._pool: list[_Worker] = []
        self._by_task: dict[int, _Worker] = {}
        self._by_result: dict[int, _Worker] = {}
        mp = multiprocessing.get_context("fork")
        parent = os.getpid()
        try:
            for i in range(workers):
                task_r, task_w = os.pipe()
                result_r, result_w = os.pipe()
                inherited = [fd for w in self._pool for fd in (w.task_fd, w.result_fd)]
                proc = mp.Process(
                    target=_worker_main,
                    args=(task_r, result_w, [task_w, result_r, *inherited], ctx, opts, parent),
                    name=f"aspects-backfill-worker-{i}",
                    daemon=True,
                )
                proc.start()
                os.close(task_r)
                os.close(result_w)
                for fd in (task_w, result_r):
                    os.set_blocking(fd, False)
                    with contextlib.suppress(OSError, AttributeError):
                        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
                worker = _Worker(proc, task_w, result_r)
                self._pool.append(worker)
                self._by_task[task_w] = worker
                self._by_result[result_r] = worker
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ the seam

    def outcomes(self, source: str, stream: IO[bytes], first_line: int = 0) -> Iterator[Outcome]:
        """Outcomes of a stream's lines in input order; reads ahead at most ``max_in_flight`` blocks."""
        in_flight: deque[_Worker] = deque()
        try:
            for block in _blocks(stream, first_line, self.block_bytes):
                while len(in_flight) >= self.max_in_flight:
                    yield from self._take(in_flight.popleft())
                in_flight.append(self._submit(source, block))
            while in_flight:
                yield from self._take(in_flight.popleft())
        finally:
            if in_flight:  # abandoned mid-source (error, stop): results no longer match
                self.close()

    def close(self) -> None:
        """Stop the workers: end of input first, then kill whoever does not exit promptly."""
        pool, self._pool = self._pool, []
        self._by_task, self._by_result = {}, {}
        for w in pool:
            for fd in (w.task_fd, w.result_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
        for w in pool:
            w.proc.join(2)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(2)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport

    def _submit(self, source: str, block: _Block) -> _Worker:
        if not self._pool:
            raise WorkerFailed("the worker pool is closed")
        worker = self._pool[self._next]
        self._next = (self._next + 1) % len(self._pool)
        meta = pickle.dumps((source, block.first_line, block.start, block.drained), protocol=5)
        worker.out.extend(memoryview(x) for x in (TASK.pack(len(meta), len(block.data)), meta, block.data))
        self._pump(None)
        return worker

    def _take(self, worker: _Worker) -> list[Outcome]:
        self._pump(worker)
        ok, value = pickle.loads(worker.frames.popleft())
        if not ok:
            raise WorkerFailed(f"a worker failed:\n{value}")
        return value

    def _pump(self, wait_for: _Worker | None) -> None:
        """Write pending blocks and read finished results; with ``wait_for``, until it has one."""
        while True:
            block = wait_for is not None and not wait_for.frames
            poller = select.poll()  # not select(): the descriptors may be numbered above 1024
            for fd in self._by_result:
                poller.register(fd, select.POLLIN)
            for w in self._pool:
                if w.out:
                    poller.register(w.task_fd, select.POLLOUT)
            for fd, _ in poller.poll(None if block else 0):
                if fd in self._by_task:
                    _write_some(self._by_task[fd])
                else:
                    _read_some(self._by_result[fd])
            if not block:
                return


def _write_some(worker: _Worker) -> None:
    while worker.out:
        view = worker.out[0]
        try:
            n = os.write(worker.task_fd, view)
        except BlockingIOError:
            return
        except BrokenPipeError as exc:
            raise WorkerFailed(f"worker process {worker.proc.pid} is gone") from exc
        if n == len(view):
            worker.out.popleft()
        else:
            worker.out[0] = view[n:]


def _read_some(worker: _Worker) -> None:
    """Read what a worker has sent, straight into the frame it belongs to."""
    fd = worker.result_fd
    while True:
        try:
            if worker.body is None:
                data = os.read(fd, HEADER.size - len(worker.head))
                n = len(data)
                worker.head += data
            else:
                n = os.readv(fd, [memoryview(worker.body)[worker.got :]])
                worker.got += n
        except BlockingIOError:
            return
        if n == 0:
            worker.proc.join(1)
            raise WorkerFailed(
                f"worker process {worker.proc.pid} ended unexpectedly (exit code {worker.proc.exitcode})"
            )
        if worker.body is None and len(worker.head) == HEADER.size:
            worker.body, worker.got = bytearray(HEADER.unpack(worker.head)[0]), 0
            worker.head.clear()
        if worker.body is not None and worker.got == len(worker.body):
            worker.frames.append(worker.body)
            worker.body = None


def _blocks(stream: IO[bytes], first_line: int, size: int) -> Iterator[_Block]:
    """The stream in blocks of about ``size`` bytes that end where a line ends.

    The worker splits a block with ``iter_lines_ends``, so lines (the cut of over-long
    ones included) are exactly what the in-process path reads.
    """
    limit = reader.MAX_LINE_BYTES
    consumed = 0
    while True:
        data = stream.read(size)
        if not data:
            return
        drained = 0
        if not data.endswith(b"\n"):
            tail = stream.readline(limit)
            data += tail
            if len(tail) >= limit and not tail.endswith(b"\n"):  # an over-long line: skip its rest
                while True:
                    more = stream.readline(limit)
                    drained += len(more)
                    if not more or more.endswith(b"\n"):
                        break
        yield _Block(first_line, consumed, data, drained)
        first_line += data.count(b"\n") + (not data.endswith(b"\n"))
        consumed += len(data) + drained


# ---------------------------------------------------------------------- worker side


def _block_outcomes(source: str, block: _Block, ctx: Context, opts: RunOptions) -> list[Outcome]:
    start = block.start
    out = [
        line_outcome(line_no, start + end, line, ctx, opts, source)
        for line_no, line, end in iter_lines_ends(io.BytesIO(block.data), block.first_line)
    ]
    if block.drained and out:
        last = out[-1]
        out[-1] = (last[0], last[1] + block.drained, *last[2:])
    return merge_runs(out)


def _worker_main(
    task_fd: int, result_fd: int, close_fds: list[int], ctx: Context, opts: RunOptions, parent: int
) -> None:
    for fd in close_fds:  # other workers' pipe ends: their end of input must not depend on us
        with contextlib.suppress(OSError):
            os.close(fd)
    for signum in (signal.SIGINT, signal.SIGTERM):  # the parent decides where the run stops
        signal.signal(signum, signal.SIG_IGN)
    _die_with_parent(parent)
    after_fork = getattr(ctx.actors, "after_fork", None)
    if after_fork is not None:
        after_fork()
    gc.freeze()  # the inherited lookups stay shared pages: the collector never touches them
    try:
        while True:
            block = _read_block(task_fd)
            if block is None:
                return
            source, block = block
            try:
                reply = pickle.dumps((True, _block_outcomes(source, block, ctx, opts)), protocol=5)
            except Exception:
                reply = pickle.dumps((False, traceback.format_exc()), protocol=5)
            _write_all(result_fd, HEADER.pack(len(reply)))
            _write_all(result_fd, reply)
    except OSError:  # the parent is gone
        return


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def _read_exact(fd: int, size: int) -> bytes | None:
    parts, got = [], 0
    while got < size:
        data = os.read(fd, min(size - got, PIPE_BYTES))
        if not data:
            return None
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _read_block(fd: int) -> tuple[str, _Block] | None:
    header = _read_exact(fd, TASK.size)
    if header is None:
        return None
    meta_size, data_size = TASK.unpack(header)
    meta, data = _read_exact(fd, meta_size), _read_exact(fd, data_size)
    if meta is None or data is None:
        return None
    source, first_line, start, drained = pickle.loads(meta)
    return source, _Block(first_line, start, data, drained)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
