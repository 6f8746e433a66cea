"""The LRS destination against a real Ralph LRS: delivery, read-back, re-runs, refusals and faults."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from aspects_backfill.errors import BackfillError
from aspects_backfill.sinks.base import Record
from aspects_backfill.sinks.lrs import LrsOptions, LrsSink
from aspects_backfill.xapi_command import run_xapi
from lrs_fault_proxy import FaultProxy
from lrs_inputs import GOLDEN, file_output, later_conflicts, rejects, shifted_log, summary, xapi_args
from ralph_lrs import PASSWORD, USERNAME, Ralph

SRC = Path(__file__).resolve().parents[1] / "src"


def _fast(**kw) -> LrsOptions:
    """Options for tests: the test credentials, short backoff so retries take milliseconds."""
    base = {"username": USERNAME, "password": PASSWORD, "backoff_base": 0.02, "max_retries": 6}
    return LrsOptions(**(base | kw))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aspects_backfill", "-v", *args],
        env={**os.environ, "PYTHONPATH": str(SRC), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cli_xapi(
    log: Path, tmp: Path, dest: str, *extra: str, env: dict[str, str]
) -> subprocess.CompletedProcess:
    return _cli(
        "xapi",
        str(log),
        "--lms-root-url=http://localhost:18000",
        f"--actors={GOLDEN / 'users.csv'}",
        f"--courses={GOLDEN / 'courses.csv'}",
        f"--to={dest}",
        f"--summary-json={tmp / 'summary.json'}",
        f"--rejects={tmp / 'rejects.jsonl'}",
        "--quiet",
        *extra,
        env=env,
    )


def _copies_in(store: list[dict], records: list[Record]) -> Counter:
    ids = {r.statement_id for r in records}
    return Counter(s["id"] for s in store if s["id"] in ids)


def _assert_stored_once(lrs: Ralph, records: list[Record]) -> None:
    """Every id of ``records`` is in the store exactly once, with the first statement's content."""
    copies = _copies_in(lrs.stored(), records)
    assert set(copies) == {r.statement_id for r in records}
    assert set(copies.values()) == {1}, [i for i, n in copies.items() if n > 1]


def _counts_add_up(s: dict) -> None:
    delivered = s["statements_written"] + s["statements_already_present"]
    assert delivered + sum(s["statements_rejected"].values()) == s["statements_made"], s


def test_delivers_like_the_file_destination_and_rerun_adds_nothing(ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=3, start_days=100)
    expected = file_output(log, tmp_path)
    dest = f"lrs+http://{USERNAME}@127.0.0.1:{ralph.port}/xAPI/"
    first = _cli_xapi(log, tmp_path, dest, env={"LRS_PASSWORD": PASSWORD})
    assert first.returncode == 0, first.stderr
    assert PASSWORD not in first.stdout + first.stderr
    assert f"{USERNAME}@" not in first.stdout + first.stderr
    s1 = summary(tmp_path)
    assert s1["destination"] == ralph.dest
    _counts_add_up(s1)
    conflicts = later_conflicts(expected)
    assert conflicts, "the golden input holds two statements with one id (ERB's id recipe)"
    assert s1["statements_rejected"] == {"lrs conflict (409)": len(conflicts)}
    assert all("Differing statements" in r["detail"] for r in rejects(tmp_path))

    # read back through the xAPI GET resource: the file destination's statements, as sent
    first_of = {}
    for r in expected:
        first_of.setdefault(r.statement_id, json.loads(r.body))
    mine = [s for s in ralph.get_all() if s["id"] in first_of]
    assert len(mine) == len(first_of)
    for stored in mine:
        stored.pop("stored")
        stored.pop("authority")
        assert stored == first_of[stored["id"]]
    _assert_stored_once(ralph, expected)

    before = len(ralph.stored())
    (tmp_path / "rejects.jsonl").unlink()
    # --restart: the same command again would skip the finished log (run state); send it all again
    again = _cli_xapi(log, tmp_path, dest, "--restart", env={"LRS_PASSWORD": PASSWORD})
    assert again.returncode == 0, again.stderr
    s2 = summary(tmp_path)
    assert s2["statements_written"] == 0
    assert s2["statements_already_present"] == s1["statements_written"] + s1["statements_already_present"]
    assert s2["statements_rejected"] == s1["statements_rejected"]  # the same in-input conflicts, no new ones
    assert len(ralph.stored()) == before


def test_every_statement_arrives_exactly_once_through_faults(ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=6, start_days=200)
    expected = file_output(log, tmp_path)
    opts = _fast(batch_size=4, concurrency=2, timeout=1.0)
    with FaultProxy(ralph.port, every=4, slow_seconds=1.5) as proxy:
        run_xapi(xapi_args(log, tmp_path, [f"lrs+{proxy.url()}"], lrs=opts))
    assert set(proxy.injected) == {"503", "429", "reset", "reset-after", "slow", "503-after"}, proxy.injected
    _assert_stored_once(ralph, expected)
    s = summary(tmp_path)
    _counts_add_up(s)
    assert sum(s["statements_rejected"].values()) == len(later_conflicts(expected))


def test_retry_after_is_honoured(ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=1, start_days=250)
    expected = file_output(log, tmp_path)
    opts = _fast(batch_size=3, concurrency=1)  # backoff alone would wait ~20 ms
    with FaultProxy(ralph.port, every=4, faults=("429",), retry_after="1") as proxy:
        run_xapi(xapi_args(log, tmp_path, [f"lrs+{proxy.url()}"], lrs=opts))
    gaps = [after - at for (at, fault), (after, _) in pairwise(proxy.timeline) if fault == "429"]
    assert gaps and min(gaps) >= 0.95, gaps
    _assert_stored_once(ralph, expected)


