"""The ClickHouse objects Aspects has and this tool writes, created only when missing.

Columns, order, engines and keys are those of a real Aspects install (tutor-contrib-aspects'
migrations at head, Tutor defaults, single node): positional CSV inserts and Aspects'
materialized views depend on them. Nothing here alters or drops an existing object.
"""

from __future__ import annotations

from .connection import ClickHouse

DATABASES = ("xapi", "event_sink")

# The raw xAPI table Ralph writes (ReplacingMergeTree, monthly partitions).
RALPH_XAPI_TABLE = """
CREATE TABLE IF NOT EXISTS {table}
(
    event_id UUID NOT NULL,
    emission_time DateTime64(6) NOT NULL,
    event String NOT NULL
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(emission_time)
PRIMARY KEY (emission_time, event_id)
ORDER BY (emission_time, event_id)
"""

# The raw xAPI table Vector writes (not partitioned, shorter primary key).
VECTOR_XAPI_TABLE = """
CREATE TABLE IF NOT EXISTS {table}
(
    event_id UUID,
    emission_time DateTime64(6),
    event String
) ENGINE = ReplacingMergeTree
PRIMARY KEY (emission_time)
ORDER BY (emission_time, event_id)
"""

EVENT_SINK_TABLES = {
    "course_overviews": """
CREATE TABLE IF NOT EXISTS event_sink.course_overviews
(
    org String NOT NULL,
    course_key String NOT NULL,
    display_name String NOT NULL,
    course_start String NOT NULL,
    course_end String NOT NULL,
    enrollment_start String NOT NULL,
    enrollment_end String NOT NULL,
    self_paced BOOL NOT NULL,
    course_data_json String NOT NULL,
    created String NOT NULL,
    modified String NOT NULL,
    dump_id UUID NOT NULL,
    time_last_dumped String NOT NULL
) ENGINE = MergeTree
PRIMARY KEY (org, course_key, modified, time_last_dumped)
ORDER BY (org, course_key, modified, time_last_dumped)
""",
    "course_blocks": """
CREATE TABLE IF NOT EXISTS event_sink.course_blocks
(
    org String NOT NULL,
    course_key String NOT NULL,
    location String NOT NULL,
    display_name String NOT NULL,
    xblock_data_json String NOT NULL,
    order Int32 DEFAULT 0,
    edited_on String NOT NULL,
    dump_id UUID NOT NULL,
    time_last_dumped String NOT NULL
) ENGINE = MergeTree
PRIMARY KEY (org, course_key, location, edited_on)
ORDER BY (org, course_key, location, edited_on, order)
""",
    "external_id": """
CREATE TABLE IF NOT EXISTS event_sink.external_id
(
    external_user_id UUID NOT NULL,
    external_id_type String,
    username String,
    user_id Int32,
    dump_id UUID NOT NULL,
    time_last_dumped String NOT NULL
) ENGINE = ReplacingMergeTree
PRIMARY KEY (external_user_id, time_last_dumped)
PARTITION BY user_id MOD 100
ORDER BY (external_user_id, time_last_dumped)
""",
    "user_profile": """
CREATE TABLE IF NOT EXISTS event_sink.user_profile
(
    id Int32 NOT NULL,
    user_id Int32 NOT NULL,
    name String NOT NULL,
    username String DEFAULT '',
    email String DEFAULT '',
    meta String NOT NULL,
    courseware String NOT NULL,
    language String NOT NULL,
    location String NOT NULL,
    year_of_birth String NOT NULL,
    gender String NOT NULL,
    level_of_education String NOT NULL,
    mailing_address String NOT NULL,
    city String NOT NULL,
    country String NOT NULL,
    state String NOT NULL,
    goals String NOT NULL,
    bio String NOT NULL,
    profile_image_uploaded_at String NOT NULL,
    phone_number String NOT NULL,
    dump_id UUID NOT NULL,
    time_last_dumped String NOT NULL
) ENGINE = ReplacingMergeTree
PARTITION BY user_id MOD 100
PRIMARY KEY (id, time_last_dumped)
ORDER BY (id, time_last_dumped)
""",
}

DEFAULT_XAPI_TABLE = "xapi.xapi_events_all"


def split_table(name: str) -> tuple[str, str]:
    db, _, table = name.partition(".")
    if not db or not table or not all(part.replace("_", "").isalnum() for part in (db, table)):
        raise ValueError(f"not a DATABASE.TABLE name: {name!r}")
    return db, table


def _existing(ch: ClickHouse, db: str) -> set[str]:
    """Tables of ``db``. Looked up first because even ``CREATE ... IF NOT EXISTS`` needs the
    CREATE grant, which Aspects' loading users (ch_lrs, ch_vector, ch_cms) do not have."""
    return {r[0] for r in ch.query("SELECT name FROM system.tables WHERE database = {db:String}", {"db": db})}


def _ensure_database(ch: ClickHouse, db: str) -> None:
    if not ch.query("SELECT 1 FROM system.databases WHERE name = {db:String}", {"db": db}):
        ch.command(f"CREATE DATABASE IF NOT EXISTS {db}")


def ensure_xapi_table(ch: ClickHouse, table: str = DEFAULT_XAPI_TABLE) -> None:
    """Create the raw xAPI table (and its database) if missing; Vector's shape for ``openedx.*``."""
    db, name = split_table(table)
    if name in _existing(ch, db):
        return
    _ensure_database(ch, db)
    ddl = VECTOR_XAPI_TABLE if db == "openedx" else RALPH_XAPI_TABLE
    ch.command(ddl.format(table=table))


def ensure_event_sink(ch: ClickHouse, tables: tuple[str, ...] | None = None) -> None:
    """Create the ``event_sink`` database and the named tables (default: all) if missing."""
    wanted = [n for n in tables or tuple(EVENT_SINK_TABLES) if n not in _existing(ch, "event_sink")]
    if wanted:
        _ensure_database(ch, "event_sink")
    for name in wanted:
        ch.command(EVENT_SINK_TABLES[name])


def ensure_schema(ch: ClickHouse, xapi_table: str = DEFAULT_XAPI_TABLE) -> None:
    """Everything ``aspects-backfill init`` creates."""
    for db in DATABASES:
        _ensure_database(ch, db)
    ensure_xapi_table(ch, xapi_table)
    ensure_event_sink(ch)
