"""Transform speed and memory: this tool next to event-routing-backends (the oracle), same run.

Prints one table:
- ERB events/s: the oracle (ERB 10.1.0 itself) on a slice, start-up subtracted;
- ours, transform only: parse + transform + JSON encode, in this process;
- ours, end to end: the CLI writing NDJSON to a file, one process;
- peak memory (max RSS) of the CLI on a small and a large log.

    python bench/bench_transform.py [--lines 200000] [--slice 3000] [--memory-lines 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import orjson  # noqa: E402

from aspects_backfill.identities import load_actors_csv, load_courses_csv  # noqa: E402
from aspects_backfill.pipeline import RunOptions, transform_line  # noqa: E402
from aspects_backfill.transform import Context, Rejected, Skipped  # noqa: E402
from logs import write_log, write_lookups  # noqa: E402

ORACLE = HERE.parents[1] / "shared" / "erb-oracle" / "oracle"
LMS = "http://lms.example.com"


def oracle_rate(log: Path, actors: Path, courses: Path, lines: int, work: Path) -> float:
    """ERB events/s on the first ``lines`` lines, minus the oracle's start-up time."""

    def timed(n: int) -> float:
        part = work / f"slice-{n}.log"
        with log.open() as src, part.open("w") as dst:
            for i, line in enumerate(src):
                if i >= n:
                    break
                dst.write(line)
        t = time.perf_counter()
        subprocess.run(
            [
                str(ORACLE),
                "--all-events",
                "--users",
                str(actors),
                "--courses",
                str(courses),
                "--lms-root-url",
                LMS,
                "-o",
                os.devnull,
                str(part),
            ],
            check=True,
        )
        return time.perf_counter() - t

    startup = min(timed(1) for _ in range(2))
    return lines / max(timed(lines) - startup, 1e-9)


def transform_only_rate(log: Path, actors: Path, courses: Path) -> tuple[float, int]:
    ctx = Context(LMS, "aspects-backfill@bench", load_actors_csv(str(actors)), load_courses_csv(str(courses)))
    opts = RunOptions(all_events=True)
    lines = log.read_bytes().splitlines()
    made = 0
    t = time.perf_counter()
    for line in lines:
        try:
            _, statements = transform_line(line, ctx, opts)
        except (Rejected, Skipped):
            continue
        for s in statements:
            orjson.dumps(s)
        made += len(statements)
    return len(lines) / (time.perf_counter() - t), made


def xapi_cmd(log: Path, actors: Path, courses: Path, out: Path) -> list[str]:
    """The CLI run measured: one process (``--workers 1``), from scratch (``--restart``)."""
    return [
        sys.executable,
        "-m",
        "aspects_backfill",
        "xapi",
        str(log),
        "--to",
        f"file:{out}",
        "--all-events",
        "--lms-root-url",
        LMS,
        "--actors",
        str(actors),
        "--courses",
        str(courses),
        "--quiet",
        "--workers",
        "1",
        "--restart",
    ]


ENV = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}


def cli_rate(log: Path, actors: Path, courses: Path, out: Path) -> float:
    """Lines/s of one CLI run in a child process."""
    t = time.perf_counter()
    subprocess.run(
        xapi_cmd(log, actors, courses, out),
        check=True,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - t
    return sum(1 for _ in log.open("rb")) / seconds


def peak_rss(log: Path, actors: Path, courses: Path, out: Path) -> float:
    """Peak RSS (MB) of a CLI run measured alone (a fresh helper process per measurement)."""
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    cmd = [sys.executable, "-c", code, *xapi_cmd(log, actors, courses, out)]
    return int(subprocess.run(cmd, check=True, env=ENV, capture_output=True, text=True).stdout) / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--slice", type=int, default=3000, help="lines given to ERB (it is slow)")
    p.add_argument("--memory-lines", type=int, default=1_000_000)
    p.add_argument("--work", type=Path, default=None)
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-transform-"))
    work.mkdir(parents=True, exist_ok=True)
    actors, courses = write_lookups(work, 1000)
    log = write_log(work / "big.log", args.lines)
    print(
        f"input: {args.lines:,} lines over every ERB fixture event ({log.stat().st_size / 1e6:.0f} MB), in {work}"
    )

    erb = oracle_rate(log, actors, courses, args.slice, work)
    ours, made = transform_only_rate(log, actors, courses)
    e2e = cli_rate(log, actors, courses, work / "out.ndjson")
    small = write_log(work / "small.log", 10_000)
    large = write_log(work / "large.log", args.memory_lines)
    rss_small = peak_rss(small, actors, courses, work / "small.ndjson")
    rss_large = peak_rss(large, actors, courses, work / "large.ndjson")

    rows = [
        ("ERB (oracle) transform, 1 process", f"{erb:,.0f} events/s", "1.0x"),
        ("aspects-backfill transform only, 1 process", f"{ours:,.0f} events/s", f"{ours / erb:.1f}x"),
        ("aspects-backfill end to end to a file, 1 process", f"{e2e:,.0f} lines/s", f"{e2e / erb:.1f}x"),
        (f"peak RSS, {10_000:,} lines", f"{rss_small:.0f} MB", ""),
        (f"peak RSS, {args.memory_lines:,} lines", f"{rss_large:.0f} MB", f"+{rss_large - rss_small:.0f} MB"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'figure':>18}  {'vs ERB':>8}")
    for name, figure, ratio in rows:
        print(f"{name:<{width}}  {figure:>18}  {ratio:>8}")
    print(f"statements made by the transform-only pass: {made:,}")


if __name__ == "__main__":
    main()
