"""NDJSON destinations: stdout and files (``.gz`` compressed).

One compact statement per line, in input order: the same bytes every other destination
stores as the statement text.
"""

from __future__ import annotations

import gzip
import os
import sys
from typing import IO

from .base import Record, WriteResult


class FileSink:
    batch_rows = 5000

    def __init__(self, path: str | None, append: bool = False) -> None:
        self.path = path
        self.name = "stdout" if path is None else f"file:{path}"
        self._fh: IO[bytes]
        if path is None:
            self._fh = sys.stdout.buffer
        elif path.endswith(".gz"):
            self._fh = gzip.open(path, "ab" if append else "wb")
        else:
            self._fh = open(path, "ab" if append else "wb")

    def write(self, batch: list[Record]) -> WriteResult:
        self._fh.write(b"".join(r.body + b"\n" for r in batch))
        return WriteResult(written=len(batch))

    def commit(self) -> None:
        self._fh.flush()
        if self.path is not None and not self.path.endswith(".gz"):
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.flush()
        if self.path is not None:
            self._fh.close()
