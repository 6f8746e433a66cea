"""Run state: how far each source object is durably in the destination, so a run can resume.

For each source object the state keeps its identity (name, size, ETag or mtime) and the
committed position: the physical lines (and, for plain objects, decompressed bytes) up to
which every statement is in the destination. The pipeline advances it only after
``sink.commit()``. A destination that can roll back to a commit point (the file sink) also
stores a *mark* here (its byte length), which is restored before a resumed run writes.

Where the state lives: a sink may offer ``state_store(run_key) -> StateStore``; otherwise
``default_store`` chooses a JSON file next to the destination (``file:PATH`` →
``PATH.backfill-state.json``, ``chdb:DIR`` → ``DIR.backfill-state/KEY.json``), a table in a
ClickHouse server (``clickhouse/run_state.py``), or the state directory (``--state-dir``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from .errors import BackfillError, UsageError
from .sources import SourceObject

FORMAT = 1


@dataclass
class ObjectState:
    size: int | None
    version: str
    lines: int = 0  # physical lines (as numbered by the reader) fully handled
    bytes: int | None = 0  # decompressed bytes at that line (None when not known)
    done: bool = False


@dataclass
class RunState:
    run_key: str
    description: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""  # stable across resumes: names output objects deterministically
    sink_mark: dict[str, Any] = field(default_factory=dict)
    rejects_mark: int | None = None  # the reject file's length at the last commit
    objects: dict[str, ObjectState] = field(default_factory=dict)

    def position(self, src: SourceObject) -> ObjectState | None:
        """The committed position of an object, or None if it was never started.

        An object that changed since (other size or version) cannot be resumed safely.
        """
        known = self.objects.get(src.name)
        if known is None:
            return None
        if known.size != src.size or known.version != src.version:
            raise UsageError(
                f"{src.name} changed since the earlier run (size {known.size} → {src.size}, "
                f"version {known.version} → {src.version}); run with --restart to start over"
            )
        return known

    def to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "run_key": self.run_key,
            "run_id": self.run_id,
            "description": self.description,
            "sink_mark": self.sink_mark,
            "rejects_mark": self.rejects_mark,
            "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "objects": {name: o.__dict__ for name, o in self.objects.items()},
        }
        # readable for a few objects; compact for big buckets (it is rewritten at every commit)
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 if len(self.objects) < 1000 else 0)

    @classmethod
    def from_json(cls, raw: bytes) -> RunState:
        doc = orjson.loads(raw)
        if doc.get("format") != FORMAT:
            raise BackfillError(f"unknown run-state format {doc.get('format')!r}")
        return cls(
            run_key=doc["run_key"],
            description=doc.get("description", {}),
            run_id=doc.get("run_id", ""),
            sink_mark=doc.get("sink_mark", {}),
            rejects_mark=doc.get("rejects_mark"),
            objects={name: ObjectState(**o) for name, o in doc.get("objects", {}).items()},
        )


class StateStore(Protocol):
    """Where one run's state is kept. ``save`` must be atomic: after a crash ``load`` returns
    either the previous or the new state, never a mix."""

    location: str

    def load(self) -> RunState | None: ...

    def save(self, state: RunState) -> None: ...

    def clear(self) -> None: ...


class FileStateStore:
    """A JSON file replaced atomically (write, fsync, rename, fsync the directory)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.location = path

    def load(self) -> RunState | None:
        try:
            with open(self.path, "rb") as fh:
                return RunState.from_json(fh.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackfillError(f"cannot read the run state {self.path}: {exc}") from exc

    def save(self, state: RunState) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        tmp = f"{self.path}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(state.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        for path in (self.path, f"{self.path}.tmp"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact(dest: str) -> str:
    """A destination without the user:password part of a URL."""
    return _USERINFO.sub("***@", dest)


def run_key(sources: Iterable[str], dest: str, settings: dict[str, Any]) -> str:
    """What identifies "the same command": sources, destination and options that change output."""
    norm = [s if "://" in s or s == "-" else os.path.abspath(s) for s in sources]
    doc = {"sources": norm, "dest": redact(dest), "settings": settings}
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def default_state_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "aspects-backfill")


def default_store(sink: Any, dest: str, key: str, state_dir: str | None) -> StateStore:
    """The sink's own store if it has one, else a state file next to or for the destination."""
    own = getattr(sink, "state_store", None)
    if own is not None:
        store = own(key)
        if store is not None:
            return store
    if state_dir:
        return FileStateStore(os.path.join(state_dir, f"{key}.json"))
    if dest.startswith("file:"):
        return FileStateStore(dest[len("file:") :] + ".backfill-state.json")
    if dest.startswith("chdb:"):
        path = dest[len("chdb:") :].rstrip("/")
        return FileStateStore(os.path.join(f"{path}.backfill-state", f"{key}.json"))
    if dest.startswith(("clickhouse://", "clickhouses://")):
        server = _clickhouse_store(dest, key)
        if server is not None:
            return server
    return FileStateStore(os.path.join(default_state_dir(), f"{key}.json"))


def _clickhouse_store(dest: str, key: str) -> StateStore | None:
    """The state in the ClickHouse server itself; None (with a warning) if it cannot be kept there."""
    import logging

    from .clickhouse.connection import open_clickhouse
    from .clickhouse.run_state import ClickHouseStateStore

    try:
        return ClickHouseStateStore(open_clickhouse(dest), key)
    except Exception as exc:  # e.g. no CREATE DATABASE right: keep the state locally instead
        logging.getLogger("aspects_backfill").warning(
            "run state not kept in ClickHouse (%s); using %s",
            str(exc).splitlines()[0][:200],
            default_state_dir(),
        )
        return None


def new_run_id() -> str:
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y-%m-%d_%H-%M-%S}-{os.urandom(3).hex()}"


class StateKeeper:
    """The run state as the pipeline uses it: where to start each object, and advancing it
    after each commit (together with the sink's mark, in one atomic save)."""

    def __init__(self, store: StateStore, state: RunState, resumed: bool) -> None:
        self.store = store
        self.state = state
        self.resumed = resumed

    def start(self, src: SourceObject) -> ObjectState | None:
        return self.state.position(src)

    def committed(
        self, updates: dict[str, ObjectState], sink_mark: dict[str, Any] | None, rejects_mark: int | None
    ) -> None:
        self.state.objects.update(updates)
        if sink_mark is not None:
            self.state.sink_mark = sink_mark
        self.state.rejects_mark = rejects_mark
        self.store.save(self.state)
