"""Loading learner ids from the LMS database: time and memory for N users (default 1,000,000).

Starts a private MariaDB (Debian's mariadb-server) on 127.0.0.1, fills the edx-platform
tables with N users who all have an xAPI id (MariaDB's sequence engine, in the server), then
loads them the way ``--actors mysql://...`` does and prints:

    users, fill seconds, load seconds, load rows/s, RSS growth (MiB), bytes per user,
    peak traced Python memory (MiB, with --trace), lookup ns (by id; by name: first time,
    which asks the LMS unless --names preloads them, then again)

Timings on a shared machine are noisy: run it twice. Usage:
    python bench/bench_identities.py [--users N] [--names] [--trace]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from aspects_backfill.identities.lms import Lms, parse_lms_url
from aspects_backfill.identities.lookup import LmsActorLookup
from aspects_backfill.identities.retired import RetiredNames
from lms_db import running_mariadb


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fill(db, name: str, users: int) -> float:
    started = time.monotonic()
    with db.connect(name) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined) SELECT seq, '!', 0, CONCAT('learner_', seq), '', '', "
            f"CONCAT('learner_', seq, '@example.com'), 0, 1, NOW(6) FROM seq_1_to_{users}"
        )
        cur.execute("SELECT id FROM external_user_ids_externalidtype WHERE name = 'xapi'")
        type_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO external_user_ids_externalid (created, modified, external_user_id, "
            f"external_id_type_id, user_id) SELECT NOW(6), NOW(6), REPLACE(UUID(), '-', ''), {type_id}, seq "
            f"FROM seq_1_to_{users}"
        )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--names", action="store_true", help="preload usernames too")
    parser.add_argument("--trace", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-identities-") as tmp, running_mariadb(Path(tmp)) as db:
        db.create_lms("lms")
        fill_s = fill(db, "lms", args.users)
        os.environ["MYSQL_PASSWORD"] = "pw-lms_ro"
        lms = Lms(parse_lms_url(db.url("lms", "lms_ro")))
        gc.collect()
        before = rss_mib()
        if args.trace:
            tracemalloc.start()
        started = time.monotonic()
        lookup = LmsActorLookup(lms, RetiredNames()).load(names=args.names)
        load_s = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else float("nan")
        tracemalloc.stop()
        gc.collect()
        grown = rss_mib() - before
        ids = list(range(1, args.users + 1, max(1, args.users // 10_000)))
        names = [f"learner_{i}" for i in ids]
        started = time.perf_counter()
        for i in ids:
            lookup.find(i)
        by_id_ns = (time.perf_counter() - started) / len(ids) * 1e9
        by_name_ns = []
        for _ in range(2):
            started = time.perf_counter()
            for n in names:
                lookup.find(n)
            by_name_ns.append((time.perf_counter() - started) / len(names) * 1e9)
        lms.close()
        assert len(lookup) == args.users, len(lookup)
        print(
            f"users                 {args.users:>12,}  (usernames {'preloaded' if args.names else 'on demand'})"
        )
        print(f"fill (server side)    {fill_s:>12.1f} s")
        print(f"load                  {load_s:>12.1f} s  ({args.users / load_s:,.0f} rows/s)")
        print(f"RSS growth            {grown:>12.0f} MiB ({grown * 2**20 / args.users:.0f} bytes/user)")
        print(f"traced peak           {peak:>12.0f} MiB")
        print(f"find by id            {by_id_ns:>12.0f} ns")
        print(f"find by username      {by_name_ns[0]:>12.0f} ns first time, {by_name_ns[1]:.0f} ns again")


if __name__ == "__main__":
    main()
