"""The reader: log lines → events as ERB's parser makes them, and sources that stream."""

from __future__ import annotations

import bz2
import gzip
import io
import json

import pytest
import zstandard

from aspects_backfill.errors import UsageError
from aspects_backfill.reader import MAX_LINE_BYTES, iter_lines, parse_line
from aspects_backfill.sources import expand
from aspects_backfill.transform import Rejected

PREFIX = b"2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "


def test_prefix_is_skipped_and_event_string_parsed() -> None:
    body = {"name": "play_video", "time": "2024-01-01T00:00:00Z", "event": json.dumps({"id": "v1"})}
    event = parse_line(PREFIX + json.dumps(body).encode() + b"\r\n")
    assert event["data"] == {"id": "v1"}
    assert event["event"] == body["event"]  # the raw field stays, as in ERB
    assert event["timestamp"] == "2024-01-01T00:00:00Z"


def test_event_string_that_is_not_json_stays_a_string() -> None:
    event = parse_line(b'{"name": "x", "event": "input_abc=1&b=2"}')
    assert event["data"] == "input_abc=1&b=2"


def test_timestamp_wins_over_time() -> None:
    event = parse_line(b'{"event": {}, "timestamp": "a", "time": "b"}')
    assert event["timestamp"] == "a"


@pytest.mark.parametrize(
    "line",
    [
        b"no json here",
        b'{"name": "x", "event": {}} trailing',
        b'{"name": "x", "event": {}',
        b'{"name": "x"}',  # no event key
        b'prefix {"name": "x", "event": {} } {',
    ],
)
def test_unparsable_lines_are_rejected(line: bytes) -> None:
    with pytest.raises(Rejected) as info:
        parse_line(line)
    assert info.value.reason == "unparsable"


def test_what_only_the_standard_library_accepts_still_parses() -> None:
    event = parse_line(b'{"event": {"x": NaN, "big": 123456789012345678901234567890}, "name": "\xff"}')
    assert event["data"]["big"] == 123456789012345678901234567890
    assert event["name"] == "\ufffd"


def test_integers_beyond_64_bits_stay_exact() -> None:
    # orjson would read these as floats (no error), so the exact ints must come from elsewhere
    big, neg = 1180591620717411303424, -9223372036854775809
    event = parse_line(b'{"event": "{\\"id\\": %d}", "name": "x", "n": %d}' % (big, neg))
    assert event["data"]["id"] == big and isinstance(event["data"]["id"], int)
    assert event["n"] == neg and isinstance(event["n"], int)


def test_iter_lines_numbers_lines_and_cuts_overlong_ones() -> None:
    data = b"a\n" + b"x" * (MAX_LINE_BYTES + 10) + b"\nb\nc"
    lines = list(iter_lines(io.BytesIO(data)))
    assert [n for n, _ in lines] == [1, 2, 3, 4]
    assert lines[0][1] == b"a\n"
    assert len(lines[1][1]) == MAX_LINE_BYTES
    assert lines[2][1] == b"b\n" and lines[3][1] == b"c"


def test_sources_walk_directories_in_name_order_and_decompress(tmp_path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.log.gz").write_bytes(gzip.compress(b"two\n"))
    (tmp_path / "a.log.bz2").write_bytes(bz2.compress(b"one\n"))
    (tmp_path / "c.log.zst").write_bytes(zstandard.ZstdCompressor().compress(b"three\n"))
    (tmp_path / ".hidden").write_bytes(b"nope\n")
    objects = expand([str(tmp_path)])
    assert [o.name.rsplit("/", 1)[-1] for o in objects] == ["a.log.bz2", "2.log.gz", "c.log.zst"]
    assert [o.open().read() for o in objects] == [b"one\n", b"two\n", b"three\n"]


def test_globs_and_missing_sources(tmp_path) -> None:
    (tmp_path / "x1.log").write_bytes(b"")
    (tmp_path / "x2.log").write_bytes(b"")
    assert len(expand([str(tmp_path / "x*.log")])) == 2
    with pytest.raises(UsageError):
        expand([str(tmp_path / "nothing*.log")])


def test_compression_is_recognised_by_content_and_plain_objects_resume_by_seeking(tmp_path) -> None:
    import lzma

    from aspects_backfill.sources import open_from

    (tmp_path / "rotated").write_bytes(gzip.compress(b"gz\n"))  # no suffix, as some stores keep them
    (tmp_path / "x.xz").write_bytes(lzma.compress(b"xz\n"))
    (tmp_path / "plain.gz").write_bytes(b"not compressed\n")  # a suffix that lies
    (tmp_path / "resume.log").write_bytes(b"one\ntwo\nthree\n")
    got = {o.name.rsplit("/", 1)[-1]: o for o in expand([str(tmp_path)])}
    assert [got[n].open().read() for n in ("rotated", "x.xz", "plain.gz")] == [
        b"gz\n",
        b"xz\n",
        b"not compressed\n",
    ]
    stream, positioned = open_from(got["resume.log"], 4)
    assert positioned and stream.read() == b"two\nthree\n"
    stream, positioned = open_from(got["rotated"], 1)  # compressed: the caller skips lines instead
    assert not positioned and stream.read() == b"gz\n"
