"""Where tracking logs come from: files, directories, globs, stdin; object stores plug in (``remote``).

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
    version: str  # mtime (files) or ETag (objects): with the size, tells a changed object apart
    opener: Callable[[], IO[bytes]]  # the raw (possibly compressed) bytes

    def open(self) -> IO[bytes]:
        """The object's decompressed bytes."""
        return open_from(self, 0)[0]


_MAGIC = (
    (b"\x1f\x8b", "gz"),
    (b"BZh", "bz2"),
    (b"\x28\xb5\x2f\xfd", "zst"),
    (b"\xfd7zXZ\x00", "xz"),
)
_SUFFIX = {".gz": "gz", ".bz2": "bz2", ".zst": "zst", ".xz": "xz"}


def compression_of(head: bytes, name: str) -> str | None:
    """The compression by magic number (objects stored gzipped without a .gz name too), else by name."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head:
        return None  # data that starts like none of them is plain, whatever its name
    return next((k for suffix, k in _SUFFIX.items() if name.lower().endswith(suffix)), None)


def open_from(src: SourceObject, byte_offset: int) -> tuple[IO[bytes], bool]:
    """(decompressed stream, positioned): positioned is True when the stream was seeked to
    ``byte_offset`` (plain, seekable objects); otherwise it starts at 0 and the caller skips lines."""
    raw = src.opener()
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw, 1 << 20)
    kind = compression_of(buffered.peek(6)[:6], src.name)
    if kind is None:
        if byte_offset > 0 and buffered.seekable():
            buffered.seek(byte_offset)
            return buffered, True
        return buffered, False
    return decompressed(buffered, kind), False


class _Decompressed(io.BufferedReader):
    """A decompressing stream that also closes the compressed stream below it."""

    def __init__(self, reader: IO[bytes], below: IO[bytes]) -> None:
        super().__init__(reader, 1 << 20)  # type: ignore[arg-type]
        self._below = below

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._below.close()


def decompressed(raw: IO[bytes], kind: str) -> IO[bytes]:
    reader: IO[bytes]
    if kind == "gz":
        reader = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "bz2":
        reader = bz2.BZ2File(raw, "rb")
    elif kind == "zst":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)  # type: ignore[assignment]
    else:
        import lzma

        reader = lzma.LZMAFile(raw, "rb")
    return _Decompressed(reader, raw)


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
