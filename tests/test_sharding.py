"""``--shard I/N``: N runs split the source objects deterministically, disjointly and completely."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from aspects_backfill.errors import UsageError
from aspects_backfill.sharding import Shard, parse_shard, select, shard_key, shard_of
from aspects_backfill.sources import expand
from mixed_log import COURSES, LMS, USERS, write_mixed_log

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_parse_shard_from_the_option_and_from_an_indexed_job() -> None:
    assert parse_shard(None, None, {}) is None
    assert parse_shard("1/4", None, {}) == Shard(1, 4)
    assert parse_shard("1/4", 4, {"JOB_COMPLETION_INDEX": "3"}) == Shard(1, 4)  # the option wins
    assert parse_shard("2", 3, {}) == Shard(2, 3)
    assert parse_shard(None, 3, {"JOB_COMPLETION_INDEX": "2"}) == Shard(2, 3)
    assert parse_shard(None, 1, {"JOB_COMPLETION_INDEX": "0"}).label == "0/1"
    for spec, count, env, message in [
        (None, None, {"JOB_COMPLETION_INDEX": "1"}, "--shard-count"),
        (None, 3, {}, "needs an index"),
        ("4/4", None, {}, "0..3"),
        ("-1/4", None, {}, "0..3"),
        ("1/4", 5, {}, "disagree"),
        ("a/b", None, {}, "I/N"),
        ("1", None, {}, "number of shards"),
        (None, 2, {"JOB_COMPLETION_INDEX": "x"}, "not a number"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_shard(spec, count, env)


def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


NAMES = [
    f"server{s}/tracking.log-2024{m:02d}{d:02d}.gz" for s in range(3) for m in (1, 2) for d in range(1, 8)
]


def test_shards_partition_the_objects_and_stay_put(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path / "a" / "logs", NAMES)
    everything = {o.name for o in select([str(tmp_path / "a" / "logs")], None, expand)}
    assert len(everything) == len(NAMES)
    picks = [{o.name for o in select([str(tmp_path / "a" / "logs")], Shard(i, 4), expand)} for i in range(4)]
    assert set().union(*picks) == everything
    assert sum(len(p) for p in picks) == len(everything)  # no object in two shards
    assert all(picks)  # 42 objects over 4 shards: none empty

    def relative(objects, base: Path) -> set[str]:
        return {str(Path(getattr(o, "name", o)).relative_to(base)) for o in objects}

    # the same tree elsewhere, named relatively from another working directory, with one more
    # object and through a glob: every object keeps its shard
    _tree(tmp_path / "b" / "mnt" / "logs", [*NAMES, "server9/new.log"])
    monkeypatch.chdir(tmp_path / "b")
    for i in range(4):
        here = relative(select(["mnt/logs"], Shard(i, 4), expand), tmp_path / "b" / "mnt" / "logs")
        there = relative(picks[i], tmp_path / "a" / "logs")
        assert here - {"server9/new.log"} == there
        globbed = select(["mnt/logs/server*/*.gz"], Shard(i, 4), expand)
        assert relative(globbed, tmp_path / "b" / "mnt" / "logs") == there


def test_shard_keys(tmp_path: Path) -> None:
    assert shard_key("s3://bucket/logs/", "s3://bucket/logs/2024/a.gz") == "2024/a.gz"
    _tree(tmp_path / "logs", ["x/a.gz"])
    logs, name = tmp_path / "logs", str(tmp_path / "logs" / "x" / "a.gz")
    assert shard_key(str(logs), name) == "x/a.gz"
    assert shard_key(f"{logs}/*/a.gz", name) == "x/a.gz"
    assert shard_key(name, name) == "a.gz"
    assert (
        shard_of("x/a.gz", 7)
        == shard_of("x/a.gz", 7)
        == int(__import__("hashlib").sha1(b"x/a.gz").hexdigest()[:16], 16) % 7
    )


def test_stdin_cannot_be_sharded() -> None:
    with pytest.raises(UsageError, match="stdin"):
        select(["-"], Shard(0, 2), expand)


def _cmd(logs: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "aspects_backfill", "xapi", str(logs), "--to", f"file:{out}", "--quiet",
        "--lms-root-url", LMS, "--actors", str(USERS), "--courses", str(COURSES), "--batch-size", "50", *extra,
    ]  # fmt: skip


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "JOB_COMPLETION_INDEX"}
    return {**env, "PYTHONPATH": SRC, **extra}


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def test_sharded_runs_together_give_the_unsharded_result_even_with_a_killed_shard(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for i in range(10):
        (logs / f"host{i % 3}").mkdir(parents=True, exist_ok=True)
        write_mixed_log(logs / f"host{i % 3}" / f"tracking-{i}.log", 400 + 150 * i, seed=i)
    whole = tmp_path / "whole.ndjson"
    subprocess.run(_cmd(logs, whole, "--workers", "1"), env=_env(), check=True, capture_output=True)

    # shard 1 of 3 is killed part-way, then run again from the start
    killed_out = tmp_path / "shard-1.ndjson"
    proc = subprocess.Popen(
        _cmd(logs, killed_out, "--workers", "2"),
        env=_env(JOB_COMPLETION_INDEX="1", ASPECTS_BACKFILL_SHARD_COUNT="3"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while (not killed_out.exists() or killed_out.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    partial = killed_out.read_bytes()

    parts = []
    for index in range(3):
        out = tmp_path / f"shard-{index}.ndjson"
        done = subprocess.run(
            [*_cmd(logs, out, "--workers", "2"), "--summary-json", str(tmp_path / f"s{index}.json")],
            env=_env(JOB_COMPLETION_INDEX=str(index), ASPECTS_BACKFILL_SHARD_COUNT="3"),
            check=True,
            capture_output=True,
        )
        assert f"shard {index}/3" in done.stderr.decode()
        parts.append(_lines(out))
    assert 0 < len(partial) < len(b"\n".join(parts[1]))  # the kill did land mid-run
    assert all(parts)
    ids = [{orjson.loads(line)["id"] for line in part} for part in parts]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])  # no overlap
    assert sorted(line for part in parts for line in part) == sorted(_lines(whole))  # none missing


def test_a_shard_with_the_index_option_equals_the_indexed_job_one(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(6):
        write_mixed_log(logs / f"t{i}.log", 50, seed=i)
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    subprocess.run(
        _cmd(logs, a, "--shard", "2/3", "--workers", "1"), env=_env(), check=True, capture_output=True
    )
    subprocess.run(
        _cmd(logs, b, "--shard-count", "3", "--workers", "1"),
        env=_env(JOB_COMPLETION_INDEX="2"),
        check=True,
        capture_output=True,
    )
    assert a.read_bytes() == b.read_bytes() != b""
    missing = subprocess.run(_cmd(logs, a), env=_env(JOB_COMPLETION_INDEX="2"), capture_output=True)
    assert missing.returncode == 2 and b"--shard-count" in missing.stderr


def test_shards_into_one_clickhouse_keep_their_own_run_state(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(6):
        write_mixed_log(logs / f"t{i}.log", 120, seed=i)
    whole, shared = tmp_path / "whole", tmp_path / "shared"
    base = [sys.executable, "-m", "aspects_backfill", "xapi", str(logs), "--quiet", "--workers", "2"]
    base += ["--lms-root-url", LMS, "--actors", str(USERS), "--courses", str(COURSES)]
    subprocess.run([*base, "--to", f"chdb:{whole}"], env=_env(), check=True, capture_output=True)
    for index in (0, 1):
        subprocess.run([*base, "--to", f"chdb:{shared}", "--shard", f"{index}/2"], env=_env(), check=True)
    states = sorted((tmp_path / "shared.backfill-state").glob("*.json"))
    assert len(states) == 2  # one per shard: a shard's resume never sees the other's progress

    def ids(dest: Path) -> list[str]:
        query = [sys.executable, "-m", "aspects_backfill", "query", "--to", f"chdb:{dest}"]
        sql = "SELECT event_id FROM xapi.xapi_events_all ORDER BY event_id"
        return subprocess.run([*query, sql], env=_env(), check=True, capture_output=True).stdout.split()

    assert ids(shared) == ids(whole) != []
