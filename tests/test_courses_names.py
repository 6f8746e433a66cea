"""``xapi`` takes course names from the destination's course_overviews without --courses."""

from __future__ import annotations

import pytest

from aspects_backfill.clickhouse import open_clickhouse
from aspects_backfill.courses.command import run_courses
from aspects_backfill.courses.load import prepare
from aspects_backfill.errors import UsageError
from aspects_backfill.xapi_command import XapiArgs, build_context
from coursekit import minimal_course, tar_export


def args(tmp_path, dest):
    actors = tmp_path / "actors.csv"
    actors.write_text("user_id,username,external_user_id\n1,ann,32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb\n")
    return XapiArgs(sources=[], dest=dest, lms_root_url="http://lms", actors_path=str(actors))


def test_course_map_comes_from_the_destination(tmp_path):
    db = f"chdb:{tmp_path / 'db'}"
    run_courses([str(tar_export(tmp_path / "c.tar.gz", minimal_course()))], db)
    assert build_context(args(tmp_path, db)).courses == {"course-v1:TestX+T101+2024": "Test Course"}


def test_without_courses_anywhere_it_says_what_to_do(tmp_path):
    with pytest.raises(UsageError, match="pass --courses"):
        build_context(args(tmp_path, "-"))
    db = f"chdb:{tmp_path / 'empty'}"
    ch = open_clickhouse(db)
    prepare(ch)
    ch.close()
    with pytest.raises(UsageError, match="run `aspects-backfill courses` first"):
        build_context(args(tmp_path, db))
