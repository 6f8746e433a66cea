"""Read a Studio course export (``.tar.gz`` or an unpacked directory) as untrusted input.

Nothing is extracted to disk: members are read into memory after checking each one. An
archive is refused as a whole when any member has an absolute path or a ``..`` part, is a
symlink, hard link, device or FIFO, or when sizes exceed the limits (decompression bombs).
``static/`` holds the course's assets (videos, PDFs): checked like the rest but never read,
since course metadata needs none of it.
"""

from __future__ import annotations

import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..errors import BackfillError

# Limits: a real export's OLX is a few MB; assets under static/ may be large but are not read.
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one OLX/policy file we read
MAX_READ_BYTES = 512 * 1024 * 1024  # everything we read, together
MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024  # every member, static assets included
MAX_MEMBERS = 200_000
SKIPPED_DIRS = ("static",)


class UnsafeExport(BackfillError):
    """The export is refused: unsafe member, too big, or not a course export."""


@dataclass
class Export:
    """The files of one course export, relative to the directory holding ``course.xml``."""

    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    mtimes: dict[str, float] = field(default_factory=dict)

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def names_under(self, directory: str) -> list[str]:
        """Regular files directly inside ``directory`` (no recursion), sorted."""
        prefix = directory.rstrip("/") + "/"
        return sorted(p for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix) :])


def safe_member_path(name: str, source: str) -> str:
    """The normalized relative path of a member, or UnsafeExport for absolute/'..' names."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        raise UnsafeExport(f"{source}: refused: unsafe member path {name!r}")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." for p in parts) or (parts and ":" in parts[0] and len(parts[0]) == 2):
        raise UnsafeExport(f"{source}: refused: member path escapes the archive: {name!r}")
    return "/".join(parts)


class _Budget:
    """Counts members and bytes against the limits."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.members = 0
        self.total = 0
        self.read = 0

    def member(self, path: str, size: int, will_read: bool) -> None:
        self.members += 1
        self.total += size
        if self.members > MAX_MEMBERS:
            raise UnsafeExport(f"{self.source}: refused: more than {MAX_MEMBERS} members")
        if self.total > MAX_TOTAL_BYTES:
            raise UnsafeExport(f"{self.source}: refused: more than {MAX_TOTAL_BYTES} bytes in total")
        if will_read:
            if size > MAX_MEMBER_BYTES:
                raise UnsafeExport(
                    f"{self.source}: refused: {path} is {size} bytes (limit {MAX_MEMBER_BYTES})"
                )
            self.read += size
            if self.read > MAX_READ_BYTES:
                raise UnsafeExport(
                    f"{self.source}: refused: more than {MAX_READ_BYTES} bytes of course files"
                )


def _skip_static(path: str) -> bool:
    """Assets: a ``static/`` directory at the top or one level down (Studio's ``course/static``)."""
    return any(part in SKIPPED_DIRS for part in path.split("/")[:-1][:2])


def read_tar(path: str) -> Export:
    """Stream a (compressed) tar, checking every member before reading it."""
    raw = Export(source=path)
    budget = _Budget(path)
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                name = safe_member_path(member.name, path)
                if member.issym() or member.islnk():
                    raise UnsafeExport(f"{path}: refused: {member.name} is a link")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise UnsafeExport(f"{path}: refused: {member.name} is not a regular file")
                if not name:
                    continue
                read = not _skip_static(name)
                budget.member(name, member.size, read)
                if not read:
                    continue
                handle = tar.extractfile(member)
                data = handle.read(MAX_MEMBER_BYTES + 1) if handle else b""
                if len(data) != member.size:
                    raise UnsafeExport(f"{path}: refused: {member.name} is truncated or oversized")
                raw.files[name] = data
                raw.mtimes[name] = float(member.mtime)
    except UnsafeExport:
        raise
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnsafeExport(f"{path}: not a readable tar archive: {exc}") from exc
    return rooted(raw)


def read_directory(path: str) -> Export:
    """Walk an unpacked export without following links."""
    raw = Export(source=path)
    budget = _Budget(path)
    base = os.path.abspath(path)
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                raise UnsafeExport(f"{path}: refused: {rel} is a symlink")
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeExport(f"{path}: refused: {rel} is not a regular file")
            if info.st_nlink > 1:
                raise UnsafeExport(f"{path}: refused: {rel} is a hard link")
            read = not _skip_static(rel)
            budget.member(rel, info.st_size, read)
            if read:
                with open(full, "rb") as handle:
                    data = handle.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    raise UnsafeExport(f"{path}: refused: {rel} grew beyond {MAX_MEMBER_BYTES} bytes")
                raw.files[rel] = data
                raw.mtimes[rel] = info.st_mtime
    return rooted(raw)


def rooted(raw: Export) -> Export:
    """Re-base paths on the one directory holding ``course.xml`` (Studio wraps it in ``course/``)."""
    roots = sorted(
        (p[: -len("course.xml")] for p in raw.files if p == "course.xml" or p.endswith("/course.xml")),
        key=lambda r: (r.count("/"), r),
    )
    if not roots:
        raise UnsafeExport(f"{raw.source}: not a course export: no course.xml found")
    depth = roots[0].count("/")
    if len([r for r in roots if r.count("/") == depth]) > 1:
        raise UnsafeExport(f"{raw.source}: more than one course.xml at the top level: {', '.join(roots[:3])}")
    root = roots[0]
    out = Export(source=raw.source)
    for name, data in raw.files.items():
        if name.startswith(root):
            rel = name[len(root) :]
            if rel.split("/", 1)[0] in SKIPPED_DIRS and "/" in rel:
                continue
            out.files[rel] = data
            out.mtimes[rel] = raw.mtimes[name]
    return out


def open_export(source: str) -> Export:
    """An export from a directory or a tar file (any compression tarfile knows)."""
    if os.path.isdir(source):
        return read_directory(source)
    if os.path.isfile(source):
        return read_tar(source)
    raise UnsafeExport(f"{source}: no such file or directory")
