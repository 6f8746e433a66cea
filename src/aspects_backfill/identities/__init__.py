"""Learner ids and course names the transform needs, from wherever the operator has them.

A source is named by ``--actors`` / ``--courses``:

* ``mysql://USER@HOST[:PORT]/DB`` — the LMS database itself (password: ``MYSQL_PASSWORD``);
* ``chdb:PATH`` / ``clickhouse://…`` — a ClickHouse with the Aspects ``event_sink`` tables;
* anything else — a CSV file (``user_id,username,external_user_id`` / ``course_key,display_name``).

With neither flag, a ClickHouse destination is asked (when its tables have rows). Everything
is loaded once into dicts; per event a lookup is a dict hit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ..clickhouse.connection import ClickHouse, is_clickhouse_dest, open_clickhouse
from ..errors import UsageError
from ..transform import ActorLookup
from .clickhouse_source import load_actors_clickhouse, load_courses_clickhouse, table_has_rows
from .csv_source import load_actors_csv, load_courses_csv
from .lms import EXTERNAL_ID, ID_TYPE, Lms, is_lms_url, parse_lms_url
from .lookup import LmsActorLookup
from .new_actors import NewActors, RecordingSink
from .retired import RetiredNames

__all__ = [
    "Identities",
    "IdentityOptions",
    "RecordingSink",
    "load_actors_csv",
    "load_courses_csv",
    "open_identities",
]

log = logging.getLogger("aspects_backfill")

HOW_TO_ACTORS = (
    "pass --actors mysql://USER@HOST[:PORT]/DB (the LMS database, password in MYSQL_PASSWORD) or "
    "--actors users.csv (user_id,username,external_user_id), or write to a ClickHouse destination whose "
    "event_sink.external_id has rows (fill it with: aspects-backfill actors --from mysql://...)"
)
HOW_TO_COURSES = (
    "pass --courses mysql://USER@HOST[:PORT]/DB (the LMS database) or --courses courses.csv "
    "(course_key,display_name), or write to a ClickHouse destination whose event_sink.course_overviews has rows "
    "(run `aspects-backfill courses` first)"
)


@dataclass
class IdentityOptions:
    actors: str | None = None
    courses: str | None = None
    dest: str | None = None  # the run's destination: the default source and where new ids go
    unknown_actors: str = "reject"  # or "create"
    new_actors_out: str | None = None
    write_lms: bool = False
    dry_run: bool = False


@dataclass
class Identities:
    actors: ActorLookup
    courses: dict[str, str]
    new_actors: NewActors | None = None
    notes: list[str] = field(default_factory=list)
    _open: list = field(default_factory=list)

    def close(self) -> None:
        """Flush and record new ids, then release connections (call once, after the run)."""
        try:
            if self.new_actors is not None:
                self.new_actors.close()
                self.notes.append(self.new_actors.summary_note())
        finally:
            for conn in self._open:
                conn.close()
            self._open.clear()


def _kind(spec: str) -> str:
    if is_lms_url(spec):
        return "lms"
    if spec.startswith(("chdb:", "clickhouse://", "clickhouses://")):
        return "clickhouse"
    return "csv"


def _default_spec(dest: str | None, table: str, where: str, how_to: str, what: str) -> str:
    if dest is None or not dest.startswith(("chdb:", "clickhouse://", "clickhouses://")):
        raise UsageError(f"{what} are needed: {how_to}")
    ch = open_clickhouse(dest)
    try:
        if not table_has_rows(ch, table, where):
            raise UsageError(f"{what} are needed and {ch.where} has none in {table}: {how_to}")
    finally:
        ch.close()
    return dest


def _check_create(opts: IdentityOptions, actors_kind: str) -> None:
    if opts.unknown_actors not in ("reject", "create"):
        raise UsageError("--unknown-actors is reject or create")
    if opts.unknown_actors == "reject":
        if opts.write_lms or opts.new_actors_out:
            raise UsageError("--write-lms and --new-actors-out go with --unknown-actors create")
        return
    if actors_kind != "lms":
        raise UsageError(
            "--unknown-actors create needs the LMS database as --actors mysql://USER@HOST/DB: "
            "only the LMS knows which learners exist"
        )
    if not opts.dry_run and not (
        opts.write_lms or opts.new_actors_out or is_clickhouse_dest(opts.dest or "-")
    ):
        raise UsageError(
            "--unknown-actors create must record the ids it makes: add --write-lms (the LMS keeps them), "
            "--new-actors-out FILE.csv, or write to a ClickHouse destination (event_sink.external_id)"
        )


def open_identities(opts: IdentityOptions) -> Identities:
    """Load the lookups (and, in create mode, what records new ids); ``close()`` after the run."""
    actors_spec = opts.actors or _default_spec(
        opts.dest, "event_sink.external_id", "external_id_type = 'xapi'", HOW_TO_ACTORS, "learner ids"
    )
    courses_spec = opts.courses or _default_spec(
        opts.dest, "event_sink.course_overviews", "1", HOW_TO_COURSES, "course names"
    )
    actors_kind = _kind(actors_spec)
    _check_create(opts, actors_kind)
    ids = Identities(actors=ActorLookup(), courses={})
    conns: dict[str, Lms | ClickHouse] = {}
    try:
        ids.actors = _load_actors(opts, actors_spec, actors_kind, conns, ids)
        ids.courses = _load_courses(courses_spec, conns)
    except BaseException:
        for conn in conns.values():
            conn.close()
        if ids.new_actors is not None:
            ids.new_actors.close()
        raise
    # ClickHouse connections are done with; the LMS one answers misses during the run.
    for spec, conn in conns.items():
        if _kind(spec) == "lms" and isinstance(ids.actors, LmsActorLookup):
            ids._open.append(conn)
        else:
            conn.close()
    return ids


def _connect(spec: str, conns: dict) -> Lms | ClickHouse:
    if spec not in conns:
        conns[spec] = Lms(parse_lms_url(spec)) if _kind(spec) == "lms" else open_clickhouse(spec)
    return conns[spec]


def _load_actors(opts: IdentityOptions, spec: str, kind: str, conns: dict, ids: Identities) -> ActorLookup:
    started = time.monotonic()
    if kind == "csv":
        actors = load_actors_csv(spec)
        where = spec
    elif kind == "clickhouse":
        ch = _connect(spec, conns)
        actors = load_actors_clickhouse(ch)
        where = f"{ch.where} event_sink.external_id"
    else:
        lms = _connect(spec, conns)
        lms.require_tables("auth_user", EXTERNAL_ID, ID_TYPE)
        if opts.unknown_actors == "create":
            ids.new_actors = _new_actors(opts, spec)
        lookup = LmsActorLookup(lms, RetiredNames.from_env(), ids.new_actors).load()
        if lookup.bad_rows:
            ids.notes.append(f"{lookup.bad_rows} LMS xAPI id(s) are not UUIDs and were left out")
        actors, where = lookup, lms.address.where
    log.info("loaded %d learner ids from %s in %.1fs", len(actors), where, time.monotonic() - started)
    return actors


def _new_actors(opts: IdentityOptions, spec: str) -> NewActors:
    if opts.dry_run:
        return NewActors()  # ids made in memory so the run shows what it would do; nothing recorded
    dest = opts.dest if opts.dest and is_clickhouse_dest(opts.dest) else None
    writer = Lms(parse_lms_url(spec), writable=True) if opts.write_lms else None
    return NewActors(lms_writer=writer, csv_path=opts.new_actors_out, clickhouse_dest=dest)


def _load_courses(spec: str, conns: dict) -> dict[str, str]:
    kind = _kind(spec)
    if kind == "csv":
        return load_courses_csv(spec)
    if kind == "clickhouse":
        return load_courses_clickhouse(_connect(spec, conns))
    lms = _connect(spec, conns)
    lms.require_tables("course_overviews_courseoverview")
    return {key: name for key, name in lms.stream_course_names() if key and name is not None}
