"""The server path (clickhouse://, HTTP through clickhouse-connect) against a chDB-backed double.

The double (tests/support/chdb_http.py) runs as its own process on 127.0.0.1 with a password;
it can drop connections on demand, and is killed to test a server that goes away.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aspects_backfill.errors import BackfillError
from aspects_backfill.sinks.clickhouse import ClickHouseSink
from support.chtest import aspects_dir, distinct, oracle_statements, records, require_aspects_schema

TESTS = Path(__file__).resolve().parent
PASSWORD = "s3cret-Pa55"


class Double:
    def __init__(self, path: Path, *flags: str) -> None:
        env = {**os.environ, "DOUBLE_PASSWORD": PASSWORD}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(TESTS / "support" / "chdb_http.py"),
                str(path),
                "--password-env",
                "DOUBLE_PASSWORD",
                *flags,
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"clickhouse://default@127.0.0.1:{self.port}"

    def drop_next(self, n: int) -> None:
        import httpx

        httpx.post(f"http://127.0.0.1:{self.port}/__drop?n={n}").raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def server(tmp_path, monkeypatch) -> Iterator[Double]:
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", PASSWORD)
    double = Double(tmp_path / "server")
    try:
        yield double
    finally:
        double.stop()


def _count(sink: ClickHouseSink) -> tuple[int, int]:
    rows = sink.ch.query("SELECT count(), uniqExact(event_id) FROM xapi.xapi_events_all")
    return int(rows[0][0]), int(rows[0][1])


def test_loads_once_over_http(server) -> None:
    statements = oracle_statements()
    unique = distinct(statements)
    sink = ClickHouseSink(server.url)
    try:
        first = sink.write(records(statements))
        again = sink.write(records(statements))
        assert first.written == len(unique) and first.already_present == len(statements) - len(unique)
        assert (again.written, again.already_present) == (0, len(statements))
        assert _count(sink) == (len(unique), len(unique))
    finally:
        sink.close()


def test_lost_connections_are_retried_without_duplicates(server, caplog) -> None:
    unique = distinct(oracle_statements())
    sink = ClickHouseSink(server.url, retry_delays=(0.05,) * 6)
    try:
        server.drop_next(5)  # more than clickhouse-connect's own replays
        result = sink.write(records(unique))
        assert result.written == len(unique) and not result.rejected
        assert _count(sink) == (len(unique), len(unique))
    finally:
        sink.close()
    assert "retrying in" in caplog.text


def test_a_server_that_goes_away_says_what_was_loaded(server) -> None:
    unique = distinct(oracle_statements())
    sink = ClickHouseSink(server.url, retry_delays=(0.05, 0.05))
    try:
        assert sink.write(records(unique[:10])).written == 10
        server.stop()
        with pytest.raises(BackfillError) as failure:
            sink.write(records(unique[10:]))
    finally:
        sink.close()
    message = str(failure.value)
    assert "10 statements were loaded in this run" in message
    assert f"a batch of {len(unique) - 10} statements was not loaded" in message
    assert PASSWORD not in message


def test_wrong_password_is_refused_without_echoing_it(server, monkeypatch) -> None:
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "wrong-password-123")
    with pytest.raises(BackfillError) as failure:
        ClickHouseSink(server.url, retry_delays=())
    assert "wrong-password-123" not in str(failure.value)
    assert "516" in str(failure.value) or "Authentication" in str(failure.value)


def test_password_in_the_url_is_refused(server) -> None:
    with pytest.raises(BackfillError, match="CLICKHOUSE_PASSWORD"):
        ClickHouseSink(f"clickhouse://default:{PASSWORD}@127.0.0.1:{server.port}")


def test_cli_over_http(server, tmp_path) -> None:
    golden = TESTS / "golden"
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent / "src")}
    args = [
        sys.executable, "-m", "aspects_backfill", "xapi", "--quiet", "--to", server.url,
        "--lms-root-url", "http://localhost:18000", "--actors", str(golden / "users.csv"),
        "--courses", str(golden / "courses.csv"), str(golden / "inputs" / "video-fixtures.log"),
    ]  # fmt: skip
    for _ in range(2):
        done = subprocess.run(args, capture_output=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        assert PASSWORD.encode() not in done.stdout + done.stderr
    query = subprocess.run(
        [
            sys.executable,
            "-m",
            "aspects_backfill",
            "query",
            "--to",
            server.url,
            "SELECT count() FROM xapi.xapi_events_all",
        ],
        capture_output=True,
        env=env,
        timeout=60,
    )
    unique = {
        line for line in (golden / "expected" / "video-fixtures.jsonl").read_text().split('"id": "')[1:]
    }
    assert int(query.stdout) == len({u.split('"', 1)[0] for u in unique if len(u.split('"', 1)[0]) == 36})


def test_refused_statements_over_http_into_aspects(tmp_path, monkeypatch) -> None:
    """The preflight copy of Aspects' view chain, created and dropped through the server."""
    require_aspects_schema()
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", PASSWORD)
    double = Double(aspects_dir(tmp_path / "server"))
    try:
        statements = distinct(oracle_statements())
        sink = ClickHouseSink(double.url)
        try:
            result = sink.write(records(statements))
            scratch = sink.ch.query(
                "SELECT count() FROM system.databases WHERE name LIKE 'aspects_backfill_check_%'"
            )
        finally:
            sink.close()
        refused = {r.statement_id for r, _, _ in result.rejected}
        assert refused and all("Int16" in detail for _, _, detail in result.rejected)
        assert result.written == len(statements) - len(refused)
        assert scratch[0][0] == 1
        check = ClickHouseSink(double.url)
        try:
            assert _count(check) == (result.written, result.written)
            assert (
                check.ch.query(
                    "SELECT count() FROM system.databases WHERE name LIKE 'aspects_backfill_check_%'"
                )[0][0]
                == 1
            )
        finally:
            check.close()
    finally:
        double.stop()


def test_a_user_without_ddl_rights_loads_into_existing_tables(tmp_path, monkeypatch) -> None:
    """Like Aspects' ch_lrs: INSERT and SELECT only. No CREATE is sent for existing tables; the
    scratch copy cannot be made, so refused batches are split on the real table, and said so."""
    require_aspects_schema()
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", PASSWORD)
    double = Double(aspects_dir(tmp_path / "server"), "--deny-ddl")
    try:
        statements = distinct(oracle_statements())
        good = [s for s in statements if "attempt-id" in str(s) or "evaluated" not in s["verb"]["id"]]
        sink = ClickHouseSink(double.url)
        try:
            assert sink.preflight is None
            assert any("scratch copy" in note for note in sink.warnings())
            result = sink.write(records(good))
            assert result.written == len(good) and not result.rejected
            assert _count(sink) == (len(good), len(good))
        finally:
            sink.close()
    finally:
        double.stop()


def test_an_error_no_statement_causes_stops_the_run_without_splitting(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", PASSWORD)
    double = Double(tmp_path / "server", "--deny", "INSERT")
    try:
        sink = ClickHouseSink(double.url)
        try:
            with pytest.raises(BackfillError) as failure:
                sink.write(records(distinct(oracle_statements())))
        finally:
            sink.close()
    finally:
        double.stop()
    message = str(failure.value)
    assert "Not enough privileges" in message and "0 statements were loaded" in message
