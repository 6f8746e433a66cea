"""Learner and course lookups the transform needs (CSV here; other sources plug in).

Actors: ``user_id,username,external_user_id[,email]``: the LMS's anonymous xAPI id per user.
Courses: ``course_key,display_name``.
"""

from __future__ import annotations

import csv
import uuid

from ..errors import UsageError
from ..transform import ActorLookup


def _rows(path: str, required: tuple[str, ...]) -> csv.DictReader:
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    reader = csv.DictReader(fh)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        fh.close()
        raise UsageError(f"{path}: missing column(s) {', '.join(missing)} (needs {', '.join(required)})")
    return reader


def load_actors_csv(path: str) -> ActorLookup:
    from .lookup import MapActorLookup

    actors = MapActorLookup()
    reader = _rows(path, ("user_id", "username", "external_user_id"))
    for number, row in enumerate(reader, start=2):
        raw_id = (row.get("user_id") or "").strip()
        try:
            user_id = int(raw_id) if raw_id else None
            # the LMS keeps a UUID (MySQL: 32 hex digits); ERB writes its canonical text
            external = str(uuid.UUID((row.get("external_user_id") or "").strip()))
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: bad user_id or external_user_id") from exc
        actors.add(user_id, (row.get("username") or "").strip() or None, external)
    return actors


def load_courses_csv(path: str) -> dict[str, str]:
    reader = _rows(path, ("course_key", "display_name"))
    return {row["course_key"].strip(): row["display_name"] for row in reader if row.get("course_key")}
