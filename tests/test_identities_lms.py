"""Learner ids and course names from a real MariaDB holding edx-platform's LMS tables.

The server is started once for this module on 127.0.0.1 (see lms_db.py); each test makes
its own database. Lookups follow ERB's order against the LMS; create mode makes ids the
LMS keeps; the CSV, ClickHouse and LMS sources give the same statements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pymysql
import pytest

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.clickhouse.schema import ensure_event_sink
from aspects_backfill.courses.rows import OVERVIEW_COLUMNS
from aspects_backfill.errors import BackfillError, UsageError
from aspects_backfill.identities import IdentityOptions, load_actors_csv, load_courses_csv, open_identities
from aspects_backfill.identities.clickhouse_source import load_actors_clickhouse, load_courses_clickhouse
from aspects_backfill.identities.copy_actors import copy_actors
from aspects_backfill.identities.lms import Lms, parse_lms_url
from aspects_backfill.identities.lookup import NO_XAPI_ID, UNKNOWN_USER, LmsActorLookup
from aspects_backfill.identities.new_actors import NewActors, RecordingSink, dump_time
from aspects_backfill.identities.retired import RetiredNames
from aspects_backfill.pipeline import RunOptions, transform_line
from aspects_backfill.sinks.files import FileSink
from aspects_backfill.transform import Context, Rejected
from lms_db import add_course, add_users, add_xapi_ids, running_mariadb

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / "tests" / "golden" / "inputs" / "video-fixtures.log"
COURSE = "course-v1:edX+DemoX+Demo_Course"
CCX = "ccx-v1:edX+DemoX+Demo_Course+ccx@1"
BOB, ANN, RETIREE = (
    "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb",
    "7c4b4a07-4f8e-4d21-9a1b-1d0c2d1f5e11",
    "0f7e3f0a-9d2c-4a61-b8b1-5c3b8f2a1e90",
)


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    try:
        with running_mariadb(tmp_path_factory.mktemp("mariadb")) as server:
            yield server
    except FileNotFoundError as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(str(exc))


_count = iter(range(1000))


@pytest.fixture(params=["char(32)", "uuid"])
def lms(mariadb, request, monkeypatch):
    """An LMS database: bob (3) and ann (6) with ids, carl (7) without, a retiree (10), a course."""
    name = f"lms{next(_count)}"
    mariadb.create_lms(name, request.param)
    retired_name = RetiredNames().candidates("dora")[-1]  # retired with the current salt
    with mariadb.connect(name) as conn:
        add_users(conn, [(3, "bob"), (6, "ann"), (7, "carl"), (10, retired_name), (11, "7")])
        add_xapi_ids(conn, [(3, BOB), (6, ANN), (10, RETIREE), (11, str(uuid.uuid4()))], request.param)
        add_course(conn, COURSE, "Demonstration Course")
        add_course(conn, CCX, "Demonstration Course (CCX 1)")
        add_course(conn, "course-v1:edX+Nameless+2024", None)
    monkeypatch.setenv("MYSQL_PASSWORD", "pw-lms_rw")
    return mariadb, name, request.param


def _lookup(lms, new_actors=None) -> LmsActorLookup:
    server, name, _ = lms
    return LmsActorLookup(Lms(parse_lms_url(server.url(name))), RetiredNames(), new_actors).load()


def _refusal(lookup, ref) -> str:
    with pytest.raises(Rejected) as exc:
        lookup.find(ref)
    return exc.value.reason


def test_lookup_by_id_then_username_as_erb(lms) -> None:
    actors = _lookup(lms)
    assert len(actors) == 4
    assert actors.find(3) == actors.find("3") == actors.find("bob") == BOB
    assert actors.find("BOB") == BOB  # Django asks MySQL, whose collation ignores case
    assert actors.find("ann") == ANN
    # user 7 exists without an id: ERB takes the id before the user named "7"
    assert _refusal(actors, 7) == NO_XAPI_ID
    assert _refusal(actors, "carl") == NO_XAPI_ID
    assert _refusal(actors, 999) == UNKNOWN_USER
    assert _refusal(actors, "nobody") == UNKNOWN_USER
    assert actors.find(None) is None and actors.find("") is None


def test_retired_learner_found_by_old_username(lms, monkeypatch) -> None:
    actors = _lookup(lms)
    assert actors.find("dora") == actors.find("Dora") == RETIREE
    monkeypatch.setenv("RETIRED_USER_SALTS", json.dumps(["other-salt"]))
    other = LmsActorLookup(actors.lms, RetiredNames.from_env()).load()
    assert _refusal(other, "dora") == UNKNOWN_USER  # salts are the LMS's settings: wrong ones find nobody


def test_retired_learner_found_in_a_csv_too(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("RETIRED_USER_SALTS", raising=False)
    retired_name = RetiredNames().candidates("dora")[0]  # retired under an older salt
    path = tmp_path / "users.csv"
    path.write_text(f"user_id,username,external_user_id\n10,{retired_name},{RETIREE}\n3,bob,{BOB}\n")
    actors = load_actors_csv(str(path))
    assert actors.find("dora") == actors.find("DORA") == actors.find(10) == RETIREE
    assert actors.find("bob") == BOB and actors.find("eve") is None


def test_retired_pick_prefers_exact_case() -> None:
    names = RetiredNames()
    retired = (1, names.candidates("Sam")[0])
    assert names.pick("Sam", [retired, (2, "Sam")]) == (2, "Sam")
    assert names.pick("sam", [retired, (2, "Sam")]) == retired
    assert names.pick("sam", []) is None and names.pick("x", [(1, "a"), (2, "b"), (3, "c")]) is None


def test_read_only_unless_asked(lms) -> None:
    server, name, _ = lms
    reader = Lms(parse_lms_url(server.url(name)))  # lms_rw may write; the session may not
    with pytest.raises(pymysql.err.MySQLError), reader.conn.cursor() as cur:
        cur.execute("DELETE FROM auth_user WHERE id = 7")
    with pytest.raises(BackfillError):
        reader.insert_xapi_id(7, str(uuid.uuid4()))
    assert reader.users_by_id(7) == [(7, "carl")]


def test_lms_url_forms() -> None:
    plain = parse_lms_url("mysql://reader@db.example:3307/openedx")
    assert (plain.user, plain.host, plain.port, plain.database, plain.tls_ca) == (
        "reader",
        "db.example",
        3307,
        "openedx",
        None,
    )
    assert parse_lms_url("mysql://r@db/openedx?ssl=true").tls_ca == ""
    assert parse_lms_url("mysql://r@db/openedx?ssl_ca=/etc/ca.pem").tls_ca == "/etc/ca.pem"
    assert parse_lms_url("mysql://r@localhost/o?unix_socket=/run/m.sock").where == "mysql://r@/run/m.sock/o"
    for bad in ("mysql://db/openedx", "mysql://r@db/", "mysql://r@db/o?sslmode=x", "postgres://r@db/o"):
        with pytest.raises(UsageError):
            parse_lms_url(bad)


def test_password_only_from_env_and_never_echoed(lms, monkeypatch) -> None:
    server, name, _ = lms
    with pytest.raises(UsageError, match="MYSQL_PASSWORD"):
        parse_lms_url(f"mysql://lms_rw:pw-lms_rw@127.0.0.1:{server.port}/{name}")
    monkeypatch.setenv("MYSQL_PASSWORD", "wrong-Secret-991")
    with pytest.raises(BackfillError) as exc:
        Lms(parse_lms_url(server.url(name)))
    assert "wrong-Secret-991" not in str(exc.value) and "Access denied" in str(exc.value)
    monkeypatch.delenv("MYSQL_PASSWORD")
    with pytest.raises(BackfillError, match="MYSQL_PASSWORD is not set"):
        Lms(parse_lms_url(server.url(name)))


def test_create_makes_one_id_per_learner_without_touching_the_lms(lms, tmp_path) -> None:
    new = NewActors(csv_path=str(tmp_path / "new.csv"))
    actors = _lookup(lms, new)
    made = actors.find("carl")
    assert uuid.UUID(made).version == 4
    assert actors.find(7) == actors.find("carl") == made and new.created == 1
    assert _refusal(actors, "nobody") == UNKNOWN_USER  # unknown to the LMS: still refused
    assert not (tmp_path / "new.csv").exists()
    sink = RecordingSink(FileSink(str(tmp_path / "out.ndjson")), new)
    sink.write([])  # the new id is on record before any statement is written
    assert load_actors_csv(str(tmp_path / "new.csv")).by_id == {7: made}
    sink.close()
    new.close()
    assert load_actors_csv(str(tmp_path / "new.csv")).by_id == {7: made}
    assert actors.lms.xapi_id_of(7) is None


def test_create_with_write_lms_stores_the_id_as_the_lms_would(lms) -> None:
    server, name, _ = lms
    writer = Lms(parse_lms_url(server.url(name)), writable=True)
    new = NewActors(lms_writer=writer)
    made = _lookup(lms, new).find(7)
    assert writer.xapi_id_of(7) == made and new.created == 1
    with server.connect(name) as conn, conn.cursor() as cur:
        cur.execute("SELECT history_type, user_id FROM external_user_ids_historicalexternalid")
        assert cur.fetchall() == (("+", 7),)
    assert _lookup(lms).find("carl") == made  # the next run simply reads it
    new.close()


def test_concurrent_insert_by_the_lms_wins(lms) -> None:
    """The LMS inserts carl's id while we try to: the unique (user, type) key decides; we use theirs."""
    server, name, uuid_type = lms
    writer = Lms(parse_lms_url(server.url(name)), writable=True)
    new = NewActors(lms_writer=writer)
    actors = _lookup(lms, new)
    theirs = str(uuid.uuid4())
    other = server.connect(name, autocommit=False)
    add_xapi_ids(other, [(7, theirs)], uuid_type)  # the LMS's transaction, not yet committed
    got: list = []
    worker = threading.Thread(target=lambda: got.append(actors.find("carl")))
    worker.start()
    time.sleep(0.5)  # our INSERT now waits on the LMS's row lock
    assert worker.is_alive()
    other.commit()
    worker.join(30)
    other.close()
    assert got == [theirs] and new.lms_won == 1 and new.created == 0
    with server.connect(name) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM external_user_ids_externalid WHERE user_id = 7")
        assert cur.fetchone()[0] == 1
    new.close()


