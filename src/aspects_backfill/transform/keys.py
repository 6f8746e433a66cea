"""Course keys decided exactly as edx-opaque-keys' ``CourseKey.from_string`` decides them.

ERB parses ``context.course_id`` with opaque-keys before it looks the course up, and it looks
the course up by the parsed key's *canonical* text (``str(key)``), which is not always the
text in the event: ``slashes:`` keys become ``course-v1:``, block and type parts are dropped,
version ids are lower-cased. A key opaque-keys refuses makes ERB's command abort; here the
line is rejected. The grammar below is written from opaque-keys' documented key formats
(``course-v1:``, ``ccx-v1:``, ``library-v1:``, ``slashes:`` and old ``org/course/run``) and
checked against the library itself by ``scripts/oracle_diff.py --keys``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import Rejected

_ID = r"[\w\-~.:]"
_SEP = r"(?:\+(?=.)|\Z)"  # a '+' that is not the last character, or the end


def _grammar(version_chars: str, block_chars: str, ccx: bool, flags: int = 0) -> re.Pattern[str]:
    course = rf"(?:(?P<org>{_ID}+)\+(?P<course>{_ID}+)(?:\+(?P<run>{_ID}+))?{_SEP})??"
    branch = rf"(?:branch@(?P<branch>{_ID}+){_SEP})?"
    version = rf"(?:version@(?P<version>{version_chars}+){_SEP})?"
    ccx_part = rf"(?:ccx@(?P<ccx>\d+){_SEP})" if ccx else ""
    block = rf"(?:type@{_ID}+{_SEP})?(?:block@{block_chars}+)?"
    return re.compile(course + branch + version + ccx_part + block + r"\Z", flags)


_LOCATOR = _grammar("[a-f0-9]", r"[\w\-~.:%]", ccx=False)
_CCX = _grammar("[A-F0-9]", _ID, ccx=True, flags=re.IGNORECASE)
_DEPRECATED_BAD_CHAR = re.compile(r"[^\w.%-]")
_DEPRECATED_PART = re.compile(r"[\w\-~.:%]+\Z")


class _Invalid(Exception):
    pass


def _version(text: str | None) -> str | None:
    """A version id must be a 24-hex-digit ObjectId; it is written lower-case."""
    if not text:
        return None
    if len(text) != 24:
        raise _Invalid
    return text.lower()


def _course_parts(m: re.Match[str], version: str | None) -> list[str]:
    org, course, run, branch = m["org"], m["course"], m["run"], m["branch"]
    if version is None and (org is None or course is None or run is None):
        raise _Invalid
    parts: list[str] = []
    if course and run:
        parts += [org, course, run]
        if branch:
            parts.append(f"branch@{branch}")
    if version:
        parts.append(f"version@{version}")
    return parts


def _course_v1(rest: str) -> str:
    m = _LOCATOR.match(rest)
    if not m:
        raise _Invalid
    return "course-v1:" + "+".join(_course_parts(m, _version(m["version"])))


def _ccx_v1(rest: str) -> str:
    m = _CCX.match(rest)
    if not m:
        raise _Invalid
    parts = _course_parts(m, _version(m["version"]))
    return "ccx-v1:" + "+".join([*parts, f"ccx@{m['ccx']}"])


def _library_v1(rest: str) -> str:
    m = _LOCATOR.match(rest)
    if not m:
        raise _Invalid
    org, library, branch, version = m["org"], m["course"], m["branch"], _version(m["version"])
    if version is None and (org is None or library is None):
        raise _Invalid
    parts: list[str] = []
    if library:
        parts += [org, library]
        if branch:
            parts.append(f"branch@{branch}")
    if version:
        parts.append(f"version@{version}")
    return "library-v1:" + "+".join(parts)


def _deprecated(text: str) -> str:
    """The old ``org/course/run`` form (the run may be empty)."""
    if text.count("/") != 2:
        raise _Invalid
    org, course, run = text.split("/")
    for part in (org, course, run):
        if _DEPRECATED_BAD_CHAR.search(part):
            raise _Invalid
    fields = [org, course] + ([run] if run else [])
    if not all(_DEPRECATED_PART.match(f) for f in fields):
        raise _Invalid
    return text


_NAMESPACES = {"course-v1": _course_v1, "slashes": _course_v1, "ccx-v1": _ccx_v1, "library-v1": _library_v1}


@lru_cache(maxsize=65536)
def _canonical(course_id: str) -> str | None:
    namespace, sep, rest = course_id.partition(":")
    parse = _NAMESPACES.get(namespace) if sep else None
    try:
        if parse is not None:
            try:
                return parse(rest)
            except _Invalid:
                pass
        return _deprecated(course_id)
    except _Invalid:
        return None


def canonical_course_key(course_id: object) -> str:
    """The text opaque-keys writes for ``course_id`` (the course lookup key), or ``Rejected``."""
    canonical = _canonical(course_id) if isinstance(course_id, str) else None
    if canonical is None:
        raise Rejected("malformed course key", f"invalid course key: {course_id!r}")
    return canonical
