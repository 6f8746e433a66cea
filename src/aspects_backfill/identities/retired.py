"""Names a retired learner's account may carry now, as edx-platform computes them.

Retirement renames ``auth_user.username`` to ``RETIRED_USERNAME_PREFIX`` + sha1(salt +
lowercased name) for the current salt; old events still name the learner by the old name.
ERB then asks edx-platform's ``get_potentially_retired_user_by_username``, which tries every
historical salt. The salts and prefix are LMS settings, not data: they come from
``RETIRED_USER_SALTS`` (a JSON list) and ``RETIRED_USERNAME_PREFIX`` in the environment, with
edx-platform's defaults when unset.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from ..errors import UsageError

DEFAULT_SALTS = ("abc", "123")  # edx-platform lms/envs/common.py
DEFAULT_PREFIX = "retired__user_"


@dataclass(frozen=True)
class RetiredNames:
    salts: tuple[str, ...] = DEFAULT_SALTS
    prefix: str = DEFAULT_PREFIX

    @classmethod
    def from_env(cls) -> RetiredNames:
        raw = os.environ.get("RETIRED_USER_SALTS")
        salts = DEFAULT_SALTS
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                raise UsageError("RETIRED_USER_SALTS must be a JSON list of strings") from exc
            if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
                raise UsageError("RETIRED_USER_SALTS must be a JSON list of strings")
            salts = tuple(parsed)
        return cls(salts, os.environ.get("RETIRED_USERNAME_PREFIX", DEFAULT_PREFIX))

    def candidates(self, username: str) -> list[str]:
        """Every retired name ``username`` may have been given, oldest salt first."""
        lowered = username.lower().encode("utf-8")
        return [self.prefix + hashlib.sha1(salt.encode() + lowered).hexdigest() for salt in self.salts]

    def pick(self, username: str, found: list[tuple[int, str]]) -> tuple[int, str] | None:
        """edx-platform's choice among users matching the name or its retired forms."""
        if len(found) == 1:
            return found[0]
        if len(found) == 2:
            # A retiree and a new account whose names differ only by case: the exact match wins.
            first, second = found
            retired, active = (first, second) if first[1].startswith(self.prefix) else (second, first)
            return active if active[1] == username else retired
        return None  # none, or more than edx-platform can tell apart (it raises)