def test_new_ids_recorded_in_clickhouse_as_the_plugin_rows(lms, tmp_path) -> None:
    dest = f"chdb:{tmp_path / 'ch'}"
    new = NewActors(clickhouse_dest=dest)
    made = _lookup(lms, new).find("carl")
    new.close()
    ch = open_clickhouse(dest)
    try:
        rows = ch.query(
            "SELECT toString(external_user_id), external_id_type, username, user_id, time_last_dumped "
            "FROM event_sink.external_id"
        )
        assert [r[:4] for r in rows] == [(made, "xapi", "carl", 7)]
        assert rows[0][4].endswith("+00:00") and len(rows[0][4]) == len(dump_time())
        assert load_actors_clickhouse(ch).find(7) == made
    finally:
        ch.close()


def test_courses_from_the_lms(lms) -> None:
    server, name, _ = lms
    ids = open_identities(IdentityOptions(actors=server.url(name), courses=server.url(name)))
    try:
        # a NULL name is no name: its events are refused as ERB's would fail
        assert ids.courses == {COURSE: "Demonstration Course", CCX: "Demonstration Course (CCX 1)"}
    finally:
        ids.close()


def test_usage_errors_say_what_to_pass(lms, tmp_path) -> None:
    server, name, _ = lms
    url = server.url(name)
    with pytest.raises(UsageError, match="--actors mysql://"):
        open_identities(IdentityOptions(dest="-"))
    with pytest.raises(UsageError, match=r"has none in event_sink\.external_id"):
        open_identities(IdentityOptions(dest=f"chdb:{tmp_path / 'empty'}"))
    with pytest.raises(UsageError, match="needs the LMS database"):
        open_identities(IdentityOptions(actors=str(VIDEO), courses=url, unknown_actors="create"))
    with pytest.raises(UsageError, match="must record"):
        open_identities(IdentityOptions(actors=url, courses=url, dest="-", unknown_actors="create"))
    with pytest.raises(UsageError, match="go with --unknown-actors create"):
        open_identities(IdentityOptions(actors=url, courses=url, write_lms=True))


