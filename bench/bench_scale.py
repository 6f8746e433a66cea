"""Scale: one worker next to all workers, transform only and end to end, next to ERB, same run.

Prints one table, every figure measured in this run on the same input (bench/logs.py):
- ERB (the oracle, ERB 10.1.0 itself) events/s on a slice, start-up subtracted;
- this tool with ``--workers 1`` and ``--workers N``: transform only (``--dry-run``: read,
  parse, transform, serialise, count) and end to end (``--to chdb:DIR``, a fresh directory per
  run; ``--to file:`` when the chDB destination is not available, and the table says so);
- wall time (best of ``--repeat``), the CPU seconds the whole process tree used, and its peak
  memory as the sum of the processes' PSS (shared pages of forked workers counted once).

The machine is shared: wall times are noisy; CPU seconds are the steadier figure.

    python bench/bench_scale.py [--lines 100000] [--slice 2000] [--workers N] [--repeat 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from aspects_backfill.parallel import available_cpus  # noqa: E402
from bench_transform import LMS, ORACLE  # noqa: E402
from logs import write_log, write_lookups  # noqa: E402


def chdb_available() -> bool:
    """Whether this version has the ClickHouse destination (without loading chDB here)."""
    return importlib.util.find_spec("aspects_backfill.sinks.clickhouse") is not None


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(x) for x in fh.read().split())
        except OSError:
            pass
    return pids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def measured_run(cmd: list[str]) -> tuple[float, float, float, float]:
    """(wall s, CPU s of the whole process tree, CPU s of the main process, peak total PSS MB)."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    main_cpu = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, sum(_pss_kb(p) for p in _tree(proc.pid)))
        main_cpu = max(main_cpu, _cpu_s(proc.pid))  # the last sample, up to 20 ms before the end
        time.sleep(0.02)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    cpu = usage.ru_utime + usage.ru_stime  # the workers included: the run waits for them
    return wall, cpu, main_cpu, peak / 1024


def head(log: Path, lines: int, out: Path) -> Path:
    with log.open("rb") as src, out.open("wb") as dst:
        for i, line in enumerate(src):
            if i >= lines:
                break
            dst.write(line)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=100_000)
    p.add_argument("--slice", type=int, default=2000, help="lines given to ERB (it is slow)")
    p.add_argument("--workers", type=int, default=available_cpus())
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--work", type=Path, default=None)
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    actors, courses = write_lookups(work, 1000)
    log = write_log(work / "big.log", args.lines)
    to_chdb = chdb_available()
    print(
        f"input: {args.lines:,} lines over every ERB fixture event ({log.stat().st_size / 1e6:.0f} MB), in {work}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (shared machine: noisy)")

    tiny = head(log, 1, work / "tiny.log")
    erb_cmd = [str(ORACLE), "--all-events", "--users", str(actors), "--courses", str(courses)]
    erb_cmd += ["--lms-root-url", LMS, "-o", os.devnull]
    erb_start = min((measured_run([*erb_cmd, str(tiny)]) for _ in range(2)), key=lambda r: r[0])
    erb_run = measured_run([*erb_cmd, str(head(log, args.slice, work / "slice.log"))])
    erb_wall = args.slice / max(erb_run[0] - erb_start[0], 1e-9)
    erb_cpu = args.slice / max(erb_run[1] - erb_start[1], 1e-9)

    def command(source: Path, mode: str, workers: int, run: str) -> list[str]:
        cmd = [sys.executable, "-m", "aspects_backfill", "xapi", str(source), "--all-events", "--quiet"]
        cmd += ["--lms-root-url", LMS, "--actors", str(actors), "--courses", str(courses)]
        cmd += ["--workers", str(workers)]
        if mode == "transform":
            return [*cmd, "--dry-run"]
        if to_chdb:
            return [*cmd, "--to", f"chdb:{work / f'chdb-{run}'}"]
        return [*cmd, "--to", f"file:{work / f'out-{run}.ndjson'}"]

    configs = [(mode, w) for mode in ("transform", "e2e") for w in (1, args.workers)]
    startup = {c: measured_run(command(tiny, *c, f"tiny-{c[0]}-{c[1]}")) for c in configs}
    runs: dict[tuple[str, int], tuple[float, float, float, float]] = {}
    for rep in range(args.repeat):  # alternate configurations so that noise hits them alike
        for config in configs:
            got = measured_run(command(log, *config, f"{rep}-{config[0]}-{config[1]}"))
            best = runs.get(config)
            if best is None or got[0] < best[0]:
                runs[config] = got

    e2e_name = "end to end into chDB" if to_chdb else "end to end into a file (no chDB destination yet)"
    rows = [("ERB (oracle) transform, 1 process", f"{erb_wall:,.0f}", "1.0x", "", f"{erb_cpu:,.0f}", "1.0x")]
    rows[0] += ("", "", "")
    for mode, label in (("transform", "transform only (--dry-run)"), ("e2e", e2e_name)):
        one = args.lines / (runs[(mode, 1)][0] - startup[(mode, 1)][0])
        for workers in (1, args.workers):
            wall, cpu, main_cpu, peak = runs[(mode, workers)]
            rate = args.lines / max(wall - startup[(mode, workers)][0], 1e-9)
            per_cpu = args.lines / max(cpu - startup[(mode, workers)][1], 1e-9)
            rows.append(
                (
                    f"aspects-backfill {label}, --workers {workers}",
                    f"{rate:,.0f}",
                    f"{rate / erb_wall:.1f}x",
                    f"{rate / one:.2f}x",
                    f"{per_cpu:,.0f}",
                    f"{per_cpu / erb_cpu:.1f}x",
                    f"{cpu:.1f}",
                    f"{main_cpu:.1f}",
                    f"{peak:.0f}",
                )
            )
    title = ("measure", "lines/s", "vs ERB", "vs 1 worker", "lines/CPU-s", "vs ERB", "CPU s", "main CPU s")
    title += ("peak MB",)
    widths = [max(len(r[i]) for r in [title, *rows]) for i in range(len(title))]
    for row in [title, *rows]:
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)))
    cores = min(available_cpus(), args.workers + 1)
    for mode, label in (("transform", "transform only"), ("e2e", "end to end")):
        one = runs[(mode, 1)][1] - startup[(mode, 1)][1]
        _, cpu, main_cpu, _ = runs[(mode, args.workers)]
        floor = max(
            main_cpu - startup[(mode, args.workers)][2], (cpu - startup[(mode, args.workers)][1]) / cores
        )
        print(
            f"{label}: on {cores} idle cores the {args.workers}-worker run needs at least {floor:.1f} s "
            f"(its main process, or its CPU seconds spread over the cores) against {one:.1f} CPU s for one "
            f"worker: at best {one / floor:.2f}x (an estimate from CPU time, not a measurement)"
        )
    print(
        f"load average after: {os.getloadavg()[0]:.2f}. lines/s: wall clock, best of {args.repeat} runs, "
        "start-up (a one-line run) subtracted for every row. lines/CPU-s: per CPU second of the whole "
        "process tree (steadier on a shared machine; the per-core figure). CPU s: the whole tree; "
        "main CPU s: the reading, counting and writing process. Peak MB: summed PSS of all processes."
    )


if __name__ == "__main__":
    main()
