"""transform-tracking-logs (ERB's command line) on this tool's engine: same output as ``xapi``,
local and S3 sources and destinations (moto server), never overwriting, clear errors."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from logdata import lookup_args, video_log
from s3_server import CREDENTIALS, client, moto_server

SRC = Path(__file__).parent.parent / "src"


SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURE_LOG = SHARED / "erb-fixtures" / "management_command" / "tracking.log"
SECRET = "very-secret-value-123"


def _fixture_log() -> Path:
    if not FIXTURE_LOG.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{FIXTURE_LOG} is missing (../shared is required in CI)")
        pytest.skip("../shared is not here")
    return FIXTURE_LOG


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, **CREDENTIALS, PYTHONPATH=str(SRC))
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    cmd = [sys.executable, "-m", "aspects_backfill", *args, "--quiet", *lookup_args()]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert run.returncode == 0, run.stderr
    return run


def erb(source_provider: str, source_config: str, *rest: str, check: bool = True):
    return cli(
        "transform-tracking-logs",
        "--source_provider",
        source_provider,
        "--source_config",
        source_config,
        "--transformer_type",
        "xapi",
        *rest,
        check=check,
    )


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """base/logs: the ERB fixture log, a gzipped rotated log, a sub-directory, and a non-match."""
    root = tmp_path / "base" / "logs"
    (root / "tracking").mkdir(parents=True)
    shutil.copy(_fixture_log(), root / "tracking.log")
    (root / "tracking.log-20240101.gz").write_bytes(gzip.compress(video_log(0, 300)))
    (root / "tracking" / "old.log").write_bytes(video_log(300, 200))
    (root / "other.log").write_bytes(video_log(900, 5))
    return root


def _matching(root: Path) -> list[str]:
    return [str(root / n) for n in ("tracking.log", "tracking.log-20240101.gz", "tracking/old.log")]


def test_local_to_local_equals_xapi_and_never_overwrites(tmp_path: Path, logs: Path) -> None:
    expected = tmp_path / "expected.jsonl"
    for path in _matching(logs):  # xapi on the same files, in name order, appended
        part = tmp_path / "part.jsonl"
        cli("xapi", path, "--to", f"file:{part}", "--restart")
        expected.write_bytes((expected.read_bytes() if expected.exists() else b"") + part.read_bytes())
        part.unlink()
    source = f'{{"key": "{tmp_path / "base"}", "container": "logs", "prefix": "tracking"}}'
    dest = f'{{"key": "{tmp_path / "out"}", "container": "lrs", "prefix": "xapi"}}'
    args = ("--destination_provider", "LOCAL", "--destination_config", dest, "--batch_size", "100")
    erb("LOCAL", source, *args)
    outdir = tmp_path / "out" / "lrs" / "xapi"
    (first,) = sorted(outdir.glob("*_xapi.log"))
    assert first.read_bytes() == expected.read_bytes()
    assert len(first.read_bytes().splitlines()) >= 500  # the video lines, and what the fixture log gives
    again = erb("LOCAL", source, *args)  # the same command again: already complete, nothing rewritten
    assert "finished by an earlier run" in again.stderr
    assert sorted(outdir.glob("*_xapi.log")) == [first]
    erb("LOCAL", source, *args, "--restart")  # a new run: a new file beside the first
    files = sorted(outdir.glob("*_xapi.log"))
    assert len(files) == 2 and files[0].read_bytes() == files[1].read_bytes() == expected.read_bytes()


def test_s3_source_and_minio_destination(tmp_path: Path, logs: Path) -> None:
    with moto_server() as endpoint:
        s3 = client(endpoint)
        s3.create_bucket(Bucket="tracking-logs")
        s3.create_bucket(Bucket="xapi-out")
        for path in logs.rglob("*"):
            if path.is_file():
                s3.put_object(
                    Bucket="tracking-logs", Key=f"lms/{path.relative_to(logs)}", Body=path.read_bytes()
                )
        host, port = endpoint.removeprefix("http://").split(":")
        conn = f'"key": "testing", "secret": "testing", "host": "{host}", "port": {port}, "secure": false'
        source = f'{{{conn}, "container": "tracking-logs", "prefix": "lms/tracking"}}'
        dest = f'{{{conn}, "container": "xapi-out", "prefix": "backfill"}}'
        erb(
            "S3",
            source,
            "--destination_provider",
            "MINIO",
            "--destination_config",
            dest,
            "--batch_size",
            "200",
        )
        local = tmp_path / "local.jsonl"
        erb(
            "LOCAL",
            f'{{"key": "{tmp_path / "base"}", "container": "logs", "prefix": "tracking"}}',
            "--destination_provider",
            "LOCAL",
            "--destination_config",
            f'{{"key": "{tmp_path}", "container": "l", "prefix": "x"}}',
        )
        (local,) = (tmp_path / "l" / "x").glob("*_xapi.log")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="xapi-out")["Contents"]]
        assert all(k.startswith("backfill/") and k.endswith(".log") for k in keys)
        body = b"".join(s3.get_object(Bucket="xapi-out", Key=k)["Body"].read() for k in sorted(keys))
        assert body == local.read_bytes()
        erb("S3", source, "--destination_provider", "MINIO", "--destination_config", dest, "--restart")
        after = [o["Key"] for o in s3.list_objects_v2(Bucket="xapi-out")["Contents"]]
        assert set(keys) < set(after)  # a new run adds objects, the earlier ones stay


def test_dry_run_transforms_everything_and_writes_nothing(tmp_path: Path, logs: Path) -> None:
    source = f'{{"key": "{tmp_path / "base"}", "container": "logs", "prefix": "tracking"}}'
    summary = tmp_path / "summary.json"
    run = erb("LOCAL", source, "--dry_run", "--summary-json", str(summary))
    counts = json.loads(summary.read_text())
    assert counts["statements_made"] >= 500 and counts["statements_written"] == 0
    assert counts["events"]["play_video"] > 0 and "statements by event" in run.stderr
    summary.unlink()
    assert not list(tmp_path.rglob("*.backfill-state*")) and not list(tmp_path.rglob("*_xapi.log"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--source_provider", "AZURE_BLOBS"], "--source_provider AZURE_BLOBS is not supported"),
        (["--transformer_type", "caliper"], "--transformer_type caliper is not supported"),
        (
            ["--destination_provider", "GOOGLE_STORAGE"],
            "--destination_provider GOOGLE_STORAGE is not supported",
        ),
        (["--destination_provider", "LRS"], "needs --lrs-urls"),
        (["--source_config", '{"container": "c"}'], "'container' and 'prefix' must be defined"),
        (
            ["--source_config", f'{{"secret": "{SECRET}", "token": 1, "container": "c", "prefix": ""}}'],
            "token",
        ),
        (["--source_config", f'{{"secret": "{SECRET}",'], "not valid JSON"),
    ],
)
def test_unsupported_options_are_named(tmp_path: Path, args: list[str], message: str) -> None:
    base = {
        "--source_provider": "LOCAL",
        "--source_config": f'{{"key": "{tmp_path}", "container": ".", "prefix": ""}}',
        "--transformer_type": "xapi",
        "--destination_provider": "LOCAL",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    run = cli("transform-tracking-logs", *flat, check=False)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert SECRET not in run.stderr + run.stdout


def test_bucket_destination_is_exactly_once_after_sigkill(tmp_path: Path) -> None:
    logs = tmp_path / "base" / "logs"
    logs.mkdir(parents=True)
    (logs / "tracking.log").write_bytes(video_log(0, 60_000))
    with moto_server() as endpoint:
        s3 = client(endpoint)
        s3.create_bucket(Bucket="xapi-killed")
        host, port = endpoint.removeprefix("http://").split(":")
        dest = f'{{"key": "testing", "secret": "testing", "host": "{host}", "port": {port}, "secure": false, '
        dest += '"container": "xapi-killed", "prefix": "run"}'
        source = f'{{"key": "{tmp_path / "base"}", "container": "logs", "prefix": "tracking"}}'
        args = ["--destination_provider", "MINIO", "--destination_config", dest, "--batch_size", "2000"]

        def objects() -> list[str]:
            return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="xapi-killed").get("Contents", []))

        env = dict(os.environ, **CREDENTIALS, PYTHONPATH=str(SRC))
        cmd = [
            sys.executable,
            "-m",
            "aspects_backfill",
            "transform-tracking-logs",
            "--source_provider",
            "LOCAL",
        ]
        cmd += ["--source_config", source, "--transformer_type", "xapi", *args, "--quiet", *lookup_args()]
        for wanted in (1, 3):  # kill once some objects are written (and maybe one more is on its way)
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while proc.poll() is None and len(objects()) < wanted:
                time.sleep(0.05)
            proc.kill()
            proc.wait(timeout=30)
        erb("LOCAL", source, *args)
        body = b"".join(s3.get_object(Bucket="xapi-killed", Key=k)["Body"].read() for k in objects())
    reference = tmp_path / "reference.jsonl"
    cli("xapi", str(logs / "tracking.log"), "--to", f"file:{reference}")
    assert body == reference.read_bytes()


def test_lrs_destination_with_lrs_urls_and_a_sigkill_in_between(ralph, tmp_path: Path) -> None:
    from ralph_lrs import PASSWORD, USERNAME

    logs = tmp_path / "base" / "logs"
    logs.mkdir(parents=True)
    first = 50_000_000  # timestamps (so ids) no other test sends to the shared Ralph
    (logs / "tracking.log").write_bytes(video_log(first, 10_000))
    source = f'{{"key": "{tmp_path / "base"}", "container": "logs", "prefix": "tracking"}}'
    reference = tmp_path / "reference.jsonl"
    cli("xapi", str(logs / "tracking.log"), "--to", f"file:{reference}")
    want = [json.loads(line)["id"] for line in reference.read_text().splitlines()]

    env = dict(os.environ, PYTHONPATH=str(SRC), LRS_USERNAME=USERNAME, LRS_PASSWORD=PASSWORD)
    cmd = [sys.executable, "-m", "aspects_backfill", "transform-tracking-logs", "--source_provider", "LOCAL"]
    cmd += ["--source_config", source, "--transformer_type", "xapi", "--destination_provider", "LRS"]
    cmd += ["--lrs-urls", ralph.base, "--batch_size", "200", "--quiet", *lookup_args()]

    store = ralph.dir / "data" / "fs_lrs.jsonl"

    def store_size() -> int:
        return store.stat().st_size if store.exists() else 0

    before = store_size()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and store_size() < before + 1_000_000:  # some 1,000 statements in
        time.sleep(0.01)
    proc.kill()
    proc.wait(timeout=30)
    ids = set(want)
    assert sum(1 for s in ralph.stored() if s["id"] in ids) < len(want)  # the kill came before the end
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    copies = [s["id"] for s in ralph.stored() if s["id"] in ids]
    assert sorted(copies) == sorted(want)  # every statement once: none lost, none twice
