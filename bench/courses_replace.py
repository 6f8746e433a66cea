"""How long replacing one course takes, lightweight DELETE against ALTER TABLE ... DELETE.

Loads the demo course under N course keys into a fresh chDB directory, then replaces one
course repeatedly with each strategy and prints the median time. Figures are noisy on a
shared machine. Usage: python bench/courses_replace.py [N_COURSES] [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.courses import load
from aspects_backfill.courses.archive import open_export
from aspects_backfill.courses.olx import parse_course
from aspects_backfill.courses.rows import build_rows

DEMO = Path(__file__).resolve().parents[2] / "shared" / "olx" / "demo-course-olx-nostatic.tar.gz"


def alter_delete_replace(ch, rows, dump_id, dumped):
    ch.insert(load.BLOCKS, rows.block_values(dump_id, dumped), load.BLOCK_COLUMNS)
    ch.insert(load.OVERVIEWS, rows.overview_values(dump_id, dumped), load.OVERVIEW_COLUMNS)
    params = {"key": rows.course_key, "dumped": dumped}
    for table in (load.OVERVIEWS, load.BLOCKS):
        ch.command(
            f"ALTER TABLE {table} DELETE WHERE course_key = {{key:String}} AND time_last_dumped != {{dumped:String}} "
            "SETTINGS mutations_sync = 2",
            params,
        )


def main() -> None:
    n_courses = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    course = parse_course(open_export(str(DEMO)))
    with tempfile.TemporaryDirectory() as tmp:
        ch = open_clickhouse(f"chdb:{tmp}/db")
        load.prepare(ch)
        all_rows = [build_rows(course, f"course-v1:Bench+C{i}+R1") for i in range(n_courses)]
        started = time.perf_counter()
        for rows in all_rows:
            load.replace_course(
                ch, rows, load.content_dump_id(rows), load.next_dump_time(None), had_rows=False
            )
        print(
            f"initial load: {n_courses} courses x {len(all_rows[0].blocks)} blocks in {time.perf_counter() - started:.2f}s"
        )
        target = all_rows[0]
        for name, replace in (
            ("lightweight DELETE", load.replace_course),
            ("ALTER DELETE sync", alter_delete_replace),
        ):
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                replace(
                    ch,
                    target,
                    load.content_dump_id(target),
                    load.next_dump_time(load.stored(ch, target.org, target.course_key).latest_dumped),
                )
                times.append(time.perf_counter() - t0)
            state = load.stored(ch, target.org, target.course_key)
            print(
                f"{name:20} median {statistics.median(times) * 1000:7.1f} ms over {repeats} replaces; "
                f"afterwards {state.overviews} overview, {state.blocks} blocks"
            )
        [(total,)] = ch.query(f"SELECT count() FROM {load.BLOCKS}")
        print(f"blocks in table: {total} (expected {n_courses * len(target.blocks)})")
        ch.close()


if __name__ == "__main__":
    main()
