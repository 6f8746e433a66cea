"""s3:// sources against a real S3 endpoint (moto in server mode on 127.0.0.1): listing across
pages, gz and plain objects, and downloads whose connection is cut mid-object."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aspects_backfill.errors import BackfillError
from aspects_backfill.sources_s3 import S3Settings, list_objects
from logdata import lookup_args, video_line, video_log
from s3_server import CREDENTIALS, CuttingProxy, client, moto_server

SRC = Path(__file__).parent.parent / "src"


def _env() -> dict[str, str]:
    env = dict(os.environ, **CREDENTIALS, PYTHONPATH=str(SRC))
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return env


def backfill(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "aspects_backfill", "xapi", *args, "--quiet", *lookup_args()]
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=check, timeout=120)


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def s3():
    with moto_server() as endpoint:
        yield endpoint


def test_lists_every_page_in_key_order_and_reads_gz_and_plain(s3: str, tmp_path: Path) -> None:
    s3c = client(s3)
    s3c.create_bucket(Bucket="logs-many")
    count = 1050  # more than one 1,000-key listing page
    expected_local = tmp_path / "local"
    expected_local.mkdir()
    for i in range(count):
        body = video_line(i)
        key = f"tracking/log-{i:05d}" + (".gz" if i % 2 else "")
        s3c.put_object(Bucket="logs-many", Key=key, Body=gzip.compress(body) if i % 2 else body)
        (expected_local / key.rsplit("/", 1)[1]).write_bytes(body)
    s3c.put_object(Bucket="logs-many", Key="tracking/", Body=b"")  # folder marker: not a log
    s3c.put_object(Bucket="logs-many", Key="other/log", Body=video_line(99999))

    objects = list_objects("s3://logs-many/tracking", S3Settings(endpoint_url=s3), s3c)
    assert [o.name for o in objects] == sorted(o.name for o in objects)
    assert len(objects) == count

    out = tmp_path / "s3.jsonl"
    backfill("s3://logs-many/tracking", "--source-endpoint", s3, "--to", f"file:{out}")
    local = tmp_path / "local.jsonl"
    backfill(str(expected_local), "--to", f"file:{local}")
    assert out.read_bytes() == local.read_bytes()
    assert len(set(_ids(out))) == count


def test_a_cut_connection_resumes_from_the_byte_it_stopped_at(s3: str, tmp_path: Path) -> None:
    s3c = client(s3)
    s3c.create_bucket(Bucket="logs-cut")
    plain = video_log(0, 4000)
    packed = gzip.compress(video_log(4000, 30000), compresslevel=1)
    assert len(packed) > 500_000 and len(plain) > 500_000
    s3c.put_object(Bucket="logs-cut", Key="cut-a.log", Body=plain)
    s3c.put_object(Bucket="logs-cut", Key="cut-b.log.gz", Body=packed)
    local = tmp_path / "local"
    local.mkdir()
    (local / "cut-a.log").write_bytes(plain)
    (local / "cut-b.log.gz").write_bytes(packed)

    proxy = CuttingProxy(s3, marker=b"/cut-", after_bytes=200_000, cuts=3)
    try:
        out = tmp_path / "s3.jsonl"
        run = backfill("s3://logs-cut/", "--source-endpoint", proxy.endpoint, "--to", f"file:{out}")
    finally:
        proxy.close()
    assert proxy.cuts_done == 3
    assert run.stderr.count("connection lost at byte") == 3
    expected = tmp_path / "local.jsonl"
    backfill(str(local), "--to", f"file:{expected}")
    assert out.read_bytes() == expected.read_bytes()
    assert len(set(_ids(out))) == 34000


def test_retries_are_bounded(s3: str) -> None:
    s3c = client(s3)
    s3c.create_bucket(Bucket="logs-dead")
    s3c.put_object(Bucket="logs-dead", Key="cut-dead.log", Body=video_log(0, 2000))
    proxy = CuttingProxy(s3, marker=b"/cut-", after_bytes=100_000, cuts=1000)
    try:
        settings = S3Settings(
            endpoint_url=proxy.endpoint,
            access_key="testing",
            secret_key="testing",
            region="us-east-1",
            max_retries=2,
            max_resumes=4,
            backoff_seconds=0.01,
        )
        (obj,) = list_objects("s3://logs-dead/", settings)
        expected = r"failed at byte .* 4 resume\(s\) in all\); run the command again"
        with pytest.raises(BackfillError, match=expected), obj.open() as stream:
            while stream.read(1 << 16):
                pass
    finally:
        proxy.close()


def test_missing_bucket_and_empty_prefix_are_clear_errors(s3: str) -> None:
    client(s3).create_bucket(Bucket="logs-empty")
    run = backfill("s3://logs-empty/nothing", "--source-endpoint", s3, check=False)
    assert run.returncode == 2 and "no objects under s3://logs-empty/nothing" in run.stderr
    run = backfill("s3://no-such-bucket/x", "--source-endpoint", s3, check=False)
    assert run.returncode == 1 and "NoSuchBucket" in run.stderr
    assert "testing" not in run.stderr