# ---------------------------------------------------------------- end to end


LEARNERS = ((3, "bob"), (6, "ann"), (7, "carl"), (42, "ghost"))


def _events(learners=LEARNERS) -> bytes:
    """The video fixtures, replayed by several learners, by id and by username only."""
    base = [json.loads(x) for x in VIDEO.read_text().splitlines() if x.strip()]
    lines = []
    for user_id, username in learners:
        for event in base:
            by_id = json.loads(json.dumps(event))
            by_id["context"].update(user_id=user_id, username=username)
            by_name = json.loads(json.dumps(by_id))
            del by_name["context"]["user_id"]
            lines += [json.dumps(by_id), json.dumps(by_name)]
    return ("\n".join(lines) + "\n").encode()


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "LMS_ROOT_URL"}
    full.update(PYTHONPATH=str(ROOT / "src"), **env)
    return subprocess.run([sys.executable, "-m", "aspects_backfill", *args], capture_output=True, env=full)


def test_xapi_create_and_write_lms_end_to_end(lms, tmp_path) -> None:
    server, name, _ = lms
    log, out, new_csv, summary = (tmp_path / n for n in ("t.log", "out.ndjson", "new.csv", "s.json"))
    log.write_bytes(_events())
    common = [
        "xapi",
        str(log),
        "--lms-root-url",
        "http://localhost:18000",
        "--actors",
        server.url(name),
        "--courses",
        server.url(name),
        "--quiet",
        "--summary-json",
        str(summary),
    ]
    proc = _cli(
        *common,
        "--unknown-actors",
        "create",
        "--write-lms",
        "--new-actors-out",
        str(new_csv),
        "--to",
        f"file:{out}",
        env={"MYSQL_PASSWORD": "pw-lms_rw"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"pw-lms_rw" not in proc.stderr
    s = json.loads(summary.read_text())
    per_user = len(VIDEO.read_text().splitlines()) * 2
    assert s["rejected"] == {UNKNOWN_USER: per_user}  # ghost is not in the LMS
    assert any("1 made and stored in the LMS" in n for n in s["notes"])
    made = load_actors_csv(str(new_csv)).by_id[7]
    with server.connect(name) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM external_user_ids_externalid WHERE user_id = 7")
        assert cur.fetchone()[0] == 1
    names = {json.loads(x)["actor"]["account"]["name"] for x in out.read_text().splitlines()}
    assert names == {BOB, ANN, made}
    # a second run, rejecting, reads carl's id from the LMS and gives the very same statements
    out2 = tmp_path / "out2.ndjson"
    proc = _cli(
        *[a.replace("lms_rw@", "lms_ro@") for a in common],
        "--to",
        f"file:{out2}",
        env={"MYSQL_PASSWORD": "pw-lms_ro"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert out2.read_text() == out.read_text()


def test_dry_run_create_records_nothing(lms, tmp_path) -> None:
    server, name, _ = lms
    log, new_csv, summary = tmp_path / "t.log", tmp_path / "new.csv", tmp_path / "s.json"
    log.write_bytes(_events())
    proc = _cli(
        "xapi",
        str(log),
        "--lms-root-url",
        "http://lms",
        "--actors",
        server.url(name),
        "--courses",
        server.url(name),
        "--quiet",
        "--dry-run",
        "--unknown-actors",
        "create",
        "--write-lms",
        "--new-actors-out",
        str(new_csv),
        "--summary-json",
        str(summary),
        env={"MYSQL_PASSWORD": "pw-lms_rw"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert "new xAPI ids: 1 made (dry run: kept nowhere)" in json.loads(summary.read_text())["notes"]
    assert not new_csv.exists() and Lms(parse_lms_url(server.url(name))).xapi_id_of(7) is None


def test_csv_clickhouse_and_lms_sources_give_identical_statements(lms, tmp_path) -> None:
    server, name, _ = lms
    users = [(3, "bob", BOB), (6, "ann", ANN)]
    (tmp_path / "users.csv").write_text(
        "user_id,username,external_user_id\n" + "".join(f"{u},{n},{e}\n" for u, n, e in users)
    )
    (tmp_path / "courses.csv").write_text(
        f"course_key,display_name\n{COURSE},Demonstration Course\n{CCX},Demonstration Course (CCX 1)\n"
    )
    dest = f"chdb:{tmp_path / 'ch'}"
    copied = copy_actors(server.url(name), dest)
    assert (copied.read, copied.written, copied.unchanged) == (4, 4, 0)
    assert copy_actors(server.url(name), dest).written == 0  # nothing changed: nothing appended
    ch = open_clickhouse(dest)
    try:
        ensure_event_sink(ch, ("course_overviews",))
        for key, display, dumped in (
            (COURSE, "Old name", "2024-01-01 00:00:00.000001+00:00"),
            (COURSE, "Demonstration Course", "2024-06-01 00:00:00.000001+00:00"),
            (CCX, "Demonstration Course (CCX 1)", "2024-06-01 00:00:00.000001+00:00"),
        ):
            ch.insert(
                "event_sink.course_overviews",
                [["edX", key, display, "", "", "", "", False, "{}", "", "", uuid.uuid4(), dumped]],
                OVERVIEW_COLUMNS,
            )
        assert load_courses_clickhouse(ch) == {
            COURSE: "Demonstration Course",
            CCX: "Demonstration Course (CCX 1)",
        }
    finally:
        ch.close()
    from_csv = (load_actors_csv(str(tmp_path / "users.csv")), load_courses_csv(str(tmp_path / "courses.csv")))
    by_default = open_identities(IdentityOptions(dest=dest))  # no flags: the ClickHouse destination
    from_lms = open_identities(IdentityOptions(actors=server.url(name), courses=server.url(name)))
    try:
        outcomes = [
            _outcomes(actors, courses)
            for actors, courses in (
                from_csv,
                (by_default.actors, by_default.courses),
                (from_lms.actors, from_lms.courses),
            )
        ]
    finally:
        by_default.close()
        from_lms.close()
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert sum(1 for o in outcomes[0] if isinstance(o, list)) == 2 * 2 * 9  # bob and ann, by id and by name


def _outcomes(actors, courses) -> list:
    ctx = Context(
        lms_root_url="http://localhost:18000", transformer_version="t@1", actors=actors, courses=courses
    )
    results = []
    # learners every source knows the same way (the LMS alone knows carl exists, without an id)
    for line in _events(((3, "bob"), (6, "ann"), (42, "ghost"))).splitlines():
        try:
            results.append(transform_line(line, ctx, RunOptions())[1])
        except Rejected as exc:
            results.append(exc.reason if exc.reason != NO_XAPI_ID else UNKNOWN_USER)
        except Exception as exc:  # a skip: same for all sources
            results.append(type(exc).__name__)
    return results


def test_100k_users_load_in_bounded_time_and_memory(mariadb, monkeypatch) -> None:
    """The full million is in bench/bench_identities.py; here a tenth with generous bounds."""
    import gc

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_identities import fill, rss_mib

    mariadb.create_lms("lms_big")
    fill(mariadb, "lms_big", 100_000)
    monkeypatch.setenv("MYSQL_PASSWORD", "pw-lms_ro")
    lms = Lms(parse_lms_url(mariadb.url("lms_big", "lms_ro")))
    gc.collect()
    before, started = rss_mib(), time.monotonic()
    actors = LmsActorLookup(lms, RetiredNames()).load()
    seconds, grown = time.monotonic() - started, rss_mib() - before
    assert len(actors) == 100_000 and actors.find("learner_99999") == actors.find(99_999)
    lms.close()
    assert seconds < 30, seconds  # ~1.2 s measured; the machine is shared
    assert grown < 60, grown  # ~20 MiB measured (about 200 bytes per learner)


def test_chunked_read_is_every_row_once_even_with_odd_usernames(lms) -> None:
    server, name, uuid_type = lms
    odd = str(uuid.uuid4())
    with server.connect(name) as conn:
        add_users(conn, [(20, "tab\tname"), (21, "line\nname"), (5000, "far")])
        add_xapi_ids(conn, [(20, odd), (21, str(uuid.uuid4())), (5000, str(uuid.uuid4()))], uuid_type)
    reader = Lms(parse_lms_url(server.url(name)))
    rows = sorted(reader.stream_xapi_ids(span=3))
    assert rows == sorted(reader.stream_xapi_ids())
    assert [r[0] for r in rows] == [3, 6, 10, 11, 20, 21, 5000]
    assert (20, "tab\tname", odd) in rows
    reader.close()


def test_actors_command_copies_and_reports(lms, tmp_path) -> None:
    server, name, _ = lms
    dest = f"chdb:{tmp_path / 'ch'}"
    proc = _cli("actors", "--from", server.url(name), "--to", dest, env={"MYSQL_PASSWORD": "pw-lms_rw"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"4 learner ids read, 4 written" in proc.stderr and b"pw-lms_rw" not in proc.stderr
    proc = _cli("actors", "--from", server.url(name), "--to", dest, env={"MYSQL_PASSWORD": "nope-x1"})
    assert proc.returncode == 1 and b"Access denied" in proc.stderr and b"nope-x1" not in proc.stderr
    ch = open_clickhouse(dest)
    try:
        by_id = load_actors_clickhouse(ch).by_id
        assert sorted(by_id) == [3, 6, 10, 11] and by_id[3] == BOB and by_id[10] == RETIREE
        assert ch.query("SELECT count(), uniqExact(dump_id) FROM event_sink.external_id") == [(4, 4)]
    finally:
        ch.close()


def test_a_dropped_connection_is_reopened_read_only(lms) -> None:
    server, name, _ = lms
    reader = Lms(parse_lms_url(server.url(name)))
    with server.connect() as admin, admin.cursor() as cur:
        cur.execute("KILL %s", (reader.conn.thread_id(),))
    assert reader.users_by_id(3) == [(3, "bob")]
    with pytest.raises(pymysql.err.MySQLError), reader.conn.cursor() as cur:
        cur.execute("DELETE FROM auth_user WHERE id = 7")
    reader.close()
