"""Loads ../shared/aspects-schema (a real Aspects install's ClickHouse objects) into ClickHouse.

The rendered dictionaries read their source with placeholder credentials (``<admin>``); a real
install has its admin user there, here the default user stands in so that views over the
dictionaries can be created.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("ASPECTS_SHARED", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA_DIR = SHARED / "aspects-schema"
FILES = (
    "effective_01_databases_users_functions.sql",
    "effective_02_alembic_tables.sql",
    "effective_03_dbt_models.sql",
)
# Per-event tables the tests compare (all fill from xapi_events_all through views).
EVENT_TABLES = (
    "xapi.xapi_events_all_parsed",
    "xapi.enrollment_events",
    "xapi.problem_events",
    "xapi.video_playback_events",
    "xapi.navigation_events",
    "xapi.grading_events",
)


def statements(text: str) -> list[str]:
    """The SQL statements of a file: split at lines ending in ';', comment-only chunks dropped."""
    out, buf = [], []
    for line in text.splitlines():
        buf.append(line)
        if line.rstrip().endswith(";"):
            sql = "\n".join(buf).strip().rstrip(";")
            buf = []
            if any(x.strip() and not x.strip().startswith("--") for x in sql.splitlines()):
                out.append(sql)
    return out


def schema_statements() -> list[str]:
    missing = [f for f in FILES if not (SCHEMA_DIR / f).exists()]
    if missing:
        raise FileNotFoundError(f"Aspects schema not found in {SCHEMA_DIR}: {missing}")
    out = []
    for name in FILES:
        text = (SCHEMA_DIR / name).read_text()
        out += statements(text.replace("user '<admin>' password '<admin_pw>'", "user 'default' password ''"))
    return out


def load_aspects_schema(command, without_ttl: bool = False) -> None:
    """Run every statement through ``command`` (e.g. ``client.command``); optionally drop the TTLs.

    The TTL (1 year) would expire fixture events from 2020-2023 at once: comparisons of derived
    tables need it removed; the TTL check itself is tested with it in place."""
    for sql in schema_statements():
        command(sql)
    if without_ttl:
        for table in (*EVENT_TABLES, "reporting.dim_learner_last_course_visit"):
            command(f"ALTER TABLE {table} REMOVE TTL")
