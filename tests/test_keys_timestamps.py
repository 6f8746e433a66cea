"""Course keys and timestamps decided as ERB's libraries decide them.

Every expected value here was produced by edx-opaque-keys 4.0.1 (``str(CourseKey.from_string)``)
and tincan 1.0.0 (``Statement(timestamp=...)``) in ERB 10.1.0's environment; None means the
library refuses the value. ``scripts/oracle_diff.py --keys`` repeats the key check on random keys.
"""

from __future__ import annotations

import pytest

from aspects_backfill.transform import Rejected
from aspects_backfill.transform.keys import canonical_course_key
from aspects_backfill.transform.timestamps import normalise_timestamp

V24 = "a" * 24

KEYS = [
    ("course-v1:edX+DemoX+Demo_Course", "course-v1:edX+DemoX+Demo_Course"),
    ("slashes:edX+DemoX+Demo_Course", "course-v1:edX+DemoX+Demo_Course"),
    ("course-v1:edX+DemoX+Demo_Course+type@course+block@course", "course-v1:edX+DemoX+Demo_Course"),
    ("ccx-v1:edX+DemoX+Demo_Course+CCX@1", "ccx-v1:edX+DemoX+Demo_Course+ccx@1"),
    ("ccx-v1:a+b+c+ccx@١", "ccx-v1:a+b+c+ccx@١"),
    ("course-v1:edX+DemoX+Demo_Course+version@" + "A" * 24, None),
    (f"course-v1:edX+DemoX+version@{V24}", f"course-v1:version@{V24}"),
    ("library-v1:edX+DemoLib+run", "library-v1:edX+DemoLib"),
    ("edX/Open_DemoX/", "edX/Open_DemoX/"),
    ("Org.X/Phys-101/2024~T1", None),
    ("course-v1:edX+DemoX", None),
    ("course-v1:edX+DemoX+Demo_Course\n", None),
    ("lib:edX:lib1", None),
    ("course-v1:物理+é+1", "course-v1:物理+é+1"),
    (5, None),
    (None, None),
]


@pytest.mark.parametrize(("course_id", "canonical"), KEYS)
def test_course_keys_as_opaque_keys(course_id: object, canonical: str | None) -> None:
    if canonical is None:
        with pytest.raises(Rejected) as exc:
            canonical_course_key(course_id)
        assert exc.value.reason == "malformed course key"
    else:
        assert canonical_course_key(course_id) == canonical


TIMESTAMPS = [
    ("2023-08-22T20:16:25.5Z", "2023-08-22T20:16:25.500000+00:00"),
    ("2023-08-22T20:16:25.123456789-07:00", "2023-08-22T20:16:25.123456-07:00"),
    ("2023-08-22T20:16:25+0530", "2023-08-22T20:16:25+05:30"),
    ("2023-08-22T24:00:00Z", "2023-08-22T00:00:00+00:00"),
    ("2023-08-22T20:16:25.000000+00:00", "2023-08-22T20:16:25+00:00"),
    (1692735385.25, "2023-08-22T20:16:25.250000+00:00"),
    (True, "1970-01-01T00:00:01+00:00"),
    ("2023-08-22T20:16:25-00:00", None),
    ("2023-08-22T20:16:25+05:75", None),
    ("2023-08-22 20:16:25Z", None),
    ("2023-08-22T20:16:25", None),
    ([2023, 8, 22], None),
]


@pytest.mark.parametrize(("raw", "written"), TIMESTAMPS)
def test_timestamps_as_tincan(raw: object, written: str | None) -> None:
    if written is None:
        with pytest.raises(Rejected) as exc:
            normalise_timestamp(raw)
        assert exc.value.reason == "bad timestamp"
    else:
        assert normalise_timestamp(raw) == written