def test_too_large_requests_are_split_until_they_fit(ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=2, start_days=300)
    expected = file_output(log, tmp_path)
    with FaultProxy(ralph.port, max_statements=3) as proxy:
        run_xapi(xapi_args(log, tmp_path, [f"lrs+{proxy.url()}"], lrs=_fast(batch_size=10)))
    assert proxy.injected["413"] >= 1
    _assert_stored_once(ralph, expected)
    s = summary(tmp_path)
    assert "lrs too large (413)" not in s["statements_rejected"]
    _counts_add_up(s)


def test_one_invalid_and_one_conflicting_statement_are_refused_the_rest_delivered(ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=2, start_days=400)
    made = file_output(log, tmp_path)
    records = [r for r in made if r not in later_conflicts(made)]
    sink = LrsSink(ralph.dest, _fast())
    try:
        assert sink.write(records[:3]).written == 3
        changed = json.loads(records[0].body)
        changed["result"] = {"extensions": {"https://w3id.org/xapi/video/extensions/time": 99.0}}
        conflicting = records[0]._replace(body=json.dumps(changed).encode())
        invalid_body = json.loads(records[3].body)
        del invalid_body["verb"]
        invalid = records[3]._replace(body=json.dumps(invalid_body).encode())
        rest = records[4:]
        batch = [rest[0], conflicting, *rest[1:5], invalid, rest[1], records[1], invalid, *rest[5:]]
        result = sink.write(batch)
    finally:
        sink.close()
    refused = {r.body: (reason, detail) for r, reason, detail in result.rejected}
    assert sorted(r.body for r, _, _ in result.rejected) == sorted(
        [conflicting.body, invalid.body, invalid.body]
    )
    assert refused[conflicting.body][0] == "lrs conflict (409)"
    assert "Differing statements already exist" in refused[conflicting.body][1]
    assert refused[invalid.body][0] == "lrs invalid (422)"
    assert "verb" in refused[invalid.body][1]
    assert result.written == len(rest)
    assert result.already_present == 2  # records[1] was stored before; rest[1] twice in the batch: sent once
    stored = {s["id"]: s for s in ralph.stored()}
    assert stored[records[0].statement_id]["result"] == json.loads(records[0].body)["result"]
    assert records[3].statement_id not in stored
    _assert_stored_once(ralph, records[:3] + rest)


def test_an_lrs_that_stays_down_stops_the_run_saying_what_was_delivered(ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=3, start_days=500)
    expected = file_output(log, tmp_path)
    opts = _fast(batch_size=5, concurrency=1, max_retries=2)
    with FaultProxy(ralph.port, fail_after=2) as proxy, pytest.raises(BackfillError) as failure:
        run_xapi(xapi_args(log, tmp_path, [f"lrs+{proxy.url()}"], lrs=opts))
    message = str(failure.value)
    assert PASSWORD not in message
    assert "gave up after 2 retries (last failure: 503" in message
    acknowledged = int(re.search(r"before stopping: ([\d,]+) statements", message)[1].replace(",", ""))
    not_delivered = int(re.search(r"Not delivered: ([\d,]+) statements", message)[1].replace(",", ""))
    assert acknowledged > 0 and not_delivered > 0
    copies = _copies_in(ralph.stored(), expected)
    assert sum(copies.values()) == acknowledged == len(copies)  # nothing unacknowledged claimed
    assert not (tmp_path / "summary.json").exists()  # the run did not complete


def test_fan_out_delivers_every_statement_to_each_lrs(ralph, second_ralph, tmp_path):
    log = shifted_log(tmp_path / "in.log", copies=2, start_days=600)
    expected = file_output(log, tmp_path)
    run_xapi(xapi_args(log, tmp_path, [ralph.dest, second_ralph.dest], lrs=_fast(batch_size=4)))
    _assert_stored_once(ralph, expected)
    _assert_stored_once(second_ralph, expected)
    s = summary(tmp_path)
    _counts_add_up(s)
    assert s["destination"] == f"{ralph.dest} + {second_ralph.dest}"
    assert len(s["notes"]) == 2 and all("stored" in n for n in s["notes"])
    conflicts = later_conflicts(expected)
    assert sum(s["statements_rejected"].values()) == len(conflicts)
    assert all(ralph.dest in r["detail"] and second_ralph.dest in r["detail"] for r in rejects(tmp_path))


@pytest.mark.parametrize(
    ("dest_userinfo", "env", "code", "says"),
    [
        (f"{USERNAME}@", {"LRS_PASSWORD": "wrong-Pa55word"}, 1, "refused the credentials"),
        ("", {"LRS_TOKEN": "tok-3x4mple-SECRET"}, 1, "refused the credentials"),
        (f"{USERNAME}:url-Pa55word@", {}, 2, "do not put the password in the URL"),
    ],
)
def test_credentials_never_appear_in_output(ralph, tmp_path, dest_userinfo, env, code, says):
    log = shifted_log(tmp_path / "in.log", copies=1, start_days=700)
    secret = next(iter(env.values()), "url-Pa55word")
    done = _cli_xapi(log, tmp_path, f"lrs+http://{dest_userinfo}127.0.0.1:{ralph.port}/xAPI/", env=env)
    assert done.returncode == code, done.stderr
    assert says in done.stderr
    assert secret not in done.stdout + done.stderr
    assert f"127.0.0.1:{ralph.port}/xAPI/" in done.stderr  # which LRS, without its userinfo
