"""The xapi command end to end in a child process: outputs, counts, rejects, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(*args: str, env: dict | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "LMS_ROOT_URL"}
    full_env.update({"PYTHONPATH": str(ROOT / "src"), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "aspects_backfill", *args], capture_output=True, env=full_env, input=stdin
    )


def sample_args(*extra: str) -> list[str]:
    return [
        "xapi",
        str(EXAMPLES / "tracking.log"),
        "--lms-root-url",
        "http://localhost:18000",
        "--actors",
        str(EXAMPLES / "actors.csv"),
        "--courses",
        str(EXAMPLES / "courses.csv"),
        "--quiet",
        *extra,
    ]


def test_counts_add_up_and_rejects_are_kept(tmp_path) -> None:
    out, rejects, summary = tmp_path / "out.ndjson", tmp_path / "rejects.jsonl", tmp_path / "summary.json"
    proc = run(*sample_args("--to", f"file:{out}", "--rejects", str(rejects), "--summary-json", str(summary)))
    assert proc.returncode == 0, proc.stderr.decode()
    s = json.loads(summary.read_text())
    assert s["lines_read"] == 33
    assert s["lines_read"] == s["lines_transformed"] + sum(s["skipped"].values()) + sum(
        s["rejected"].values()
    )
    assert s["rejected"] == {"unknown user": 1, "unparsable": 1}
    assert s["skipped"] == {"not allowed": 1}
    statements = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(statements) == s["statements_written"] == s["statements_made"]
    assert len({st["id"] for st in statements}) == len(statements)
    entries = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert sorted(e["reason"] for e in entries) == ["unknown user", "unparsable"]
    assert all(e["line"] and e["line_number"] > 0 and e["source"].endswith("tracking.log") for e in entries)


def test_stdout_and_stdin(tmp_path) -> None:
    data = (EXAMPLES / "tracking.log").read_bytes()
    proc = run(*sample_args("--to", "-")[:1], "-", *sample_args("--to", "-")[2:], stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.splitlines()
    assert lines and all(json.loads(x)["version"] == "1.0.3" for x in lines)


def test_gzip_output_equals_plain(tmp_path) -> None:
    import gzip

    plain, packed = tmp_path / "a.ndjson", tmp_path / "a.ndjson.gz"
    assert run(*sample_args("--to", f"file:{plain}")).returncode == 0
    assert run(*sample_args("--to", f"file:{packed}")).returncode == 0
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()


def test_missing_lms_root_url_is_a_usage_error() -> None:
    args = sample_args("--to", "-")
    args.remove("--lms-root-url")
    args.remove("http://localhost:18000")
    proc = run(*args)
    assert proc.returncode == 2
    assert b"LMS_ROOT_URL" in proc.stderr
    assert len(proc.stderr.decode().strip().splitlines()) == 1


def test_lms_root_url_from_environment(tmp_path) -> None:
    args = sample_args("--to", f"file:{tmp_path / 'o.ndjson'}")
    args.remove("--lms-root-url")
    args.remove("http://localhost:18000")
    proc = run(*args, env={"LMS_ROOT_URL": "https://lms.example.org/"})
    assert proc.returncode == 0, proc.stderr.decode()
    first = json.loads((tmp_path / "o.ndjson").read_text().splitlines()[0])
    assert first["actor"]["account"]["homePage"] == "https://lms.example.org"


def test_unknown_source_is_a_usage_error() -> None:
    args = sample_args("--to", "-")
    args[1] = "/nonexistent/tracking.log"
    proc = run(*args)
    assert proc.returncode == 2
    assert b"/nonexistent/tracking.log" in proc.stderr
