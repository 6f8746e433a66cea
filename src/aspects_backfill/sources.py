"""Where tracking logs come from: files, directories, globs, stdin (object stores plug in here).

A source argument expands to ``SourceObject``s in a stable order; each opens as a stream of
decompressed bytes. The identity (name, size, version) lets the run state recognise an
object it has already finished.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from .errors import UsageError


@dataclass(frozen=True)
class SourceObject:
    name: str
    size: int | None
    version: str
    opener: Callable[[], IO[bytes]]

    def open(self) -> IO[bytes]:
        """The object's decompressed bytes (by name: .gz, .bz2, .zst, .xz)."""
        return decompressed(self.opener(), self.name)


def decompressed(raw: IO[bytes], name: str) -> IO[bytes]:
    lower = name.lower()
    if lower.endswith(".gz"):
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), 1 << 20)
    if lower.endswith(".bz2"):
        return io.BufferedReader(bz2.BZ2File(raw, "rb"), 1 << 20)
    if lower.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True), 1 << 20)
    if lower.endswith(".xz"):
        import lzma

        return io.BufferedReader(lzma.LZMAFile(raw, "rb"), 1 << 20)
    return raw


def _local(path: str) -> SourceObject:
    st = os.stat(path)
    return SourceObject(
        name=os.path.abspath(path),
        size=st.st_size,
        version=str(st.st_mtime_ns),
        opener=lambda: open(path, "rb", buffering=1 << 20),
    )


def _stdin() -> SourceObject:
    return SourceObject(name="-", size=None, version="", opener=lambda: sys.stdin.buffer)


def _walk(directory: str) -> Iterator[str]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, f) for f in files if not f.startswith("."))
    yield from sorted(found)


def expand(
    args: Iterable[str], remote: Callable[[str], list[SourceObject]] | None = None
) -> list[SourceObject]:
    """All source objects named by the arguments, each argument's objects in name order."""
    objects: list[SourceObject] = []
    for arg in args:
        if arg == "-":
            objects.append(_stdin())
        elif "://" in arg:
            if remote is None:
                raise UsageError(f"unsupported source: {arg}")
            objects.extend(remote(arg))
        elif os.path.isdir(arg):
            objects.extend(_local(p) for p in _walk(arg))
        elif os.path.exists(arg):
            objects.append(_local(arg))
        else:
            matches = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            if not matches:
                raise UsageError(f"no such file, directory or glob match: {arg}")
            objects.extend(_local(p) for p in matches)
    return objects
