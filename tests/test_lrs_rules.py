"""The LRS destination's rules that need no server: URLs, duplicate ids, backoff, fan-out counting."""

from __future__ import annotations

import email.utils
import time

import pytest

from aspects_backfill.errors import UsageError
from aspects_backfill.sinks.base import Record, WriteResult
from aspects_backfill.sinks.fanout import combine
from aspects_backfill.sinks.lrs import parse_lrs_url, split_duplicates
from aspects_backfill.sinks.lrs_delivery import RetryPolicy, _retry_after


def _rec(sid: str, body: str = "{}", line: int = 1) -> Record:
    return Record(sid, "", body.encode(), "in.log", line)


@pytest.mark.parametrize(
    ("dest", "name", "endpoint"),
    [
        (
            "lrs+https://lrs.example.com/xAPI/",
            "lrs+https://lrs.example.com/xAPI/",
            "https://lrs.example.com/xAPI/statements",
        ),
        ("lrs+http://h:8100/xAPI", "lrs+http://h:8100/xAPI", "http://h:8100/xAPI/statements"),
        (
            "lrs+https://u@h/ralph/xAPI/statements",
            "lrs+https://h/ralph/xAPI/statements",
            "https://h/ralph/xAPI/statements",
        ),
    ],
)
def test_url_gives_endpoint_and_a_name_without_userinfo(dest, name, endpoint):
    target = parse_lrs_url(dest)
    assert (target.name, target.endpoint) == (name, endpoint)


def test_username_in_url_is_kept_a_password_is_refused_without_echo():
    assert parse_lrs_url("lrs+https://ralph@h/xAPI/").username == "ralph"
    with pytest.raises(UsageError) as err:
        parse_lrs_url("lrs+https://ralph:s3cr3t-pw@h/xAPI/")
    assert "s3cr3t-pw" not in str(err.value) and "lrs+https://h/xAPI/" in str(err.value)


def test_duplicate_ids_keep_the_first_identical_repeats_count_other_content_waits():
    a, a_again, a_other, b = _rec("a", "1"), _rec("a", "1", 2), _rec("a", "2", 3), _rec("b")
    first, later, repeats = split_duplicates([a, b, a_again, a_other])
    assert (first, later, repeats) == ([a, b], [a_other], [(a_again, a)])


def test_retry_after_reads_seconds_and_http_dates():
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= _retry_after(in_a_minute) <= 61


def test_backoff_grows_with_jitter_and_waits_at_least_what_the_server_asks():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)
    assert all(0.5 <= policy.delay(0, None) <= 1.0 for _ in range(50))
    assert all(4.0 <= policy.delay(3, None) <= 8.0 for _ in range(50))
    assert all(4.0 <= policy.delay(10, None) <= 8.0 for _ in range(50))  # capped
    assert policy.delay(0, 20.0) >= 20.0


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def test_fan_out_counts_a_statement_delivered_only_where_every_destination_took_it():
    batch = [_rec(str(i), line=i) for i in range(5)]
    one = WriteResult(written=3, already_present=1, rejected=[(batch[4], "lrs conflict (409)", "differs")])
    two = WriteResult(
        written=1, already_present=3, rejected=[(batch[4], "lrs conflict (409)", "differs too")]
    )
    out = combine(batch, [(_Named("A"), one), (_Named("B"), two)])
    assert (out.written, out.already_present) == (3, 1)
    assert [(r, reason) for r, reason, _ in out.rejected] == [(batch[4], "lrs conflict (409)")]
    assert out.rejected[0][2] == "A: differs | B: differs too"
