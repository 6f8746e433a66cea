"""Course key checks, as strict as edx-opaque-keys' ``CourseKey.from_string``.

ERB parses every ``context.course_id`` with opaque-keys before looking the course up; a key
it cannot parse makes ERB's command abort. Here such a line is rejected instead.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import Rejected

_ID = r"[\w\-~.:]+"
_NEW = re.compile(rf"(course-v1|ccx-v1|library-v1):(?:{_ID}\+{_ID}(?:\+{_ID})?)(?:\+.*)?\Z", re.UNICODE)
_OLD = re.compile(r"[\w\-~.:%]+/[\w\-~.:%]+/[\w\-~.:%]+\Z", re.UNICODE)


@lru_cache(maxsize=65536)
def check_course_key(course_id: object) -> None:
    """Raise ``Rejected`` for a course id opaque-keys would refuse."""
    if isinstance(course_id, str) and (_NEW.match(course_id) or _OLD.match(course_id)):
        return
    raise Rejected("malformed course key", f"invalid course key: {course_id!r}")
