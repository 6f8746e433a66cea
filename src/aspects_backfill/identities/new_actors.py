"""xAPI ids made for LMS learners who have none yet (``--unknown-actors create``).

The LMS makes a learner's xAPI id on their first live event: a random UUID4 in
``external_user_ids_externalid``. Doing the same here is only useful if the LMS later uses
the same id, so every new id is recorded before any statement carrying it is written:

* ``--write-lms``: inserted into the LMS at once, in a transaction that the table's unique
  constraints guard; if the LMS created one meanwhile, that one wins and is used instead;
* ``--new-actors-out FILE.csv``: ``user_id,username,external_user_id`` (also a valid ``--actors``);
* a ClickHouse destination: ``event_sink.external_id`` rows shaped as the Aspects plugin writes them.

The file and ClickHouse rows are flushed by :class:`RecordingSink` before each write of statements.
"""

from __future__ import annotations

import contextlib
import csv
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import BackfillError
from ..sinks.base import Record, Sink, WriteResult
from .lms import XAPI_TYPE, Lms

EXTERNAL_ID_COLUMNS = [
    "external_user_id",
    "external_id_type",
    "username",
    "user_id",
    "dump_id",
    "time_last_dumped",
]


def dump_time() -> str:
    """``time_last_dumped`` as the plugin writes it: str() of an aware UTC datetime, microseconds kept."""
    return datetime.now(UTC).isoformat(sep=" ", timespec="microseconds")


def external_id_rows(actors: list[tuple[int, str, str]]) -> list[list]:
    """Rows for ``event_sink.external_id``: one dump id per row, as the plugin's serializer does."""
    when = dump_time()
    return [[uuid.UUID(ext), XAPI_TYPE, name or "", uid, uuid.uuid4(), when] for uid, name, ext in actors]


@dataclass
class NewActors:
    lms_writer: Lms | None = None  # --write-lms
    csv_path: str | None = None  # --new-actors-out
    clickhouse_dest: str | None = None  # the destination, when it is ClickHouse
    created: int = 0  # ids made here (and, with --write-lms, kept by the LMS)
    lms_won: int = 0  # the LMS had made one meanwhile; that one is used
    _pending: list[tuple[int, str, str]] = field(default_factory=list)
    _csv: object | None = None
    _ch: object | None = None

    @property
    def records_anywhere(self) -> bool:
        return bool(self.lms_writer or self.csv_path or self.clickhouse_dest)

    def create(self, user_id: int, username: str) -> str:
        """The learner's id from now on: a new UUID4, or the one the LMS made first."""
        for _ in range(3):  # a UUID4 clash on the unique external_user_id is astronomically rare
            external = str(uuid.uuid4())
            if self.lms_writer is None or self.lms_writer.insert_xapi_id(user_id, external):
                self.created += 1
                break
            existing = self.lms_writer.xapi_id_of(user_id)
            if existing is not None:
                external = existing
                self.lms_won += 1
                break
        else:
            raise BackfillError(f"could not store a new xAPI id for LMS user {user_id}")
        self._pending.append((user_id, username, external))
        return external

    def flush(self) -> None:
        """Record the ids made since the last flush (file, then ClickHouse)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if self.csv_path:
            self._write_csv(pending)
        if self.clickhouse_dest:
            self._write_clickhouse(pending)

    def _write_csv(self, rows: list[tuple[int, str, str]]) -> None:
        if self._csv is None:
            try:
                fh = open(self.csv_path, "w", newline="", encoding="utf-8")
            except OSError as exc:
                raise BackfillError(f"cannot write {self.csv_path}: {exc.strerror}") from exc
            self._csv = (fh, csv.writer(fh))
            self._csv[1].writerow(["user_id", "username", "external_user_id"])
        fh, writer = self._csv
        writer.writerows(rows)
        fh.flush()

    def _write_clickhouse(self, rows: list[tuple[int, str, str]]) -> None:
        from ..clickhouse import open_clickhouse
        from ..clickhouse.schema import ensure_event_sink

        if self._ch is None:
            self._ch = open_clickhouse(self.clickhouse_dest)
            ensure_event_sink(self._ch, ("external_id",))
        try:
            self._ch.insert("event_sink.external_id", external_id_rows(rows), EXTERNAL_ID_COLUMNS)
        except Exception as exc:
            raise BackfillError(
                f"cannot record new xAPI ids in {self._ch.where} event_sink.external_id: "
                f"{str(exc).splitlines()[0]}"
            ) from exc

    def summary_note(self) -> str:
        text = f"new xAPI ids: {self.created} made"
        if self.lms_writer is not None:
            text += f" and stored in the LMS, {self.lms_won} taken from the LMS (made there meanwhile)"
        if not self.records_anywhere:
            text += " (dry run: kept nowhere)"
        return text

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._csv is not None:
                with contextlib.suppress(OSError):
                    self._csv[0].close()
            if self._ch is not None:
                self._ch.close()
            if self.lms_writer is not None:
                self.lms_writer.close()


class RecordingSink:
    """Wraps the destination so new ids are on record before the first statement using them."""

    def __init__(self, inner: Sink, new_actors: NewActors) -> None:
        self.inner = inner
        self.new_actors = new_actors
        self.name = inner.name
        self.batch_rows = inner.batch_rows

    def write(self, batch: list[Record]) -> WriteResult:
        self.new_actors.flush()
        return self.inner.write(batch)

    def commit(self) -> None:
        self.new_actors.flush()
        self.inner.commit()

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str):
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)  # anything else a destination offers
