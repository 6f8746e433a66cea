"""The actor lookup backed by the LMS database: a dict hit per event, the database on a miss.

Every learner who has an xAPI id is loaded once into the two maps of ``ActorLookup``. A ref
missing there is resolved the way ERB resolves it, against the LMS itself: by numeric id,
then by username under the database's own collation, then by the retired forms of the name
(edx-platform's ``get_potentially_retired_user_by_username``). The answer is cached, so
each distinct unknown ref costs one or two queries for the whole run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..transform import ActorLookup, Rejected
from .lms import UUID_TEXT, Lms
from .new_actors import NewActors
from .retired import RetiredNames


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading makes millions of acyclic objects; the cycle collector would rescan them all, often."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


UNKNOWN_USER = "unknown user"
NO_XAPI_ID = "learner has no xAPI id"


class MapActorLookup(ActorLookup):
    """The maps alone (CSV, ClickHouse): after a username miss, its retired forms are tried,
    as edx-platform's ``get_potentially_retired_user_by_username`` would find the account."""

    def __init__(self, retired: RetiredNames | None = None) -> None:
        super().__init__()
        self.retired = retired or RetiredNames.from_env()

    def find(self, username_or_id: Any) -> str | None:
        found = super().find(username_or_id)
        if found is None and username_or_id and isinstance(username_or_id, str):
            by_name = self.by_name
            hits = {by_name[c] for c in self.retired.candidates(username_or_id) if c in by_name}
            if len(hits) == 1:
                return hits.pop()
        return found


class LmsActorLookup(ActorLookup):
    """``find`` never creates unless given ``new_actors`` (``--unknown-actors create``)."""

    def __init__(self, lms: Lms, retired: RetiredNames, new_actors: NewActors | None = None) -> None:
        super().__init__()
        self.lms = lms
        self.retired = retired
        self.new_actors = new_actors
        self.bad_rows = 0
        # ref -> external id, or (reason, detail) for a refusal: each distinct miss is asked once.
        self._misses: dict[Any, str | tuple[str, str]] = {}
        self._own_connection = True

    @property
    def workers_allowed(self) -> bool:
        """New xAPI ids are made and put on record in one place: then the run keeps one process."""
        return self.new_actors is None

    def after_fork(self) -> None:
        """In a worker process (``--workers``): the inherited connection stays the parent's."""
        self._own_connection = False

    def load(self, names: bool = False) -> ActorLookup:
        """Every xAPI id by user id; usernames only if ``names`` (else asked of the LMS when an
        event names a learner by username alone, which is rare: that saves a third of the memory)."""
        by_id, by_name, bad = self.by_id, self.by_name, 0
        match = UUID_TEXT.fullmatch
        with gc_paused():
            for user_id, username, external in self.lms.stream_xapi_ids(names=names):
                if external is None or not match(external):
                    bad += 1
                    continue
                by_id[user_id] = external
                if username:
                    by_name[username] = external
        self.bad_rows = bad
        return self

    def find(self, username_or_id: Any) -> str | None:
        if not username_or_id:
            return None
        try:
            found = self.by_id.get(int(username_or_id))
        except (TypeError, ValueError, OverflowError):
            found = self.by_name.get(str(username_or_id))
        # an integer ref missing from by_id goes to the LMS first: that user may exist without an id
        return found if found is not None else self._miss(username_or_id)

    def _miss(self, ref: Any) -> str | None:
        try:
            answer = self._misses.get(ref)
        except TypeError:  # an unhashable ref (a list, a dict) names nobody
            return None
        if answer is None:
            if not self._own_connection:  # a worker's first miss: a connection of its own
                self.lms = Lms(self.lms.address, self.lms.writable)
                self._own_connection = True
            answer = self._misses[ref] = self._resolve(ref)
        if isinstance(answer, tuple):
            raise Rejected(*answer)
        return answer

    def _resolve(self, ref: Any) -> str | tuple[str, str]:
        user = self._lms_user(ref)
        if user is None:
            return (UNKNOWN_USER, f"user {ref!r} is not in the LMS")
        user_id, username = user
        external = self.by_id.get(user_id) or self.lms.xapi_id_of(user_id)
        if external is None:
            if self.new_actors is None:
                return (
                    NO_XAPI_ID,
                    f"LMS user {user_id} has no xAPI id yet (--unknown-actors create makes one)",
                )
            external = self.new_actors.create(user_id, username)
        self.add(user_id, username, external)
        return external

    def _lms_user(self, ref: Any) -> tuple[int, str] | None:
        """ERB's ``get_user``: by id when the ref reads as an integer, then by name, then retired."""
        try:
            rows = self.lms.users_by_id(int(ref))
        except (TypeError, ValueError, OverflowError):
            rows = []
        if rows:
            return rows[0]
        name = str(ref)
        rows = self.lms.users_by_names([name])
        if rows:
            return rows[0]  # Django's .first() over the collation's matches
        return self.retired.pick(name, self.lms.users_by_names([*self.retired.candidates(name), name]))
