"""NDJSON destinations: stdout and files (``.gz`` compressed).

One compact statement per line, in input order: the same bytes every other destination
stores as the statement text.

A file can be rolled back to a commit point, which is what makes resumed runs exactly-once:
``checkpoint()`` gives the file's byte length after a commit (the run state stores it) and
``resume(mark)`` truncates the file to it before the resumed run appends. A ``.gz`` file ends
a gzip member at every commit, so the length is always a member boundary and the truncated
file is valid gzip.
"""

from __future__ import annotations

import gzip
import os
import sys
from typing import IO, Any

from ..errors import BackfillError
from .base import Record, WriteResult


class FileSink:
    batch_rows = 5000

    def __init__(self, path: str | None, append: bool = False) -> None:
        self.path = path
        self.name = "stdout" if path is None else f"file:{path}"
        self.gz = bool(path and path.endswith(".gz"))
        self._mode = "ab" if append else "wb"
        self._file: IO[bytes] | None = sys.stdout.buffer if path is None else None
        self._gz: gzip.GzipFile | None = None

    def write(self, batch: list[Record]) -> WriteResult:
        self._out().write(b"".join(r.body + b"\n" for r in batch))
        return WriteResult(written=len(batch))

    def commit(self) -> None:
        self._ensure_file()
        if self._gz is not None:
            self._gz.close()  # ends the member; the file itself stays open
            self._gz = None
        assert self._file is not None
        self._file.flush()
        if self.path is not None:
            os.fsync(self._file.fileno())

    def checkpoint(self) -> dict[str, Any] | None:
        """The mark to roll back to (call right after ``commit``); None for stdout."""
        if self.path is None or self._file is None:
            return None
        return {"path": self.path, "bytes": self._file.tell()}

    def resume(self, mark: dict[str, Any]) -> None:
        """Continue an interrupted run: drop what was written after the last commit."""
        if self.path is None:
            raise BackfillError("a run to stdout cannot be resumed")
        length = int(mark.get("bytes", 0))
        try:
            fh = open(self.path, "r+b")
        except FileNotFoundError as exc:
            if length == 0:  # nothing was committed: start the file afresh
                self._file = open(self.path, "wb")
                return
            raise BackfillError(
                f"{self.path} is gone but the run state says {length:,} bytes were written; "
                "run with --restart to start over"
            ) from exc
        size = fh.seek(0, os.SEEK_END)
        if size < length:
            fh.close()
            raise BackfillError(
                f"{self.path} is shorter ({size:,} bytes) than the run state says ({length:,}); "
                "run with --restart to start over"
            )
        fh.truncate(length)
        fh.seek(length)
        self._file = fh

    def close(self) -> None:
        if self.path is None:
            sys.stdout.buffer.flush()
            return
        self._ensure_file()
        if self._gz is not None:
            self._gz.close()
            self._gz = None
        assert self._file is not None
        self._file.close()

    def _ensure_file(self) -> None:
        if self._file is None:
            assert self.path is not None
            self._file = open(self.path, self._mode)

    def _out(self) -> IO[bytes]:
        self._ensure_file()
        if not self.gz:
            assert self._file is not None
            return self._file
        if self._gz is None:
            self._gz = gzip.GzipFile(fileobj=self._file, mode="wb")
        return self._gz
