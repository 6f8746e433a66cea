"""The reject file: one JSON line per line (or statement) that could not be used, with why."""

from __future__ import annotations

import gzip
from typing import IO

from .jsontext import dumps


class RejectWriter:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        if path:
            self._fh = gzip.open(path, "ab") if path.endswith(".gz") else open(path, "ab")

    def add(self, source: str, line_no: int, reason: str, detail: str, line: bytes | None) -> None:
        if self._fh is None:
            return
        entry = {
            "source": source,
            "line_number": line_no,
            "reason": reason,
            "detail": detail,
            "line": None if line is None else line.rstrip(b"\r\n").decode("utf-8", "replace"),
        }
        self._fh.write(dumps(entry) + b"\n")

    def checkpoint(self) -> int | None:
        """The file's length after a flush: a resumed run truncates back to it (plain files only)."""
        if self._fh is None or self.path is None or self.path.endswith(".gz"):
            return None
        self._fh.flush()
        return self._fh.tell()

    def resume(self, length: int | None) -> None:
        """Drop the entries written after the last commit of an interrupted run."""
        if self._fh is None or length is None or self.path is None or self.path.endswith(".gz"):
            return
        self._fh.flush()
        if self._fh.tell() >= length:
            self._fh.truncate(length)
            self._fh.seek(length)

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
